// SPDX-License-Identifier: GPL-2.0
/*
 * Stack starvation.  A program may point RSP anywhere while it does not
 * use the stack.  At CPL 0 without IST an interrupt would push its frame
 * there: on an unmapped page that is a double fault.  The child spins with
 * RSP on an unmapped page while the timer interrupt and a competing
 * process force interrupts and context switches, then restores RSP and
 * exits normally; the same with RSP at a kernel-half address and at a
 * non-canonical one, which a KML program may load too.  Then a push onto
 * an unmapped stack must kill the child with SIGSEGV, and nothing else.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <x86intrin.h>
#include "kt.h"

static char *unmapped_page(void)
{
	char *p = mmap(NULL, 3 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	munmap(p + 4096, 4096);
	return p + 4096 + 2048;		/* middle of a hole */
}

static void spin_on_bad_stack(char *bad_sp, long n)
{
	__asm__ volatile(
		"mov	%%rsp, %%r9\n\t"
		"mov	%0, %%rsp\n"
		"1:	dec	%1\n\t"
		"jnz	1b\n\t"
		"mov	%%r9, %%rsp\n\t"
		: : "r"(bad_sp), "r"(n) : "r9", "memory", "cc");
}

static void push_on_bad_stack(char *bad_sp)
{
	__asm__ volatile(
		"mov	%0, %%rsp\n\t"
		"push	%%rax\n\t"		/* faults: no stack to deliver on */
		"ud2\n\t"
		: : "r"(bad_sp) : "memory");
}

int main(void)
{
	char *bad = unmapped_page();
	unsigned long long t0, t1;
	pid_t pid, hog;
	int st;

	hog = fork();
	if (hog == 0)
		for (;;)
			;

	t0 = __rdtsc();
	pid = fork();
	if (pid == 0) {
		spin_on_bad_stack(bad, 300000000);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	t1 = __rdtsc();
	kill(hog, SIGKILL);
	waitpid(hog, NULL, 0);
	printf("# spun %llu TSC ticks with RSP on an unmapped page\n", t1 - t0);
	kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		 "spinning with RSP on an unmapped page survives interrupts and switches");

	{
		static char *const odd[] = {
			(char *)0xffffc90000000000UL,	/* kernel half (vmalloc) */
			(char *)0x8000000000000000UL,	/* non-canonical */
		};
		unsigned int i;

		for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
			hog = fork();
			if (hog == 0)
				for (;;)
					;
			pid = fork();
			if (pid == 0) {
				spin_on_bad_stack(odd[i], 100000000);
				_exit(0);
			}
			waitpid(pid, &st, 0);
			kill(hog, SIGKILL);
			waitpid(hog, NULL, 0);
			kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
				 "spinning with RSP = %p survives interrupts and switches", odd[i]);
		}
	}

	pid = fork();
	if (pid == 0) {
		push_on_bad_stack(bad);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	kt_check(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
		 "a push onto an unmapped stack kills with SIGSEGV (status %#x)", st);
	return kt_done();
}
