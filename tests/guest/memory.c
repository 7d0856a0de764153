// SPDX-License-Identifier: GPL-2.0
/*
 * Memory: stack growth through deep recursion, anonymous and shared
 * mappings, mprotect faults, brk, and copy-on-write after fork.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kt.h"

static sigjmp_buf jb;
static volatile sig_atomic_t faulted;

static void on_segv(int sig)
{
	faulted = 1;
	siglongjmp(jb, 1);
}

/* Each level keeps 1 KiB live on the stack: 4096 levels = 4 MiB. */
static long recurse(int depth)
{
	volatile char pad[1024];

	pad[0] = (char)depth;
	pad[1023] = (char)(depth >> 8);
	if (depth == 0)
		return 0;
	return recurse(depth - 1) + pad[0] + (pad[1023] & 0);
}

int main(void)
{
	long want = 0, i;
	volatile int *shared;
	char *p, *brk0;
	int st, ok;
	pid_t pid;

	for (i = 1; i <= 4096; i++)
		want += (char)i;
	kt_check(recurse(4096) == want, "4 MiB of recursion grows the stack");

	p = mmap(NULL, 64 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	kt_check(p != MAP_FAILED, "mmap 64 MiB");
	for (i = 0; i < (64 << 20); i += 4096)
		p[i] = (char)i;
	for (ok = 1, i = 0; i < (64 << 20); i += 4096)
		ok &= p[i] == (char)i;
	kt_check(ok, "16384 page faults fill it");

	signal(SIGSEGV, on_segv);
	mprotect(p, 4096, PROT_READ);
	if (!sigsetjmp(jb, 1))
		p[0] = 1;
	kt_check(faulted, "write to a read-only page faults");
	kt_check(munmap(p, 64 << 20) == 0, "munmap");
	faulted = 0;
	if (!sigsetjmp(jb, 1))
		p[4096] = 1;
	kt_check(faulted, "access after munmap faults");

	brk0 = sbrk(0);
	kt_check(sbrk(1 << 20) == brk0, "brk grows by 1 MiB");
	memset(brk0, 0x5a, 1 << 20);
	kt_check(sbrk(-(1 << 20)) != (void *)-1 && sbrk(0) == brk0, "brk shrinks back");

	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	p = malloc(4096);
	p[0] = 'p';
	*shared = 0;
	pid = fork();
	if (pid == 0) {
		p[0] = 'c';
		*shared = 1234;
		_exit(0);
	}
	waitpid(pid, &st, 0);
	kt_check(p[0] == 'p', "copy-on-write keeps the parent's page");
	kt_check(*shared == 1234, "MAP_SHARED page is shared with the child");
	return kt_done();
}
