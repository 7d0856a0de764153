/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux: the system call entry for SYSCALL executed at CPL 0.
 *
 * While a CPU is in the KML state, MSR_LSTAR points to one of the two
 * entries below, so only a KML task ever gets here; every other task uses
 * the unchanged entry_SYSCALL_64.
 *
 * Entry: SYSCALL executed at CPL 0 by a KML program.  RIP in RCX, RFLAGS
 * in R11, IF/TF/DF/AC cleared by MSR_SYSCALL_MASK, CS/SS from MSR_STAR,
 * RSP still the program's stack: SYSCALL pushes nothing, so its red zone
 * is untouched.  GS base = per-CPU base (both bases), kernel CR3 already.
 *
 * Compared with entry_SYSCALL_64 both skip SWAPGS, the CR3 switch, the
 * user/kernel speculation barriers (IBRS, untraining, branch history) and
 * the clearing of the saved registers: the caller is trusted kernel-mode
 * code.  Both build a complete pt_regs with __KML_CS and __KERNEL_DS, so
 * seccomp, ptrace, audit, signals, perf and core dumps see every register
 * and the real selectors.  Both return with IRET at CPL 0, never SYSRET
 * (which lands at CPL 3).
 *
 * entry_SYSCALL_64_kml runs the generic do_syscall_64().
 *
 * entry_SYSCALL_64_kml_fast (chosen at boot, see kml_syscall_entry()) calls
 * the system call directly when there is nothing else to do: no syscall
 * work at entry (seccomp, ptrace syscall stops, audit, tracepoints, user
 * dispatch) and no exit work after it (signals, rescheduling, resume work,
 * FPU reload, I/O bitmap, user return notifiers).  Any such work sends the
 * call, or its exit, down the generic path, which is then exactly the stock
 * one.  What the fast path leaves out, and why that is right for a trusted
 * kernel-mode caller, is listed in Documentation/kml.rst: the per-syscall
 * kernel stack offset randomization, and the exit-to-user speculation
 * measures (IBPB on exit, the AMD divider clear).  The kernel only chooses
 * it when context tracking, lockdep's IRQ tracking and the entry debug
 * checks are all off, since it does not call their hooks.
 *
 * The fast exit returns at CPL 0 and does not reload R12-R15 and RBP,
 * which the system call preserved.  Whatever writes a KML task's pt_regs
 * during a system call (execve(), also the one that leaves kernel mode and
 * puts __USER_CS there, rt_sigreturn(), ptrace writes during a ptrace event
 * stop) sets a work flag through __kml_regs_written(), so that exit is
 * generic and reloads everything.
 */
#include <linux/linkage.h>
#include <linux/errno.h>
#include <linux/objtool.h>
#include <asm/asm.h>
#include <asm/asm-offsets.h>
#include <asm/ibt.h>
#include <asm/nospec-branch.h>
#include <asm/percpu.h>
#include <asm/segment.h>
#include "../entry/calling.h"
#include "kml-asm-offsets.h"

.if KML_SYSCALL_WORK_ANY_MASK > 0x7fffffff || KML_EXIT_WORK_ANY_MASK > 0x7fffffff
.error "KML work masks no longer fit a 32-bit immediate"
.endif

	.pushsection .entry.text, "ax"

/* The hardware-frame half of pt_regs, then the registers, not cleared. */
.macro KML_SYSCALL_SAVE
	movq	%rsp, PER_CPU_VAR(cpu_tss_rw + TSS_sp2)
	movq	PER_CPU_VAR(pcpu_hot + X86_top_of_stack), %rsp
	pushq	$__KERNEL_DS				/* pt_regs->ss */
	pushq	PER_CPU_VAR(cpu_tss_rw + TSS_sp2)	/* pt_regs->sp */
	pushq	%r11					/* pt_regs->flags */
	pushq	$__KML_CS				/* pt_regs->cs */
	pushq	%rcx					/* pt_regs->ip */
	pushq	%rax					/* pt_regs->orig_ax */
	PUSH_REGS rax=$-ENOSYS
.endm

SYM_CODE_START(entry_SYSCALL_64_kml)
	UNWIND_HINT_ENTRY
	ENDBR
	KML_SYSCALL_SAVE
.Lkml_generic:
	movq	%rsp, %rdi
	movslq	%eax, %rsi
	call	do_syscall_64
.Lkml_return:
	/* An execve() of a normal program put __USER_CS there. */
	cmpw	$__KML_CS, CS(%rsp)
	jne	swapgs_restore_regs_and_return_to_usermode
	jmp	restore_regs_and_return_to_kernel

SYM_INNER_LABEL(entry_SYSCALL_64_kml_fast, SYM_L_GLOBAL)
	UNWIND_HINT_ENTRY
	/* Only reached through MSR_LSTAR, never with kernel IBT (refused). */
	ANNOTATE_NOENDBR
	KML_SYSCALL_SAVE
	movq	PER_CPU_VAR(pcpu_hot + X86_current_task), %rbx
	testq	$KML_SYSCALL_WORK_ANY_MASK, KML_TASK_ti_syscall_work(%rbx)
	jnz	.Lkml_generic
	cmpq	$KML_NR_SYSCALLS, %rax
	jae	.Lkml_generic
	/*
	 * No array_index_nospec() on the number: it comes from trusted
	 * kernel-mode code, which could read any table itself.
	 */
	sti
	movq	%rsp, %rdi
	movq	sys_call_table(, %rax, 8), %rax
	CALL_NOSPEC rax
	cli
	/*
	 * %rbx is callee-saved: still current.  Syscall work bits set
	 * during the call (a tracepoint or audit rule enabled meanwhile)
	 * take effect at the next call, as if set just after this check.
	 */
	testq	$KML_EXIT_WORK_ANY_MASK, KML_TASK_ti_flags(%rbx)
	jnz	.Lkml_exit_work
	/*
	 * POP_REGS, except that the result stays in %rax and that R15-R12
	 * and RBP are still the caller's: the C code preserved them, and
	 * whatever writes pt_regs during a system call (execve,
	 * rt_sigreturn, ptrace) also sets a work flag (__kml_regs_written()).
	 */
	addq	$5*8, %rsp	/* r15, r14, r13, r12, bp */
	popq	%rbx
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rcx		/* pt_regs->ax: -ENOSYS, the result is in %rax */
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	addq	$8, %rsp	/* orig_ax */
	UNWIND_HINT_IRET_REGS
	/*
	 * The stock IRET, whose faults (an rt_sigreturn() to a non-canonical
	 * RIP) the #GP entry knows how to turn into a signal.
	 */
	jmp	native_irq_return_iret

.Lkml_exit_work:
	UNWIND_HINT_REGS
	movq	%rax, RAX(%rsp)
	sti
	movq	%rsp, %rdi
	call	syscall_exit_to_user_mode
	jmp	.Lkml_return
SYM_CODE_END(entry_SYSCALL_64_kml)
_ASM_NOKPROBE(entry_SYSCALL_64_kml)

	.popsection
