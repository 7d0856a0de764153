// SPDX-License-Identifier: GPL-2.0
/*
 * kt-costs: the regions whose costly instructions the cost boot counts
 * (tests/harness/run-tests.sh, COSTS=1; the plugin tests/cost/kml-costs.c
 * and the host's scripts/costs.py).  It marks
 * each region and says what was in it, and the host compares the counts
 * per operation with tests/cost/expect.txt.  Its own checks are those of
 * kt_done(): the CPL of its mode.
 *
 *   kt-costs MODE [PEERDIR...]
 *
 * Regions, BATCHES of N operations each, after a warm-up of the same
 * operation:
 *   syscall_getpid, syscall_read, syscall_write   SYSCALL
 *   direct_getpid, direct_read, direct_write      libkml's call of the
 *                     entry (only where the direct-call page exists)
 *   sled_getpid       "call *%rax" through the page at address 0, as a
 *                     rewritten site does (likewise)
 *   pipe_<peer>       a one-byte pipe round trip with a peer process that
 *                     runs PEERDIR/kt-costs (for each PEERDIR given; the
 *                     peer's name is the directory's last part): two
 *                     context switches per operation
 *   dpipe_<peer>      the same with this side's write and read made as
 *                     direct calls (where the page exists): the read
 *                     sleeps, and returns with the exit work of a
 *                     context switch to do
 *   yield_self        sched_yield() with nothing else to run
 *   fault_anon        a write to a fresh anonymous page: one page fault
 *                     (the exception entry and exit, not a system call)
 *   signal_catch      kill() of itself with a handler for the signal:
 *                     the SYSCALL, the delivery, the handler's return
 *                     through rt_sigreturn
 *   dsignal_catch     the same with kill() made as a direct call (where
 *                     the page exists): rt_sigreturn puts the direct
 *                     call's frame back
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kml.h"
#include "kml-mark.h"
#include "kt.h"

#define N 1000
/*
 * Batches of N per path: the host takes the median per class, so that
 * a timer interrupt in one batch does not count.
 */
#define BATCHES 3

static const char *mode;

static void on_usr1(int sig)
{
	(void)sig;
}

static void report(const char *name, long n)
{
	printf("KMLCOSTRUN: %s %s batch ops=%ld w=1\n", name, mode, n);
	fflush(stdout);
}

static long raw_syscall3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

/* A rewritten site: "call *%rax" into the page at 0, past the red zone. */
static long sled_syscall0(long nr)
{
	long ret;

	__asm__ volatile("leaq -128(%%rsp), %%rsp\n\t"
			 "call *%%rax\n\t"
			 "leaq 128(%%rsp), %%rsp"
			 : "=a"(ret) : "a"(nr) : "rcx", "r11", "rdx", "rsi", "rdi",
			   "r8", "r9", "r10", "memory", "cc");
	return ret;
}

enum how { RAW, DIRECT, SLED };

static void calls(const char *name, enum how how, long nr, long a, long b, long c)
{
	long i;

	/* warm-up: the code and data of the path are in place */
	for (i = 0; i < 10; i++)
		how == RAW ? raw_syscall3(nr, a, b, c) :
		how == DIRECT ? kml_syscall3(nr, a, b, c) : sled_syscall0(nr);
	for (int k = 0; k < BATCHES; k++) {
		kml_mark_begin();
		if (how == RAW)
			for (i = 0; i < N; i++)
				raw_syscall3(nr, a, b, c);
		else if (how == DIRECT)
			for (i = 0; i < N; i++)
				kml_syscall3(nr, a, b, c);
		else
			for (i = 0; i < N; i++)
				sled_syscall0(nr);
		kml_mark_end();
		report(name, N);
	}
}

static void peer(int in, int out)
{
	char c;

	while (read(in, &c, 1) == 1)
		if (write(out, &c, 1) != 1)
			break;
	exit(0);
}

static void pipe_round_trips(const char *self, const char *dir)
{
	int to[2], from[2];
	char path[512], fin[16], fout[16], name[64], c = 'x';
	const char *base = strrchr(dir, '/');
	pid_t pid;
	long i;

	if (pipe(to) || pipe(from)) {
		perror("pipe");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/kt-costs", dir);
	snprintf(fin, sizeof(fin), "%d", to[0]);
	snprintf(fout, sizeof(fout), "%d", from[1]);
	pid = fork();
	if (!pid) {
		close(to[1]);
		close(from[0]);
		execl(path, path, "--peer", fin, fout, (char *)NULL);
		perror(path);
		_exit(1);
	}
	close(to[0]);
	close(from[1]);
	for (i = 0; i < 20; i++)
		if (write(to[1], &c, 1) != 1 || read(from[0], &c, 1) != 1)
			exit(1);
	for (int direct = 0; direct <= !!kml_direct; direct++) {
		snprintf(name, sizeof(name), "%spipe_%s", direct ? "d" : "",
			 base && base[1] ? base + 1 : dir);
		for (int k = 0; k < BATCHES; k++) {
			kml_mark_begin();
			for (i = 0; i < N; i++) {
				if (direct ? kml_syscall3(SYS_write, to[1], (long)&c, 1) != 1 ||
					     kml_syscall3(SYS_read, from[0], (long)&c, 1) != 1 :
					     write(to[1], &c, 1) != 1 || read(from[0], &c, 1) != 1)
					break;
			}
			kml_mark_end();
			if (i != N) {
				fprintf(stderr, "kt-costs: the peer %s stopped answering\n", path);
				exit(1);
			}
			report(name, N);
		}
	}
	close(to[1]);
	close(from[0]);
	waitpid(pid, NULL, 0);
	(void)self;
}

int main(int argc, char **argv)
{
	static char buf[1];
	int zero, null, i;

	if (argc == 4 && !strcmp(argv[1], "--peer"))
		peer(atoi(argv[2]), atoi(argv[3]));
	if (argc < 2) {
		fprintf(stderr, "usage: kt-costs MODE [PEERDIR...]\n");
		return 2;
	}
	mode = argv[1];
	zero = open("/dev/zero", O_RDONLY);
	null = open("/dev/null", O_WRONLY);
	if (zero < 0 || null < 0) {
		perror("open");
		return 1;
	}
	{
		unsigned int a, b, c, d;

		__cpuid_count(7, 0, a, b, c, d);
		printf("# kt-costs %s: CPL %d, direct calls %s, RDPID %s\n", mode, kt_cpl(),
		       kml_direct ? "available" : "not available",
		       (c >> 22) & 1 ? "offered" : "not offered");
	}
	calls("syscall_getpid", RAW, SYS_getpid, 0, 0, 0);
	calls("syscall_read", RAW, SYS_read, zero, (long)buf, 1);
	calls("syscall_write", RAW, SYS_write, null, (long)buf, 1);
	if (kml_direct) {
		unsigned long sled;

		calls("direct_getpid", DIRECT, SYS_getpid, 0, 0, 0);
		calls("direct_read", DIRECT, SYS_read, zero, (long)buf, 1);
		calls("direct_write", DIRECT, SYS_write, null, (long)buf, 1);
		sled = kml_direct_sled();
		kt_check(sled > SYS_getpid, "the sled at 0, mapped on request, covers getpid "
			 "(%lu numbers)", sled);
		calls("sled_getpid", SLED, SYS_getpid, 0, 0, 0);
	}
	for (i = 0; i < 10; i++)
		sched_yield();
	for (int k = 0; k < BATCHES; k++) {
		kml_mark_begin();
		for (i = 0; i < N; i++)
			sched_yield();
		kml_mark_end();
		report("yield_self", N);
	}
	for (int k = 0; k < BATCHES + 1; k++) {
		char *p = mmap(NULL, N * 4096L, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			perror("mmap");
			exit(1);
		}
		if (k)	/* the first batch warms up */
			kml_mark_begin();
		for (i = 0; i < N; i++)
			p[i * 4096L] = 1;
		if (k) {
			kml_mark_end();
			report("fault_anon", N);
		}
		munmap(p, N * 4096L);
	}
	{
		struct sigaction sa = { .sa_handler = on_usr1 };
		long pid = getpid();

		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGUSR1, &sa, NULL)) {
			perror("sigaction");
			exit(1);
		}
		for (int k = 0; k < BATCHES + 1; k++) {	/* the first warms up */
			if (k)
				kml_mark_begin();
			for (i = 0; i < N; i++)
				raw_syscall3(SYS_kill, pid, SIGUSR1, 0);
			if (k) {
				kml_mark_end();
				report("signal_catch", N);
			}
		}
		for (int k = 0; kml_direct && k < BATCHES + 1; k++) {
			if (k)
				kml_mark_begin();
			for (i = 0; i < N; i++)
				kml_syscall3(SYS_kill, pid, SIGUSR1, 0);
			if (k) {
				kml_mark_end();
				report("dsignal_catch", N);
			}
		}
	}
	for (i = 2; i < argc; i++)
		pipe_round_trips(argv[0], argv[i]);
	/* what the counts mean depends on the mode: check it */
	return kt_done();
}
