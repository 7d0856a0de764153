// SPDX-License-Identifier: GPL-2.0
/*
 * The "make run" demo: which privilege level this program runs at, and
 * what a getpid system call costs here, compared with a call to an empty
 * function.  Under "qemu -icount shift=0" the guest TSC counts executed
 * instructions, so the figures are instructions, not time.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <x86intrin.h>
#include "kt.h"

#define N 20000

__attribute__((noinline)) static long empty_fn(long x)
{
	__asm__ volatile("" : "+r"(x));
	return x;
}

static long raw_getpid(void)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(39L) : "rcx", "r11", "memory");
	return ret;
}

int main(int argc, char **argv)
{
	char exe[256] = "?";
	uint64_t t0, t1, t2;
	long i, s = 0;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0)
		exe[n] = 0;
	for (i = 0; i < 100; i++)
		s += raw_getpid();
	t0 = __rdtsc();
	for (i = 0; i < N; i++)
		s += empty_fn(i);
	t1 = __rdtsc();
	for (i = 0; i < N; i++)
		s += raw_getpid();
	t2 = __rdtsc();
	printf("KMLDEMO: exe=%s cpl=%d getpid_ticks=%.1f call_ticks=%.1f\n", exe,
	       kt_cpl(), (double)(t2 - t1) / N, (double)(t1 - t0) / N);
	return s == 42;	/* keep s alive */
}
