/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux: the system call entry for SYSCALL executed at CPL 0.
 *
 * While a CPU is in the KML state, MSR_LSTAR points to one of the two
 * entries below, so only a KML task ever gets here; every other task uses
 * the unchanged entry_SYSCALL_64.
 *
 * Entry: SYSCALL executed at CPL 0 by a KML program.  RIP in RCX, RFLAGS
 * in R11, IF/TF/DF/AC cleared by MSR_SYSCALL_MASK, CS/SS from MSR_STAR:
 * __KML_CS and __KML_DS, the program's own selectors (kml_syscall_cs()),
 * so that the exit can return to it without reloading them.  RSP still
 * the program's stack: SYSCALL pushes nothing, so its red zone is
 * untouched.  Kernel CR3 already.  GS base: the per-CPU base in both
 * bases, unless the program wrote GS itself (WRGSBASE, a selector load),
 * which it must not do but which must not crash the kernel either.  On a
 * CPU with FSGSBASE, MSR_LSTAR therefore points to this CPU's copy of
 * kml_syscall_stub, which restores the GS base without using it and jumps
 * to the _hwframe label of one of the entries; every other entry from KML
 * code (direct calls, the IST stubs of entry_kml.S) restores it too.
 * Without FSGSBASE, MSR_LSTAR points to the entry itself.
 *
 * Compared with entry_SYSCALL_64 both skip SWAPGS, the CR3 switch, the
 * speculation barriers that protect the kernel from its caller (VERW,
 * SWAPGS fences) and the clearing of the saved registers: the caller is
 * trusted kernel-mode code.  The defences against other processes'
 * predictor training (IBRS, untraining, branch history, the VMSCAPE
 * IBPB) they apply as the stock entry does (KML_MITIGATE_ENTRY and
 * KML_MITIGATE_EXIT, asm/kml.h).  Both build a complete pt_regs with
 * __KML_CS and __KML_DS, so seccomp, ptrace, audit, signals, perf and
 * core dumps see every register
 * and the real selectors.  Both return at CPL 0, never with SYSRET (which
 * lands at CPL 3): where the frame is as SYSCALL left it (RCX the return
 * address, R11 the flags, TF clear and IF set, as the checks before a
 * stock SYSRET), with POPF and "sti; jmp *%rcx" (KML_RETURN_JMP), else
 * with IRET.
 *
 * entry_SYSCALL_64_kml runs the generic do_syscall_64().
 *
 * entry_SYSCALL_64_kml_fast (chosen at boot, see kml_syscall_entry()) calls
 * the system call directly when there is no syscall work at entry
 * (seccomp, ptrace syscall stops, audit, tracepoints, user dispatch); any
 * sends the call down the generic path, which is then exactly the stock
 * one.  Exit work after it (signals, rescheduling, resume work, FPU
 * reload, I/O bitmap, user return notifiers) or, with
 * CONFIG_X86_DEBUG_FPU, an FPU state that the stock exit would warn about
 * runs as the stock exit runs it (kml_syscall_exit_work()), and the fast
 * exit goes on where that left the registers alone; else the generic
 * exit returns.  What the fast path leaves out, and why
 * that is right for a trusted kernel-mode caller, is listed in
 * Documentation/kml.rst: the per-syscall kernel stack offset
 * randomization and the AMD divider clear.  The kernel only chooses it
 * when context tracking, lockdep's IRQ tracking and the entry debug
 * checks are all off, since it does not call their hooks; the FPU check
 * of CONFIG_X86_DEBUG_FPU, on in distribution kernels, it does itself.
 *
 * The fast exit returns at CPL 0 and does not reload R12-R15 and RBP,
 * which the system call preserved.  Whatever writes a KML task's pt_regs
 * during a system call (execve(), also the one that leaves kernel mode
 * and puts __USER_CS there, rt_sigreturn(), ptrace writes during a ptrace
 * event stop) sets a work flag through __kml_regs_written(), so that exit
 * is generic and reloads everything.
 */
#include <linux/linkage.h>
#include <linux/errno.h>
#include <linux/objtool.h>
#include <asm/asm.h>
#include <asm/alternative.h>
#include <asm/asm-offsets.h>
#include <asm/cpufeatures.h>
#include <asm/ibt.h>
#include <asm/kml.h>
#include <asm/nospec-branch.h>
#include <asm/percpu.h>
#include <asm/processor-flags.h>
#include <asm/segment.h>
#include "../entry/calling.h"
#include "kml-asm-offsets.h"

.if KML_SYSCALL_WORK_ANY_MASK > 0x7fffffff || KML_EXIT_WORK_ANY_MASK > 0x7fffffff
.error "KML work masks no longer fit a 32-bit immediate"
.endif

	.pushsection .entry.text, "ax"

/*
 * The hardware-frame half of pt_regs, then the registers, not cleared.
 * After SYSCALL the flags are in R11 and the return address in RCX.
 */
.macro KML_PUSH_HWFRAME sp, flags=%r11, ip=%rcx
	pushq	$__KML_DS				/* pt_regs->ss */
	pushq	\sp					/* pt_regs->sp */
	pushq	\flags					/* pt_regs->flags */
	pushq	$__KML_CS				/* pt_regs->cs */
	pushq	\ip					/* pt_regs->ip */
.endm

.macro KML_SYSCALL_HWFRAME flags=%r11, ip=%rcx
	movq	%rsp, PER_CPU_VAR(cpu_tss_rw + TSS_sp2)
	movq	PER_CPU_VAR(pcpu_hot + X86_top_of_stack), %rsp
	KML_PUSH_HWFRAME sp=PER_CPU_VAR(cpu_tss_rw + TSS_sp2), flags=\flags, ip=\ip
.endm

.macro KML_SYSCALL_REGS
	pushq	%rax					/* pt_regs->orig_ax */
	PUSH_REGS rax=$-ENOSYS
.endm

.macro KML_SYSCALL_SAVE flags=%r11, ip=%rcx
	KML_SYSCALL_HWFRAME flags=\flags, ip=\ip
	KML_SYSCALL_REGS
.endm

/*
 * POP_REGS, except that the result stays in %rax and that R15-R12 and RBP
 * are still the caller's: the C code preserved them, and whatever writes
 * pt_regs during a system call (execve, rt_sigreturn, ptrace) also sets a
 * work flag (__kml_regs_written()).  Loads rather than pops, so that the
 * skipped slots cost nothing: %rsp stays at pt_regs, and the caller then
 * moves it to the hardware frame or to the program's stack.  For a direct
 * call RCX gets the return address instead of pt_regs->cx.
 */
.macro KML_FAST_RESTORE direct=0
	movq	RBX(%rsp), %rbx
	movq	R11(%rsp), %r11
	movq	R10(%rsp), %r10
	movq	R9(%rsp), %r9
	movq	R8(%rsp), %r8
.if \direct
	movq	RIP(%rsp), %rcx		/* as after SYSCALL */
.else
	movq	RCX(%rsp), %rcx
.endif
	movq	RDX(%rsp), %rdx
	movq	RSI(%rsp), %rsi
	movq	RDI(%rsp), %rdi
.endm

/*
 * The return to KML user code without IRET.  \frame is where %rsp points
 * in pt_regs (the pt_regs offset of the slot at %rsp), every register but
 * RSP is the program's, and RCX is the return address (pt_regs->ip), as
 * after SYSCALL.  POPF restores the flags with IF still clear (the
 * frame's TF is clear, checked by the caller: a trap would land in
 * kernel text), then the stack is the program's and STI's interrupt
 * shadow covers the JMP, so the first interrupt lands at the return
 * address, a KML user frame.  An NMI, #MC or #DB between the MOV and the
 * JMP sees a KML user frame at a kernel RIP (RSP is the program's), as in
 * the direct call's exit below.  The CPU's CS and SS stay what they are:
 * the caller has made sure they are the program's.
 */
.macro KML_RETURN_JMP frame=0
	pushq	EFLAGS-\frame(%rsp)
	andq	$~X86_EFLAGS_IF, (%rsp)
	popfq
	movq	RSP-\frame(%rsp), %rsp
	sti
	ANNOTATE_RETPOLINE_SAFE
	jmp	*%rcx
.endm

/*
 * The fast path of both kinds of entry, with pt_regs built: with no
 * syscall work and a valid number, call the system call; with no exit
 * work after it, restore the registers (KML_FAST_RESTORE) and fall
 * through to the caller's return, with %rsp still at pt_regs.  Anything
 * else goes to the generic paths.
 */
/* To the generic path; a direct call's first clears IF, as SYSCALL does. */
.macro KML_TO_GENERIC cc, direct
.if \direct
	j\cc	.Lkml_generic_direct
.else
	j\cc	.Lkml_generic
.endif
.endm

/* To the exit work (KML_EXIT_WORK) of the call's kind. */
.macro KML_TO_EXIT_WORK cc, direct
.if \direct
	j\cc	.Lkml_exit_work_direct
.else
	j\cc	.Lkml_exit_work
.endif
.endm

/*
 * A direct call's return address, still in R11, for the generic exit to
 * know the frame as the call's own (.Lkml_return), unless something
 * writes the registers meanwhile (kml_force_generic_exit() clears it).
 */
.macro KML_DIRECT_NOTE_IP task
	movq	%r11, KML_TASK_thread_direct_ip(\task)
.endm

.macro KML_FAST_CALL direct=0
	/* current in RBX, after the entry defences where the CPU needs any */
.if \direct
	KML_ALT_ENTRY __stringify(movq PER_CPU_VAR(pcpu_hot + X86_current_task), %rbx), \
		      "call kml_mitigate_entry_current_irqs_on"
.else
	KML_ALT_ENTRY __stringify(movq PER_CPU_VAR(pcpu_hot + X86_current_task), %rbx), \
		      "call kml_mitigate_entry_current"
.endif
.if \direct
	KML_DIRECT_NOTE_IP %rbx
.endif
	testq	$KML_SYSCALL_WORK_ANY_MASK, KML_TASK_ti_syscall_work(%rbx)
	KML_TO_GENERIC nz, \direct
	cmpq	$KML_NR_SYSCALLS, %rax
	KML_TO_GENERIC ae, \direct
.if !\direct
	/*
	 * The fast exit (KML_RETURN_JMP) wants TF clear and IF set in the
	 * flags, in R11 after SYSCALL (and saved, KML_FAST_RESTORE reloads
	 * it): a program that single-steps itself over SYSCALL (TF set
	 * before it, the trap expected after it) or that calls with
	 * interrupts off takes the generic path, and its IRET.  A direct
	 * call's flags are always IF alone.
	 */
	andl	$(X86_EFLAGS_TF | X86_EFLAGS_IF), %r11d
	cmpl	$X86_EFLAGS_IF, %r11d
	jne	.Lkml_generic
.endif
	/*
	 * No array_index_nospec() on the number: it comes from trusted
	 * kernel-mode code, which could read any table itself.  A direct
	 * call runs with IF set already.
	 */
.if !\direct
	sti
.endif
	movq	%rsp, %rdi
	movq	sys_call_table(, %rax, 8), %rax
	CALL_NOSPEC rax
	cli
	/* %rbx is callee-saved: still current. */
#ifdef CONFIG_X86_DEBUG_FPU
	/*
	 * With this option every stock exit checks that the task's FPU
	 * registers are the ones loaded on this CPU, unless it is about to
	 * load them (fpregs_assert_state_consistent(); TIF_NEED_FPU_LOAD is
	 * exit work, below).  The same test, inline: if it fails, the
	 * generic exit runs the stock check, which warns (or loads them).
	 */
	leaq	KML_TASK_thread_fpu(%rbx), %rcx
	cmpq	%rcx, PER_CPU_VAR(fpu_fpregs_owner_ctx)
	KML_TO_EXIT_WORK ne, \direct
	movl	PER_CPU_VAR(pcpu_hot + KML_pcpu_hot_cpu_number), %ecx
	cmpl	%ecx, KML_TASK_thread_fpu + KML_FPU_last_cpu(%rbx)
	KML_TO_EXIT_WORK ne, \direct
#endif
	/*
	 * Exit work, last: without any, the exit defences where the CPU
	 * needs them (kml_mitigate_exit_test answers in ECX).  Syscall work
	 * bits set during the call (a tracepoint or audit rule enabled
	 * meanwhile) take effect at the next call, as if set just after the
	 * entry's check.
	 */
	KML_ALT_EXIT __stringify(testq $KML_EXIT_WORK_ANY_MASK, KML_TASK_ti_flags(%rbx)), \
		     "call kml_mitigate_exit_test; testl %ecx, %ecx"
	KML_TO_EXIT_WORK nz, \direct
	KML_FAST_RESTORE direct=\direct
.endm

/*
 * The exit work of the fast path (IF clear, the result in %rax, RBX
 * current): kml_syscall_exit_work() runs it as the stock exit does and
 * says whether the fast exit may go on, with the registers it restores
 * still those of the call.  Scheduled meanwhile, the task may have come
 * back on a CPU running with another code selector (an interrupted
 * task's __KERNEL_CS), which the fast exit would keep: then, and
 * whenever kml_syscall_exit_work() says so, the generic exit's checks
 * decide (.Lkml_return).  Falls through to the caller's return, as
 * KML_FAST_CALL.
 */
.macro KML_EXIT_WORK direct
	UNWIND_HINT_REGS
	movq	%rax, RAX(%rsp)
	movq	%rsp, %rdi
	call	kml_syscall_exit_work
	testl	%eax, %eax
	jnz	.Lkml_return
	movl	%cs, %eax
	cmpl	$__KML_CS, %eax
	jne	.Lkml_return
	KML_MITIGATE_EXIT
	movq	RAX(%rsp), %rax
	KML_FAST_RESTORE direct=\direct
.endm

/*
 * Direct calls, the entry state after the prologue, with IF still set:
 * the return address is in %r11 and becomes pt_regs->ip; RCX holds the
 * program's RSP after the return, pt_regs->sp.  pt_regs->cx is the entry
 * itself (\entry): a direct call clobbers RCX, and that is what a
 * restarted "call *%rcx" (libkml, ip - 2) must find there, while a
 * "call *%rax" site (rax = orig_ax on restart) does not care.  The flags
 * are IF and the fixed bit only: a direct call does not preserve the
 * arithmetic flags, and TF never reaches here (kml_exc_debug_user(),
 * kml_exc_debug_switch()).  As after SYSCALL, R11 holds those flags, and
 * the fast exit returns the return address in RCX.
 *
 * SYSCALL also clears NT and AC (MSR_SYSCALL_MASK), a call does not: the
 * kernel must not run with NT set (its IRET raises #GP when NT is set)
 * nor with AC (SMAP).  Both are rare, so they are tested (PUSHF, a few
 * cycles) and cleared with POPF only when set.
 */
.set KML_DIRECT_RFLAGS, X86_EFLAGS_IF | X86_EFLAGS_FIXED
.macro KML_DIRECT_SAVE entry
	UNWIND_HINT_END_OF_STACK		/* the prologue popped */
	pushfq
	testl	$(X86_EFLAGS_NT | X86_EFLAGS_AC), (%rsp)
	jz	.Lkml_flags_clean\@
	andl	$~(X86_EFLAGS_NT | X86_EFLAGS_AC), (%rsp)
	popfq
	jmp	.Lkml_flags_done\@
.Lkml_flags_clean\@:
	addq	$8, %rsp
.Lkml_flags_done\@:
	KML_PUSH_HWFRAME sp=%rcx, flags=$KML_DIRECT_RFLAGS, ip=%r11
	pushq	%rax				/* pt_regs->orig_ax */
	PUSH_REGS rcx=$\entry rax=$-ENOSYS
	movq	$KML_DIRECT_RFLAGS, R11(%rsp)	/* R11 as after SYSCALL */
	incq	PER_CPU_VAR(kml_direct_calls)
	/*
	 * The call kept the program's CS, __KML_CS, and the kernel runs
	 * with it: kml_user_frame() takes __KML_CS frames on the task stack
	 * and, while it is in use, on the IRQ stack (a softirq run from the
	 * system call) for kernel frames.
	 */
.endm

/*
 * The per-CPU base put back in GS (see the prologue), from the CPU number
 * in the segment limit of __CPUNODE_SEG (LSL), or in TSC_AUX (RDPID).
 */
.macro KML_GS_LSL reg:req
	GET_PERCPU_BASE \reg
	wrgsbase \reg
.endm
.macro KML_GS_RDPID reg:req
	rdpid	\reg
	andq	$VDSO_CPUNODE_MASK, \reg
	movq	__per_cpu_offset(, \reg, 8), \reg
	wrgsbase \reg
.endm

/*
 * A direct call's return, with a plain RET, after KML_FAST_CALL or
 * KML_EXIT_WORK: %rsp at pt_regs, RCX the return address.  On the
 * program's stack with IF clear (an NMI or #MC here sees a KML user
 * frame), set IF, then put the return address back where the call left
 * it (a vfork() child may have used that slot) and return.  From the STI
 * on this is user code: an interrupt, a fault on the push (copy-on-write
 * after fork()), a signal or a ptrace stop at the PUSH or the RET is
 * handled as at any user instruction, and nothing below RSP - 8 is
 * touched.
 */
.macro KML_DIRECT_RETURN
	movq	RSP(%rsp), %rsp		/* pt_regs->sp */
	sti
	pushq	%rcx			/* pt_regs->ip */
	UNWIND_HINT_FUNC
	ANNOTATE_UNRET_SAFE
	ret
	int3
.endm

/*
 * Direct calls, the part that runs on the program's stack.  Entered by a
 * call at CPL 0 with IF set, the return address at (%rsp) and the system
 * call number in %rax.  IF stays set throughout: the system call runs
 * with interrupts on, so the entry neither clears nor sets IF, and the
 * exit clears it once (for the exit work check) and sets it once.  Until
 * the stack switch the frame of any interrupt or exception here is a KML
 * user frame (RSP is the program's), so a signal, a fault on the return
 * address or a ptrace stop is handled as at any other user instruction;
 * from the switch on (\switched) an interrupt is a kernel one, taken on
 * the task stack below the frame being built, and nothing per-CPU is
 * held across it (the switch reads the current task's stack, whatever
 * CPU it runs on).  A single-step trap before the switch is dropped by
 * kml_exc_debug_user(), which clears TF; the trap after the switch
 * instruction itself (a tracer's step from a stop right there) lands in
 * kernel context and is dropped by kml_exc_debug_switch(); so TF never
 * reaches the system call and the whole call is one step, as SYSCALL is.
 * Only the return address is touched on the stack: nothing below it
 * (the red zone).
 */
.macro KML_DIRECT_PROLOGUE gs_done, switched
	/*
	 * With FSGSBASE, first put the per-CPU GS base back (see the top),
	 * in R11: a direct call returns the saved flags there, as SYSCALL
	 * does.  An event after this enters through a stub that does the
	 * same, and a signal handler it runs returns through sigreturn,
	 * another entry: GS is the per-CPU base at the switch.  Without
	 * FSGSBASE a program cannot write the base with WRGSBASE.  IF is
	 * set, so the task can move to another CPU between reading the CPU
	 * number and the WRGSBASE, which would then write the old CPU's
	 * base: a task interrupted before \gs_done is put back to the
	 * start of the entry when it is switched in on another CPU
	 * (kml_direct_rewind()), to compute the base again.  The CPU number
	 * comes from RDPID where the CPU has it (4 cycles against LSL's
	 * 21 on our Xeon): in user context TSC_AUX is this kernel's (KVM
	 * restores the host's before any return to user mode, the reason
	 * the kernel's own GET_PERCPU_BASE avoids RDPID in NMIs).
	 */
	ALTERNATIVE_2 "KML_GS_LSL %r11", "KML_GS_RDPID %r11", X86_FEATURE_RDPID, \
		"", ALT_NOT(X86_FEATURE_FSGSBASE)
SYM_INNER_LABEL(\gs_done, SYM_L_GLOBAL)
	ANNOTATE_NOENDBR
	popq	%r11			/* the return address */
	movq	%rsp, %rcx		/* the program's RSP after the return */
	cld
	movq	PER_CPU_VAR(pcpu_hot + X86_top_of_stack), %rsp
SYM_INNER_LABEL(\switched, SYM_L_GLOBAL)
	ANNOTATE_NOENDBR
.endm

/*
 * The entries from KML user code: UNWIND_HINT_ENTRY without
 * VALIDATE_UNRET_BEGIN.  They untrain through a call site patched in at
 * boot where the CPU needs it (KML_MITIGATE_ENTRY), which objtool cannot
 * tell from a missing UNTRAIN_RET, so it must not check them for it.
 */
.macro KML_UNWIND_HINT_ENTRY
	UNWIND_HINT_END_OF_STACK
.endm

SYM_CODE_START(entry_SYSCALL_64_kml)
	KML_UNWIND_HINT_ENTRY
	ENDBR
	KML_SYSCALL_HWFRAME
SYM_INNER_LABEL(entry_SYSCALL_64_kml_hwframe, SYM_L_GLOBAL)
	UNWIND_HINT_IRET_REGS
	ANNOTATE_NOENDBR			/* from kml_syscall_stub */
	KML_SYSCALL_REGS
	KML_MITIGATE_ENTRY kml_mitigate_entry
.Lkml_generic:
	movq	%rsp, %rdi
	movslq	%eax, %rsi
	call	do_syscall_64
.Lkml_return:
	UNWIND_HINT_REGS
	/* This is the generic exit that kml_force_generic_exit() asked for. */
	movq	PER_CPU_VAR(pcpu_hot + X86_current_task), %rax
	btq	$KML_TIF_EXIT, KML_TASK_ti_flags(%rax)
	jnc	1f
	lock btrq $KML_TIF_EXIT, KML_TASK_ti_flags(%rax)
1:
	/* An execve() of a normal program put __USER_CS there. */
	cmpw	$__KML_CS, CS(%rsp)
	jne	swapgs_restore_regs_and_return_to_usermode
	/*
	 * The return to the system call's caller goes without IRET, with
	 * the checks of the stock SYSRET path: RCX is RIP and R11 RFLAGS, as
	 * SYSCALL left them, or the frame is the direct call's own (its
	 * pt_regs->cx is the caller's RCX, the return address is RIP) and
	 * RCX becomes the return address as in its fast exit; not so after
	 * a signal, a restart or a tracer's write.  TF is clear (a trap
	 * after the POPF would be taken in kernel text) and IF set, the
	 * stack selector is the program's, and so is the CPU's code
	 * selector (KML_RETURN_JMP keeps both): not after a context switch
	 * from a task that ran with __KERNEL_CS, an interrupted one say.
	 */
	movl	%cs, %eax
	cmpl	$__KML_CS, %eax
	jne	.Lkml_iret
	movq	RIP(%rsp), %rcx
	cmpq	%rcx, RCX(%rsp)
	je	1f
	movq	PER_CPU_VAR(pcpu_hot + X86_current_task), %rax
	cmpq	%rcx, KML_TASK_thread_direct_ip(%rax)
	jne	.Lkml_iret
	movq	%rcx, RCX(%rsp)
1:	movq	R11(%rsp), %r11
	cmpq	%r11, EFLAGS(%rsp)
	jne	.Lkml_iret
	andl	$(X86_EFLAGS_TF | X86_EFLAGS_IF), %r11d
	cmpl	$X86_EFLAGS_IF, %r11d
	jne	.Lkml_iret
	cmpq	$__KML_DS, SS(%rsp)
	jne	.Lkml_iret
	KML_MITIGATE_EXIT
	POP_REGS
	KML_RETURN_JMP frame=ORIG_RAX
.Lkml_iret:
	UNWIND_HINT_REGS
	/*
	 * Without RCX to jump through, a frame returns without IRET still
	 * where the 8 bytes below its stack pointer hold its RIP already
	 * (kml_return_slot()): RSP minus 8 and RET, which writes nothing.
	 * That is a direct call's frame that a signal handler's
	 * rt_sigreturn put back (RCX the entry, as the call left it, the
	 * return address in the slot below the program's RSP).  With the
	 * flags restored as KML_RETURN_JMP restores them, every register
	 * is exact.  Only a frame with the direct call's RCX is tried.
	 */
	movq	kml_direct_entry_ip(%rip), %rax
	cmpq	%rax, RCX(%rsp)
	jne	.Lkml_iret_now
	movl	%cs, %eax
	cmpl	$__KML_CS, %eax
	jne	.Lkml_iret_now
	movl	EFLAGS(%rsp), %eax
	andl	$(X86_EFLAGS_TF | X86_EFLAGS_IF), %eax
	cmpl	$X86_EFLAGS_IF, %eax
	jne	.Lkml_iret_now
	cmpq	$__KML_DS, SS(%rsp)
	jne	.Lkml_iret_now
	movq	%rsp, %rdi
	call	kml_return_slot
	testb	%al, %al
	jz	.Lkml_iret_now
	KML_MITIGATE_EXIT
	POP_REGS
	pushq	EFLAGS-ORIG_RAX(%rsp)
	andq	$~X86_EFLAGS_IF, (%rsp)
	popfq
	movq	RSP-ORIG_RAX(%rsp), %rsp
	leaq	-8(%rsp), %rsp		/* RET's RIP; LEA keeps the flags */
	sti
	UNWIND_HINT_FUNC
	ANNOTATE_UNRET_SAFE
	ret
.Lkml_iret_now:
	UNWIND_HINT_REGS
	jmp	restore_regs_and_return_to_kernel

SYM_INNER_LABEL(entry_SYSCALL_64_kml_fast, SYM_L_GLOBAL)
	KML_UNWIND_HINT_ENTRY
	/* Only reached through MSR_LSTAR, never with kernel IBT (refused). */
	ANNOTATE_NOENDBR
	KML_SYSCALL_HWFRAME
SYM_INNER_LABEL(entry_SYSCALL_64_kml_fast_hwframe, SYM_L_GLOBAL)
	UNWIND_HINT_IRET_REGS
	ANNOTATE_NOENDBR			/* from kml_syscall_stub */
	KML_SYSCALL_REGS
	KML_FAST_CALL
	KML_RETURN_JMP

.Lkml_exit_work:
	KML_EXIT_WORK direct=0
	KML_RETURN_JMP

/*
 * The direct-call entries (Documentation/kml.rst, "Direct calls").  The
 * page the kernel maps at address 0 of a KML process jumps to one of them,
 * chosen at boot like MSR_LSTAR.  kml_exc_debug_user() knows their parts
 * that run on the program's stack before the switch (up to the _saved
 * labels).
 */
SYM_INNER_LABEL(entry_kml_direct, SYM_L_GLOBAL)
	KML_UNWIND_HINT_ENTRY
	ANNOTATE_NOENDBR
	KML_DIRECT_PROLOGUE gs_done=entry_kml_direct_gs, switched=entry_kml_direct_switched
	KML_DIRECT_SAVE entry=entry_kml_direct
	KML_MITIGATE_ENTRY kml_mitigate_entry_irqs_on
	movq	PER_CPU_VAR(pcpu_hot + X86_current_task), %rcx
	KML_DIRECT_NOTE_IP %rcx
SYM_INNER_LABEL(entry_kml_direct_saved, SYM_L_GLOBAL)
	ANNOTATE_NOENDBR
.Lkml_generic_direct:
	/* The generic entry (do_syscall_64()) wants IF clear, as after SYSCALL. */
	cli
	jmp	.Lkml_generic

SYM_INNER_LABEL(entry_kml_direct_fast, SYM_L_GLOBAL)
	KML_UNWIND_HINT_ENTRY
	ANNOTATE_NOENDBR
	KML_DIRECT_PROLOGUE gs_done=entry_kml_direct_fast_gs, \
			    switched=entry_kml_direct_fast_switched
	KML_DIRECT_SAVE entry=entry_kml_direct_fast
SYM_INNER_LABEL(entry_kml_direct_fast_saved, SYM_L_GLOBAL)
	ANNOTATE_NOENDBR
	KML_FAST_CALL direct=1
	KML_DIRECT_RETURN
.Lkml_exit_work_direct:
	KML_EXIT_WORK direct=1
	KML_DIRECT_RETURN
SYM_INNER_LABEL(entry_kml_text_end, SYM_L_GLOBAL)	/* kml_entry_code[] */
SYM_CODE_END(entry_SYSCALL_64_kml)
_ASM_NOKPROBE(entry_SYSCALL_64_kml)

/*
 * KML_MITIGATE_ENTRY (asm/kml.h), on a CPU that needs any of these: the
 * entry defences of the stock entry from ring 3, before any RET of the
 * kernel.  On the task stack (or the KML IST stack), IF clear: IBRS_ENTER
 * must write the value of the CPU it reads it on.  Every register and
 * the flags are kept.
 */
SYM_FUNC_START(kml_mitigate_entry)
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	IBRS_ENTER
	UNTRAIN_RET_FROM_CALL
	CLEAR_BRANCH_HISTORY
	popq	%rdx
	popq	%rcx
	popq	%rax
	RET
SYM_FUNC_END(kml_mitigate_entry)

/* The same for a direct call, which runs with IF set. */
SYM_FUNC_START(kml_mitigate_entry_irqs_on)
	ALTERNATIVE "", "cli", X86_FEATURE_KERNEL_IBRS
	call	kml_mitigate_entry
	ALTERNATIVE "", "sti", X86_FEATURE_KERNEL_IBRS
	RET
SYM_FUNC_END(kml_mitigate_entry_irqs_on)

/* The first instruction of KML_FAST_CALL where entry defences are needed. */
SYM_FUNC_START(kml_mitigate_entry_current)
	call	kml_mitigate_entry
	movq	PER_CPU_VAR(pcpu_hot + X86_current_task), %rbx
	RET
SYM_FUNC_END(kml_mitigate_entry_current)

SYM_FUNC_START(kml_mitigate_entry_current_irqs_on)
	call	kml_mitigate_entry_irqs_on
	movq	PER_CPU_VAR(pcpu_hot + X86_current_task), %rbx
	RET
SYM_FUNC_END(kml_mitigate_entry_current_irqs_on)

/*
 * The exit-work test of KML_FAST_CALL where exit defences are needed
 * (RBX current, IF clear): ECX 1 with exit work (the generic exit, which
 * has its own), else the defences and ECX 0.
 */
SYM_FUNC_START(kml_mitigate_exit_test)
	movl	$1, %ecx
	testq	$KML_EXIT_WORK_ANY_MASK, KML_TASK_ti_flags(%rbx)
	jnz	1f
	call	kml_mitigate_exit
	xorl	%ecx, %ecx
1:	RET
SYM_FUNC_END(kml_mitigate_exit_test)

/*
 * KML_MITIGATE_EXIT: IBRS_EXIT, and the IBPB that a KVM guest run on this
 * CPU asks of the next exit to user mode (VMSCAPE), which the generic
 * exit does in arch_exit_to_user_mode_prepare().  IF clear, on the task
 * stack; every register is kept.
 */
SYM_FUNC_START(kml_mitigate_exit)
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	IBRS_EXIT
	ALTERNATIVE "jmp 1f", "", X86_FEATURE_IBPB_EXIT_TO_USER
	cmpb	$0, PER_CPU_VAR(x86_ibpb_exit_to_user)
	je	1f
	movb	$0, PER_CPU_VAR(x86_ibpb_exit_to_user)
	call	entry_ibpb
1:	popq	%rdx
	popq	%rcx
	popq	%rax
	RET
SYM_FUNC_END(kml_mitigate_exit)

	.popsection

/*
 * kml_syscall_stub: the template of the per-CPU SYSCALL entry, for CPUs
 * with FSGSBASE.  Never run here: kml_syscall_stubs_init() copies it to
 * the start of a page per CPU, followed by a data page that holds a
 * scratch slot and that CPU's per-CPU base, and ends the copy with a jmp
 * to the _hwframe label of the entry in use.  MSR_LSTAR of a CPU in the
 * KML state points to its copy.
 *
 * Nothing here may depend on where it runs but the RIP-relative accesses
 * to the data page: the per-CPU access is absolute.  With no free
 * register (SYSCALL keeps all but RCX and R11, which hold RIP and RFLAGS)
 * and the program's stack off limits (red zone), RSP goes to the scratch
 * slot and carries the base to WRGSBASE.  IF is clear (MSR_SYSCALL_MASK),
 * and NMI, #MC and #DB have stacks of their own.  It costs a system call
 * three instructions: the base load, WRGSBASE and the jmp.
 */
	.pushsection .rodata, "a"
	.balign	16
SYM_DATA_START(kml_syscall_stub)
.Lkml_stub:
	movq	%rsp, .Lkml_stub + PAGE_SIZE + KML_STUB_SP(%rip)
	movq	.Lkml_stub + PAGE_SIZE + KML_STUB_BASE(%rip), %rsp
	wrgsbase %rsp
	movq	%gs:pcpu_hot + X86_top_of_stack, %rsp
	KML_PUSH_HWFRAME sp=.Lkml_stub + PAGE_SIZE + KML_STUB_SP(%rip)
SYM_INNER_LABEL(kml_syscall_stub_jmp, SYM_L_GLOBAL)
	.byte	0xe9					/* jmp rel32, set per copy */
	.long	0
SYM_INNER_LABEL(kml_syscall_stub_end, SYM_L_GLOBAL)
SYM_DATA_END(kml_syscall_stub)
	.popsection
