// SPDX-License-Identifier: GPL-2.0
/*
 * A tracer moves its tracee into the direct call's GS prologue.  The
 * prologue (KML_DIRECT_PROLOGUE in entry_kml_syscall.S) computes this
 * CPU's per-CPU base in R11 and writes it to GS with WRGSBASE, at CPL 0,
 * before the POP of the return address.  A tracee stopped there and
 * resumed with a different R11 or RIP would write whatever R11 then holds
 * as the kernel's GS base; the kernel must start such a call again from
 * the entry's first instruction, where R11 is scratch.
 *
 * The tracee stops with SIGSTOP.  For each case the tracer sets up a
 * direct getpid by hand, as a call would leave it (return address at
 * RSP, below a red zone's worth of the tracee's stack; RAX 39), with RIP
 * at one place in the prologue and R11 a value that must not reach GS.
 * The return address is an INT3 in the tracee, so the call ends in a
 * SIGTRAP stop, where RAX must be the tracee's pid.  The places, found
 * in kernel text by their bytes:
 *
 *  - the entry's first instruction and the POP after the WRGSBASE: R11
 *    is not used there, the call just runs;
 *  - with FSGSBASE, the WRGSBASE itself (R11 the base it writes), the
 *    load of __per_cpu_offset[R11] before it and the mask of the CPU
 *    number before that.
 *
 * Last, the tracee gets its own registers back, makes more calls and
 * exits normally.  From /bin (no direct calls) the same is done with a
 * SYSCALL instruction in the tracee instead of the entry: the tracer's
 * set-up works, and R11 written there does no harm.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kml.h"
#include "kt.h"
#include "kt-regs.h"

#define RED_ZONE	128

extern char ret_trap[], syscall_insn[];

/* Never called: the tracer points the tracee's RIP and return addresses here. */
__asm__(".pushsection .text\n"
	".globl ret_trap, syscall_insn\n"
	"ret_trap:\n\t"
	"int3\n\t"
	"ud2\n"
	"syscall_insn:\n\t"
	"syscall\n\t"
	"int3\n\t"
	"ud2\n"
	".popsection");

/*
 * Whether the kernel uses FSGSBASE, which decides the prologue
 * (ALTERNATIVE on X86_FEATURE_FSGSBASE): CR4.FSGSBASE, read at CPL 0.
 * CPUID alone would still show the instruction with nofsgsbase.
 */
static int kernel_fsgsbase(void)
{
	unsigned long cr4;

	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	return !!(cr4 & (1UL << 16));
}

static pid_t child;
static struct user_regs_struct saved;

/*
 * One call set up by hand from the tracee's stop at @saved: RIP at @ip,
 * R11 @r11; returns 1 if it ended at ret_trap with the pid in RAX.
 */
static int call_at(const char *what, unsigned long ip, unsigned long r11)
{
	struct user_regs_struct r = saved, back;
	unsigned long sp = ((saved.rsp - RED_ZONE) & ~15UL) - 8;
	int st;

	r.rip = ip;
	r.r11 = r11;
	r.rax = SYS_getpid;
	r.orig_rax = -1;	/* not in a system call: no restart */
	if (kml_direct) {
		r.rsp = sp;
		if (ptrace(PTRACE_POKEDATA, child, sp, ret_trap)) {
			printf("# %s: POKEDATA: %s\n", what, strerror(errno));
			return 0;
		}
	}
	if (ptrace(PTRACE_SETREGS, child, 0, &r) ||
	    ptrace(PTRACE_GETREGS, child, 0, &back)) {
		printf("# %s: SETREGS/GETREGS: %s\n", what, strerror(errno));
		return 0;
	}
	if (back.rip != ip || back.r11 != r11) {
		printf("# %s: the tracer wrote rip %#lx r11 %#lx, reads %#llx %#llx\n", what,
		       ip, r11, back.rip, back.r11);
		return 0;
	}
	if (ptrace(PTRACE_CONT, child, 0, 0) || waitpid(child, &st, __WALL) != child)
		return 0;
	if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP) {
		printf("# %s: status %#x instead of a SIGTRAP stop\n", what, st);
		if (WIFSTOPPED(st) && !ptrace(PTRACE_GETREGS, child, 0, &back))
			printf("#   at rip %#llx\n", back.rip);
		return 0;
	}
	ptrace(PTRACE_GETREGS, child, 0, &back);
	if (back.rip != (unsigned long)(kml_direct ? ret_trap : syscall_insn + 2) + 1 ||
	    back.rax != (unsigned long)child) {
		printf("# %s: stopped at rip %#llx with rax %#llx (pid %d)\n", what, back.rip,
		       back.rax, child);
		return 0;
	}
	return 1;
}

static void child_main(void)
{
	long pid;
	int i, bad = 0;

	if (ptrace(PTRACE_TRACEME, 0, 0, 0))
		_exit(3);
	raise(SIGSTOP);
	pid = getpid();
	for (i = 0; i < 1000; i++)
		if (kml_syscall0(SYS_getpid) != pid || syscall(SYS_getppid) != getppid())
			bad++;
	_exit(bad ? 1 : 0);
}

int main(void)
{
	static const unsigned char wrgsbase_r11[] = { 0xf3, 0x49, 0x0f, 0xae, 0xdb };
	static const unsigned char mov_offset_r11[] = { 0x4e, 0x8b, 0x1c, 0xdd };
	static const unsigned char and_r11[] = { 0x49, 0x81, 0xe3 };
	const char *e = getenv("KMLTEST_EXPECT_CPL");
	int expect_cpl = e ? atoi(e) : 3;
	long wr = -1, mov = -1, and = -1, done = -1;
	int st;

	kt_check(kml_direct == (expect_cpl == 0),
		 "direct calls %s, as expected here (CPL %d)",
		 kml_direct ? "available" : "not available", kt_cpl());
	if (kml_direct) {
		done = kt_prologue_find(kt_gs_done, sizeof(kt_gs_done));
		wr = kt_prologue_find(wrgsbase_r11, sizeof(wrgsbase_r11));
		mov = kt_prologue_find(mov_offset_r11, sizeof(mov_offset_r11));
		and = kt_prologue_find(and_r11, sizeof(and_r11));
		kt_check(done > 0, "the GS prologue ends at +%ld (POP R11; MOV RSP to RCX; CLD)", done);
		if (kernel_fsgsbase())
			kt_check(and >= 0 && and < mov && mov < wr && wr < done,
				 "with FSGSBASE: AND R11 at +%ld, MOV R11 from __per_cpu_offset "
				 "at +%ld, WRGSBASE R11 at +%ld, before the POP", and, mov, wr);
		else
			kt_check(wr < 0, "without FSGSBASE, no WRGSBASE in the prologue%s",
				 wr < 0 ? "" : " (but there is one)");
	}

	child = fork();
	if (child == 0)
		child_main();
	if (waitpid(child, &st, __WALL) != child || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP ||
	    ptrace(PTRACE_GETREGS, child, 0, &saved)) {
		kt_check(0, "the tracee stops with SIGSTOP (status %#x)", st);
		kill(child, SIGKILL);
		return kt_done();
	}

	if (!kml_direct) {
		kt_check(call_at("syscall", (unsigned long)syscall_insn, 0x1000),
			 "a getpid set up by the tracer at a SYSCALL in the tracee, R11 0x1000");
	} else {
		unsigned long entry = kml_direct_entry;

		kt_check(call_at("entry", entry, 0x1000),
			 "RIP at the entry's first instruction, R11 0x1000: the call works");
		kt_check(call_at("pop", entry + done, 0x1000),
			 "RIP at the POP after the prologue, R11 0x1000: the call works");
		if (wr >= 0) {
			kt_check(call_at("wrgsbase", entry + wr, 0x1000),
				 "RIP at the WRGSBASE, R11 0x1000: the call works");
			kt_check(call_at("wrgsbase", entry + wr, entry),
				 "RIP at the WRGSBASE, R11 a kernel text address: the call works");
			kt_check(call_at("mov", entry + mov, 4095),
				 "RIP at the load from __per_cpu_offset, R11 4095: the call works");
			kt_check(call_at("and", entry + and, -1UL),
				 "RIP at the mask of the CPU number, R11 all ones: the call works");
		}
	}

	if (ptrace(PTRACE_SETREGS, child, 0, &saved) || ptrace(PTRACE_CONT, child, 0, 0) ||
	    waitpid(child, &st, __WALL) != child)
		st = -1;
	kt_check(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		 "the tracee, its own registers back, makes 1000 more calls right and exits "
		 "normally (status %#x)", st);
	return kt_done();
}
