// SPDX-License-Identifier: GPL-2.0
/*
 * Stack starvation.  A program may point RSP anywhere while it does not
 * use the stack.  At CPL 0 without IST an interrupt would push its frame
 * there: on an unmapped page that is a double fault.  The child spins with
 * RSP on an unmapped page while the timer interrupt and a competing
 * process on the same CPU force interrupts and context switches, then
 * restores RSP and exits normally; the same with RSP at a kernel-half
 * address and at a non-canonical one, which a KML program may load too.
 * That an interrupt really landed in the spin, the child checks itself:
 * its count of involuntary context switches (/proc/self/status), which
 * only an interrupt can cause while it spins, grew (it spins again
 * until it did).  Then a push onto an unmapped stack must kill the child
 * with SIGSEGV, and nothing else.
 */
#define _GNU_SOURCE
#include <sched.h>
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
		"mov	%1, %%rsp\n"
		"1:	dec	%0\n\t"
		"jnz	1b\n\t"
		"mov	%%r9, %%rsp\n\t"
		: "+r"(n) : "r"(bad_sp) : "r9", "memory", "cc");
}

/* This process's involuntary context switches so far. */
static long involuntary_switches(void)
{
	return kt_status_value("nonvoluntary_ctxt_switches:");
}

/*
 * The child: spin with RSP at @bad_sp, n iterations at a time, until an
 * interrupt switched it out meanwhile; exit 0, or 3 if none ever did.
 */
static void spin_child(char *bad_sp, long n)
{
	long before, after;
	int i;

	for (i = 0; i < 20; i++) {
		before = involuntary_switches();
		spin_on_bad_stack(bad_sp, n);
		after = involuntary_switches();
		if (before >= 0 && after > before) {
			printf("# RSP = %p: %ld involuntary switches during a spin\n", bad_sp,
			       after - before);
			fflush(stdout);
			_exit(0);
		}
	}
	_exit(3);
}

/* A process that competes for this CPU (the caller's affinity, one CPU). */
static pid_t hog_start(void)
{
	pid_t hog = fork();

	if (hog == 0)
		for (;;)
			;
	return hog;
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
	cpu_set_t one;
	pid_t pid, hog;
	int st;

	/* the spinning child and the hog share one CPU: the hog preempts it */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	kt_check(sched_setaffinity(0, sizeof(one), &one) == 0, "pinned to CPU %d", sched_getcpu());
	hog = hog_start();

	t0 = __rdtsc();
	pid = fork();
	if (pid == 0)
		spin_child(bad, 100000000);
	waitpid(pid, &st, 0);
	t1 = __rdtsc();
	kill(hog, SIGKILL);
	waitpid(hog, NULL, 0);
	printf("# spun %llu TSC ticks with RSP on an unmapped page\n", t1 - t0);
	kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		 "spinning with RSP on an unmapped page survives interrupts and switches, "
		 "and was switched out during it (status %#x)", st);

	{
		static char *const odd[] = {
			(char *)0xffffc90000000000UL,	/* kernel half (vmalloc) */
			(char *)0x8000000000000000UL,	/* non-canonical */
		};
		unsigned int i;

		for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
			hog = hog_start();
			pid = fork();
			if (pid == 0)
				spin_child(odd[i], 50000000);
			waitpid(pid, &st, 0);
			kill(hog, SIGKILL);
			waitpid(hog, NULL, 0);
			kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
				 "spinning with RSP = %p survives interrupts and switches, and was "
				 "switched out during it (status %#x)", odd[i], st);
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
