// SPDX-License-Identifier: GPL-2.0
/*
 * Memory: stack growth through deep recursion, anonymous and shared
 * mappings, mprotect faults, brk, copy-on-write after fork, and a page
 * fault with interrupts off (CLI works at CPL 0).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <string.h>
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

static volatile sig_atomic_t irq_code;
static void *volatile irq_addr;

static void on_segv_info(int sig, siginfo_t *si, void *uc)
{
	/* The handler inherits the flags: put IF back where CLI worked. */
	if (kt_cpl() == 0)
		__asm__ volatile("sti" ::: "memory");
	irq_code = si->si_code;
	irq_addr = si->si_addr;
	siglongjmp(jb, 1);
}

/*
 * At CPL 3 CLI raises #GP: SIGSEGV at the CLI.  At CPL 0 (KML) it works,
 * and a page fault while interrupts are off cannot be served (it may
 * sleep): SIGSEGV for the faulting address, as the stock kernel treats a
 * user fault with IF clear, without a kernel warning (the harness fails
 * a boot whose log has one).  Then the same page faults in normally.
 */
static void test_irqs_off_fault(void)
{
	struct sigaction sa, old;
	volatile char *q;
	int kml = kt_cpl() == 0;

	q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv_info;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, &old);
	irq_code = 0;
	irq_addr = NULL;
	if (!sigsetjmp(jb, 1)) {
		__asm__ volatile("cli" ::: "memory");
		q[0] = 1;
		__asm__ volatile("sti" ::: "memory");
	}
	if (kml)
		kt_check(irq_addr == (void *)q && irq_code == SEGV_MAPERR,
			 "a page fault after CLI (CPL 0) gives SIGSEGV for the page "
			 "(si_code %d, si_addr %p, page %p)", irq_code, irq_addr, (void *)q);
	else
		kt_check(irq_code == SI_KERNEL, "CLI at CPL 3 gives SIGSEGV (si_code %d)",
			 irq_code);
	q[0] = 2;
	kt_check(q[0] == 2, "the page faults in afterwards, interrupts on");
	sigaction(SIGSEGV, &old, NULL);
	munmap((void *)q, 4096);
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
	test_irqs_off_fault();
	return kt_done();
}
