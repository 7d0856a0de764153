// SPDX-License-Identifier: GPL-2.0
/*
 * The "make run" demo: which privilege level this program runs at, and
 * what a getpid system call costs here, compared with a call to an empty
 * function; from /trusted also through libkml's direct call.  And the
 * same for a 1-byte read of /dev/zero and write to /dev/null.  Under
 * "qemu -icount shift=0" the guest TSC counts executed instructions, so
 * the figures are instructions, not time.  Each figure is the mean over
 * N calls (timer interrupts included) and the lowest mean of 20 batches
 * of N/20 (which leaves most timer ticks out).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <x86intrin.h>
#include "kml.h"
#include "kml-mark.h"
#include "kt.h"

#define N 20000

__attribute__((noinline)) static long empty_fn(long x)
{
	__asm__ volatile("" : "+r"(x));
	return x;
}

static long raw_syscall3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

struct op {
	const char *name;
	long nr, a, b, c;
};

/* Where this copy runs from: "bin" or "trusted" (the cost lines). */
static const char *where = "?";

/*
 * Mean and lowest batch mean, in ticks, of N calls of @op.  Each batch is
 * also a region for the cost plugin (tests/cost/kml-mark.h), whose counts
 * run-demo.sh turns into modeled cycles.
 */
static void measure(const struct op *op, int direct, double *mean, double *best)
{
	uint64_t t0, t1, tb, all = 0;
	long i, b;

	*best = 1e30;
	for (b = 0; b < 20; b++) {
		kml_mark_begin();
		t0 = __rdtsc();
		if (direct)
			for (i = 0; i < N / 20; i++)
				kml_syscall3(op->nr, op->a, op->b, op->c);
		else
			for (i = 0; i < N / 20; i++)
				raw_syscall3(op->nr, op->a, op->b, op->c);
		t1 = __rdtsc();
		kml_mark_end();
		printf("KMLCOSTRUN: %s%s %s batch ops=%d w=1\n", direct ? "direct_" : "", op->name,
		       where, N / 20);
		tb = t1 - t0;
		all += tb;
		if ((double)tb / (N / 20) < *best)
			*best = (double)tb / (N / 20);
	}
	*mean = (double)all / N;
}

int main(int argc, char **argv)
{
	static char buf[1];
	char exe[256] = "?";
	uint64_t t0, t1;
	long i, s = 0;
	ssize_t n;
	struct op ops[3] = {
		{ "getpid", SYS_getpid, 0, 0, 0 },
		{ "read", SYS_read, open("/dev/zero", O_RDONLY), (long)buf, 1 },
		{ "write", SYS_write, open("/dev/null", O_WRONLY), (long)buf, 1 },
	};
	char line[1024];
	int k, d, len;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0)
		exe[n] = 0;
	where = !strncmp(exe, "/trusted/", 9) ? "trusted" : "bin";
	for (i = 0; i < 100; i++)
		s += raw_syscall3(SYS_getpid, 0, 0, 0) + kml_syscall0(SYS_getpid);
	t0 = __rdtsc();
	for (i = 0; i < N; i++)
		s += empty_fn(i);
	t1 = __rdtsc();
	/* One line, written at the end: measure() prints cost lines. */
	len = snprintf(line, sizeof(line), "KMLDEMO: exe=%s cpl=%d direct=%d call_ticks=%.1f",
		       exe, kt_cpl(), kml_direct, (double)(t1 - t0) / N);
	for (k = 0; k < 3; k++)
		for (d = 0; d <= kml_direct; d++) {
			double mean, best;

			measure(&ops[k], d, &mean, &best);
			len += snprintf(line + len, sizeof(line) - len, " %s%s_ticks=%.1f %s%s_best=%.1f",
					d ? "direct_" : "", ops[k].name, mean, d ? "direct_" : "",
					ops[k].name, best);
		}
	printf("%s\n", line);
	return s == 42;	/* keep s alive */
}
