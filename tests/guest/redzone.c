// SPDX-License-Identifier: GPL-2.0
/*
 * Red-zone checker.  The x86-64 ABI gives a leaf function the 128 bytes
 * below RSP; nothing else may write there.  At CPL 0 without IST the CPU
 * pushes interrupt frames right there.  This program fills the red zone
 * with a pattern and re-checks it in a register-only loop while a 1 kHz
 * timer signal and the timer interrupt hit it (and a second process makes
 * the scheduler switch), then reports any corruption.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kt.h"

static volatile sig_atomic_t ticks;

static void on_alarm(int sig)
{
	ticks++;
}

/*
 * A leaf function that keeps data below RSP across its SYSCALL, as
 * glibc's ____longjmp_chk() does with sigaltstack(NULL, &ss): 1 if the
 * word at RSP - 8 survived the system call.  Through the rewriter (modes
 * shim and rewrite) the call that replaces a SYSCALL would push its
 * return address right there, so the rewriter must leave this site alone
 * (libkml/rewrite.c, kml_rw_uses_red_zone()); its unwind entry (CFI)
 * gives the function's bounds.
 */
long redzone_syscall(void);
__asm__(".text\n"
	".globl redzone_syscall\n"
	".type redzone_syscall, @function\n"
	"redzone_syscall:\n\t"
	".cfi_startproc\n\t"
	"movabs $0x5aa5c33c0ff0e11e, %rdx\n\t"
	"mov %rdx, -8(%rsp)\n\t"
	"mov $39, %eax\n"			/* getpid */
	".globl redzone_site\n"
	"redzone_site:\n\t"
	"syscall\n\t"
	"xor %eax, %eax\n\t"
	"cmp %rdx, -8(%rsp)\n\t"
	"sete %al\n\t"
	"ret\n\t"
	".cfi_endproc\n\t"
	".size redzone_syscall, . - redzone_syscall\n");

extern const unsigned char redzone_site[];

/* Returns the number of corrupted checks among @rounds. */
static long check_red_zone(long rounds)
{
	long bad;

	__asm__ volatile(
		"xor	%%r8, %%r8\n\t"			/* bad = 0 */
		"movabs	$0x5a5aa5a5c3c33c3c, %%rax\n\t"
		"mov	$-128, %%rcx\n"
		"1:	mov	%%rax, (%%rsp,%%rcx)\n\t"	/* fill [rsp-128, rsp) */
		"add	$8, %%rcx\n\t"
		"jnz	1b\n"
		"2:	mov	$-128, %%rcx\n"
		"3:	cmp	%%rax, (%%rsp,%%rcx)\n\t"
		"je	4f\n\t"
		"inc	%%r8\n\t"
		"mov	%%rax, (%%rsp,%%rcx)\n"		/* repair, keep counting */
		"4:	add	$8, %%rcx\n\t"
		"jnz	3b\n\t"
		"dec	%1\n\t"
		"jnz	2b\n\t"
		"mov	%%r8, %0\n\t"
		: "=r"(bad), "+r"(rounds)
		: : "rax", "rcx", "r8", "memory", "cc");
	return bad;
}

int main(void)
{
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	long bad, child_bad;
	int st;
	pid_t pid;

	signal(SIGALRM, on_alarm);
	pid = fork();
	if (pid == 0) {
		setitimer(ITIMER_REAL, &it, NULL);
		_exit(check_red_zone(4000000) ? 1 : 0);
	}
	setitimer(ITIMER_REAL, &it, NULL);
	bad = check_red_zone(4000000);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	waitpid(pid, &st, 0);
	child_bad = !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	printf("# %d timer signals during the check\n", (int)ticks);
	kt_check(ticks > 0, "timer signals arrived during the check (%d)", (int)ticks);
	kt_check(bad == 0, "red zone intact in the parent (%ld corrupted words)", bad);
	kt_check(!child_bad, "red zone intact in a concurrent child");
	kt_check(redzone_syscall() == 1, "data below RSP survives a SYSCALL of a leaf function");
	kt_check(redzone_site[0] == 0x0f && redzone_site[1] == 0x05,
		 "its SYSCALL is still one (%02x %02x): the rewriter leaves it alone",
		 redzone_site[0], redzone_site[1]);
	return kt_done();
}
