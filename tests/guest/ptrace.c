// SPDX-License-Identifier: GPL-2.0
/*
 * Debugging a program: PTRACE_GETREGS, an int3 breakpoint, single-stepping
 * a known instruction sequence, and PTRACE_SYSCALL stops around system
 * calls (what strace does).  The tracee is this program's own child, so
 * it runs in the same mode as the test.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kt.h"

extern char step_start[], step_end[], bp_after[];

static void stepped_code(void)
{
	__asm__ volatile(
		".globl step_start, step_end, bp_after\n"
		"step_start:\n\t"
		"mov	$5, %%ecx\n"
		"1:	dec	%%ecx\n\t"
		"jnz	1b\n"		/* 1 + 5 * 2 = 11 instructions */
		"step_end:\n\t"
		"movabs	$0x1122334455667788, %%r12\n\t"
		"int3\n"
		"bp_after:\n\t"
		"nop\n\t"
		: : : "rcx", "r12", "memory", "cc");
}

int main(void)
{
	struct user_regs_struct r;
	int st, steps = 0, stops = 0, i;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		stepped_code();
		for (i = 0; i < 3; i++)
			syscall(SYS_getppid);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	kt_check(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP, "tracee stopped");

	/* Single-step from step_start to step_end. */
	ptrace(PTRACE_GETREGS, pid, 0, &r);
	r.rip = (unsigned long)step_start;
	ptrace(PTRACE_SETREGS, pid, 0, &r);
	do {
		ptrace(PTRACE_SINGLESTEP, pid, 0, 0);
		waitpid(pid, &st, 0);
		if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP)
			break;
		ptrace(PTRACE_GETREGS, pid, 0, &r);
		steps++;
	} while (r.rip != (unsigned long)step_end && steps < 100);
	kt_check(r.rip == (unsigned long)step_end && steps == 11,
		 "single-stepped 11 instructions (%d, rip %#llx)", steps, r.rip);

	/* Continue into the int3 breakpoint. */
	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &st, 0);
	ptrace(PTRACE_GETREGS, pid, 0, &r);
	kt_check(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP && r.rip == (unsigned long)bp_after,
		 "int3 stops with SIGTRAP after the breakpoint");
	/* GETREGS reads the saved registers where they really are. */
	kt_check(r.r12 == 0x1122334455667788ULL, "GETREGS at the breakpoint shows r12 (%#llx)", r.r12);

	/* PTRACE_SYSCALL: an entry and an exit stop per system call. */
	for (;;) {
		ptrace(PTRACE_SYSCALL, pid, 0, 0);
		waitpid(pid, &st, 0);
		if (!WIFSTOPPED(st))
			break;
		ptrace(PTRACE_GETREGS, pid, 0, &r);
		if (r.orig_rax == SYS_getppid)
			stops++;
	}
	kt_check(stops == 6, "PTRACE_SYSCALL: 6 stops for 3 getppid calls (%d)", stops);
	kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "tracee exits normally");
	return kt_done();
}
