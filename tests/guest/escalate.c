// SPDX-License-Identifier: GPL-2.0
/*
 * Privilege: no route between ring 3 and ring 0 except exec.
 *  - ptrace SETREGS of every ring 0 selector into a tracee is refused
 *    (EIO) or changes nothing; a KML tracee cannot be moved to ring 3;
 *  - a forged sigreturn frame can neither load a ring 0 selector into a
 *    normal task nor take a KML task out of ring 0;
 *  - /proc/self/status KernelMode agrees with the CPL.
 * Runs the same checks from /bin (ring 3) and /trusted (ring 0).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>
#include "kt.h"

#define KML_CS		0x80	/* GDT entry 16 */
#define KML_DS		0x88	/* GDT entry 17 */
#define USER_CS		0x33
#define USER_DS		0x2b

static int forged_cs;

static void forge(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = &uc->uc_mcontext.gregs[REG_CSGSFS];

	*g = (*g & ~0xffffULL) | (unsigned)forged_cs;
}

/* Child: forge CS in a sigreturn frame, then report the CPL it runs at. */
static int sigreturn_child(int cs)
{
	struct sigaction sa = { .sa_sigaction = forge, .sa_flags = SA_SIGINFO };
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		forged_cs = cs;
		sigaction(SIGUSR1, &sa, NULL);
		raise(SIGUSR1);
		_exit(10 + kt_cpl());
	}
	waitpid(pid, &st, 0);
	return st;
}

/* SETREGS with one selector replaced must fail with EIO. */
static void check_setregs_refused(pid_t pid, const struct user_regs_struct *orig,
				  int ss, unsigned short sel)
{
	struct user_regs_struct regs = *orig;
	long r;

	if (ss)
		regs.ss = sel;
	else
		regs.cs = sel;
	errno = 0;
	r = ptrace(PTRACE_SETREGS, pid, 0, &regs);
	kt_check(r == -1 && errno == EIO, "SETREGS %s=%#x refused with EIO", ss ? "ss" : "cs", sel);
}

int main(void)
{
	int cpl = kt_cpl(), st, r, i;
	int kml = cpl == 0;
	/* Every GDT slot (1-17) with RPL 0, and __KML_CS with RPL 1 and 2. */
	unsigned short bad[19];
	struct user_regs_struct regs, orig;
	pid_t pid;

	kt_check(kt_kernel_mode() == kml, "/proc/self/status KernelMode is %d at CPL %d",
		 kt_kernel_mode(), cpl);
	for (i = 0; i < 17; i++)
		bad[i] = (i + 1) * 8;
	bad[17] = KML_CS | 1;
	bad[18] = KML_CS | 2;

	pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		_exit(kt_cpl());
	}
	waitpid(pid, &st, 0);
	ptrace(PTRACE_GETREGS, pid, 0, &orig);
	kt_check(orig.cs == (kml ? KML_CS : USER_CS) && orig.ss == (kml ? KML_DS : USER_DS),
		 "GETREGS shows cs %#llx ss %#llx", orig.cs, orig.ss);
	regs = orig;
	kt_check(ptrace(PTRACE_SETREGS, pid, 0, &regs) == 0, "SETREGS of unchanged registers works");
	/* Every ring 0 selector but the tracee's own is refused. */
	for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
		if (bad[i] != orig.cs)
			check_setregs_refused(pid, &orig, 0, bad[i]);
		if (bad[i] != orig.ss)
			check_setregs_refused(pid, &orig, 1, bad[i]);
	}
	if (kml) {
		regs = orig;
		regs.cs = USER_CS;
		regs.ss = USER_DS;
		r = ptrace(PTRACE_SETREGS, pid, 0, &regs);
		kt_check(r == -1 && errno == EIO, "SETREGS cannot move a KML task to ring 3");
		r = ptrace(PTRACE_POKEUSER, pid, offsetof(struct user_regs_struct, cs), USER_CS);
		kt_check(r == -1 && errno == EIO, "POKEUSER cannot either");
	} else {
		r = ptrace(PTRACE_POKEUSER, pid, offsetof(struct user_regs_struct, cs), KML_CS);
		kt_check(r == -1 && errno == EIO, "POKEUSER cs=__KML_CS refused");
	}
	ptrace(PTRACE_CONT, pid, 0, 0);
	waitpid(pid, &st, 0);
	kt_check(WIFEXITED(st) && WEXITSTATUS(st) == cpl, "tracee still runs at CPL %d", cpl);

	/* Forged sigreturn frames. */
	if (kml) {
		st = sigreturn_child(USER_CS);
		kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 10,
			 "sigreturn with cs=__USER_CS keeps a KML task at CPL 0 (status %#x)", st);
	} else {
		for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
			st = sigreturn_child(bad[i]);
			kt_check((WIFEXITED(st) && WEXITSTATUS(st) == 13) ||
				 (WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV),
				 "sigreturn with cs=%#x never reaches ring 0 (status %#x)", bad[i], st);
		}
	}
	return kt_done();
}
