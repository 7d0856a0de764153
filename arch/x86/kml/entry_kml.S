/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux: the IST relocation stubs.
 *
 * While a KML task is current the CPU runs with the KML IDT, in which every
 * gate that has no IST of its own points to kml_ist_stubs + 16 * vector
 * with IST = IST_INDEX_KML.  The CPU therefore never pushes a frame on a
 * KML program's stack (which may be unmapped, and whose 128-byte red zone
 * below RSP belongs to the program).
 *
 * Machine state on entry to a stub:
 *   - IF = 0 (interrupt gate), CPL 0, kernel CR3; GS base = per-CPU base,
 *     unless KML user code wrote GS (entry_kml_syscall.S): on a CPU with
 *     FSGSBASE the stub writes the per-CPU base back before using GS;
 *   - RSP = top of this CPU's KML IST stack minus the hardware frame:
 *     [error code,] RIP, CS, RFLAGS, RSP, SS.  The top is 16-byte aligned,
 *     so the frame lies at a fixed place below it; a 5-word frame on an
 *     error-code vector comes from a software INT n.
 *
 * What the stub does, touching only the KML IST stack and the destination:
 *   - a KML user frame (the predicate of kml_user_frame(): CS ==
 *     __KML_CS, the saved RSP outside the current task's kernel stack
 *     and, while it is in use, this CPU's IRQ stack, and not both RIP and
 *     RSP in the kernel half but in the KML entry code that runs on the
 *     program's stack or the top page) moves
 *     to the top of the task's kernel stack, where the CPU would have put
 *     it on a ring 3 -> ring 0 transition, whatever the program's RSP;
 *   - except that #UD, #BP, #GP or #PF of a KML user frame whose RIP lies
 *     in the direct-call page past its sled, and #PF of one whose RIP lies
 *     in the top page of the address space (a call with a number that is
 *     no system call, 560 to 4095 or -4096 to -1) return at once to the
 *     direct-call entry, which gives -ENOSYS, in a process that asked for
 *     the sled (ARCH_KML_SLED);
 *   - any other frame moves back to the interrupted stack, below the
 *     interrupted RSP aligned down to 16 bytes, as the CPU would have put
 *     it without IST;
 *   - a frame whose saved RSP lies inside the KML IST stack means the stub
 *     itself was interrupted (IST stacks do not nest): it panics with a
 *     clear message instead of looping;
 *   - a KML program's software INT n becomes the #GP(n * 8 + 2) at the
 *     INT that ring 3 gets, where the frame tells it from the event
 *     (below; external vectors in kml_user_int_common); in kernel context
 *     one on an error-code vector gets an error code of 0, so the handler
 *     sees the frame layout it expects;
 *   - then it restores every register and jumps (KML_DISPATCH) to the
 *     vector's handler in kml_handlers[] (kernel frames: [vector], KML
 *     user frames: [256 + vector]).  That is the stock handler, which sees
 *     exactly the frame it would have seen with the stock IDT, except for
 *     a KML user #DB or int3, which go to kml_asm_exc_debug_user and
 *     kml_asm_exc_int3_user, and a KML user external vector, which goes
 *     to kml_user_int_stubs first.
 * Nothing can write below RSP on the destination stack between the last
 * POP and the JMP: IF is 0, and NMI, #MC and #DB keep their own IST.
 *
 * An NMI that interrupts a stub and whose handler takes an ordinary
 * exception does not reuse the stub's frame: exc_nmi() moves the KML IST
 * entry down while its handlers run (kml_ist_nmi_enter()); no hardware
 * breakpoint may cover the stubs, their data or stacks (#DB:
 * kml_within_entry()).
 */
#include <linux/linkage.h>
#include <linux/errno.h>
#include <asm/alternative.h>
#include <asm/asm.h>
#include <asm/asm-offsets.h>
#include <asm/cpufeatures.h>
#include <asm/ibt.h>
#include <asm/irq_vectors.h>
#include <asm/kml.h>
#include <asm/nospec-branch.h>
#include <asm/page_types.h>
#include <asm/percpu.h>
#include <asm/segment.h>
#include <asm/smap.h>
#include <asm/trapnr.h>
#include "../entry/calling.h"
#include "kml-asm-offsets.h"

/* Added to a vector: a KML program's INT n, for .Lmove (below 32 only). */
.set KML_SOFT_INT, 2 * IDT_ENTRIES

.set KML_PAST_SLED_VECTORS, (1 << X86_TRAP_BP) | (1 << X86_TRAP_UD) | \
			   (1 << X86_TRAP_GP) | (1 << X86_TRAP_PF)

	.pushsection .entry.text, "ax"

/*
 * kml_asm_exc_debug_user: #DB (single-step, breakpoints) from KML user
 * code, once the stub has moved the frame to the top of the task stack.
 * The stock asm_exc_debug would take its kernel path (RPL 0) and call the
 * kernel-mode handler on the #DB IST stack; this runs the user-mode
 * handler, noist_exc_debug() through kml_exc_debug_user() (which drops a
 * single step in the direct-call prologue), on the task stack as for
 * ring 3 (it sends SIGTRAP, may schedule), and returns with IRET at CPL 0.
 * Entry: IF = 0, hardware frame (no error code) at the task stack top.
 */
.macro KML_USER_ENTRY name cfunc
SYM_CODE_START(\name)
	/* UNWIND_HINT_IRET_ENTRY without the unret check: no UNTRAIN_RET here */
	UNWIND_HINT_IRET_REGS
	ENDBR
	ASM_CLAC
	cld
	pushq	$-1				/* pt_regs->orig_ax: no syscall */
	PUSH_AND_CLEAR_REGS
	movq	%rsp, %rdi
	call	\cfunc
	jmp	restore_regs_and_return_to_kernel
SYM_CODE_END(\name)
_ASM_NOKPROBE(\name)
.endm

KML_USER_ENTRY kml_asm_exc_debug_user kml_exc_debug_user

/*
 * kml_asm_exc_int3_user: int3 from KML user code.  For an RPL 0 frame the
 * stock asm_exc_int3 opens a 6-word gap below the frame (room for the
 * call emulation of text_poke_bp()), which would leave pt_regs below
 * task_pt_regs(), where ptrace and signal delivery look.  Same entry as
 * for #DB, calling the stock exc_int3(), which sees user_mode() and does
 * the user work.
 */
KML_USER_ENTRY kml_asm_exc_int3_user exc_int3

	.popsection
	.pushsection .text, "ax"

/*
 * KML_DISPATCH: jump to the address at -6*8(%rsp), every register live,
 * as JMP_NOSPEC would through a register: a retpoline where the kernel
 * uses them (kml_poline_m48), LFENCE first where it fences instead, a
 * plain indirect jump on a CPU that needs neither.  The stubs store the
 * handler there before their last POPs; nothing writes below RSP until
 * the jump: IF is 0, and NMI, #MC and #DB keep their own IST.
 */
.macro KML_DISPATCH
	ALTERNATIVE_2 "jmp kml_poline_m48", \
		      __stringify(lfence; ANNOTATE_RETPOLINE_SAFE; jmp *-6*8(%rsp)), \
		      X86_FEATURE_RETPOLINE_LFENCE, \
		      __stringify(ANNOTATE_RETPOLINE_SAFE; jmp *-6*8(%rsp)), \
		      ALT_NOT(X86_FEATURE_RETPOLINE)
	int3
.endm

SYM_CODE_START_LOCAL(kml_poline_m48)
	UNWIND_HINT_UNDEFINED
	ANNOTATE_NOENDBR
	ANNOTATE_INTRA_FUNCTION_CALL
	call	1f
	int3					/* where a speculated RET goes */
1:	pushq	-5*8(%rsp)			/* the target, 6 words below the caller's RSP */
	popq	(%rsp)				/* over the return address (RSP after the POP) */
	ANNOTATE_UNRET_SAFE
	ret
	int3
SYM_CODE_END(kml_poline_m48)

	.align 16
SYM_CODE_START(kml_ist_stubs)
	vector = 0
	.rept 256
	UNWIND_HINT_UNDEFINED
	ENDBR
	pushq	$vector
	jmp	kml_ist_common
	.align	16, 0xcc
	vector = vector + 1
	.endr
SYM_CODE_END(kml_ist_stubs)

/* The scratch registers, in the order kml_ist_common finds them. */
.macro KML_IST_SAVE
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
.endm

SYM_CODE_START_LOCAL(kml_ist_common)
	UNWIND_HINT_UNDEFINED
	/* Stack: vector, hardware frame, IST top. */
	KML_IST_SAVE
	/*
	 * With FSGSBASE the program may have written any GS base: put the
	 * per-CPU base back from the word at the IST top, where
	 * kml_arch_init() stored it (and at the nested top, KML_IST_NEST
	 * below), instead of from the CPU number (GET_PERCPU_BASE, an LSL).
	 * Only "int $8" gets here on another stack, #DF's: kml_double_fault.
	 */
	ALTERNATIVE "", __stringify(leaq 12*8(%rsp), %rax; andq $~15, %rax; \
		    movq (%rax), %rax; wrgsbase %rax), X86_FEATURE_FSGSBASE
.Lkml_ist_gs_done:
	UNWIND_HINT_UNDEFINED			/* also from kml_double_fault */
#ifdef CONFIG_KML_DEBUG_NEST_NMI
SYM_INNER_LABEL(kml_nest_site, SYM_L_GLOBAL)
	ENDBR					/* C names the site (objtool) */
	.byte	0x0f, 0x1f, 0x44, 0x00, 0x00	/* kml_nest_nmi=1: call kml_nest_thunk */
#endif
	leaq	6*8(%rsp), %rsi			/* rsi: hardware frame */
	leaq	6*8(%rsi), %rdx
	andq	$~15, %rdx			/* rdx: top of the KML IST stack */
	movq	%rdx, %rcx
	subq	%rsi, %rcx
	shrq	$3, %rcx			/* rcx: 5 or 6 words */
	movq	-2*8(%rdx), %rdi		/* interrupted RSP */
	cmpq	$__KML_CS, -4*8(%rdx)		/* interrupted CS */
	jne	.Lkernel_frame
	/* __KML_CS on the task's own kernel stack is kernel context. */
	movq	PER_CPU_VAR(pcpu_hot + X86_top_of_stack), %rax
	subq	$THREAD_SIZE, %rax
	negq	%rax
	addq	%rdi, %rax			/* rax = RSP - stack bottom */
	cmpq	$THREAD_SIZE, %rax		/* the top too: an empty stack */
	jbe	.Lkernel_frame
	/*
	 * So is __KML_CS on the IRQ stack while it is in use (a softirq run
	 * from a direct call); KML user code never runs then.
	 */
	cmpb	$0, PER_CPU_VAR(pcpu_hot + KML_pcpu_hot_hardirq_stack_inuse)
	je	.Lkml_rip
	movq	PER_CPU_VAR(pcpu_hot + KML_pcpu_hot_hardirq_stack_ptr), %rax
	subq	$(IRQ_STACK_SIZE - 8), %rax
	negq	%rax
	addq	%rdi, %rax			/* rax = RSP - IRQ stack bottom */
	cmpq	$IRQ_STACK_SIZE, %rax
	jb	.Lkernel_frame
.Lkml_rip:
	/*
	 * And so is __KML_CS with both RIP and RSP in the kernel half, but
	 * in the parts of the KML entry code that run on the program's
	 * stack and in the top page (a call with a negative number): that
	 * is kernel code that ran off its stack, into the guard page below
	 * it say, not a program at a stray address (kml_user_regs()).
	 */
	testq	%rdi, %rdi
	jns	.Lkml_user_frame		/* a user-half RSP */
	movq	-5*8(%rdx), %rax		/* interrupted RIP */
	testq	%rax, %rax
	jns	.Lkml_user_frame
	cmpq	$-PAGE_SIZE, %rax
	jae	.Lkml_user_frame
	subq	kml_entry_code(%rip), %rax
	cmpq	kml_entry_code+8(%rip), %rax
	jb	.Lkml_user_frame
	movq	-5*8(%rdx), %rax
	subq	kml_entry_code+16(%rip), %rax
	cmpq	kml_entry_code+24(%rip), %rax
	jb	.Lkml_user_frame
	movq	-5*8(%rdx), %rax
	subq	kml_entry_code+32(%rip), %rax
	cmpq	kml_entry_code+40(%rip), %rax
	jae	.Lkernel_frame
.Lkml_user_frame:
	KML_MITIGATE_ENTRY kml_mitigate_entry	/* as from ring 3; before any RET */
	movq	-5*8(%rdx), %rax		/* interrupted RIP */
	addq	$PAGE_SIZE, %rax
	cmpq	$(2 * PAGE_SIZE), %rax
	jb	.Lkml_call_pages		/* RIP in [-PAGE_SIZE, PAGE_SIZE) */
.Lkml_user_move:
	/*
	 * A software INT n of the program (Documentation/kml.rst, "Software
	 * interrupts"): at CPL 0 no gate refuses it, so tell it from the
	 * exception here.  A 5-word frame on a vector whose exceptions push
	 * an error code, or on one that no exception of this CPU uses, is
	 * one (kml_soft_vectors); so is a #NP for a gate that is not present
	 * (error code: IDT, not EXT).  Each becomes the #GP(n * 8 + 2) at the
	 * INT that ring 3 gets.  External vectors are told apart after the
	 * move (kml_user_int_common).
	 */
	movq	5*8(%rsp), %rax			/* vector */
	cmpl	$5, %ecx
	jne	.Lkml_errcode
	cmpl	$FIRST_EXTERNAL_VECTOR, %eax
	jae	.Lkml_user_move_on
	movl	kml_soft_vectors(%rip), %edi
	btl	%eax, %edi
	jnc	.Lkml_user_move_on
	addq	$KML_SOFT_INT, 5*8(%rsp)	/* .Lmove makes it a #GP */
	movq	PER_CPU_VAR(pcpu_hot + X86_top_of_stack), %rdi
	jmp	.Lmove
.Lkml_errcode:
	cmpl	$X86_TRAP_NP, %eax
	jne	.Lkml_user_move_on
	movl	(%rsi), %edi			/* the error code */
	andl	$3, %edi
	cmpl	$2, %edi
	jne	.Lkml_user_move_on
	movq	$X86_TRAP_GP, 5*8(%rsp)		/* same error code, RIP at the INT */
.Lkml_user_move_on:
	/* KML user frame: to the top of the task's kernel stack. */
	addq	$256, 5*8(%rsp)			/* its handler: upper half */
	movq	PER_CPU_VAR(pcpu_hot + X86_top_of_stack), %rdi
	jmp	.Lmove

	/*
	 * A rewritten site ("call *%rax") with a number that is no system
	 * call faults before it changed anything:
	 *  - past the sled of the direct-call page (560 to 4095): #UD in a
	 *    landing jump's displacement, #BP on the int3 filler, #GP or #PF
	 *    in the header's prefixes;
	 *  - from -4096 to -1: #PF on the top page of the address space,
	 *    which is never mapped.
	 * The return address is on the program's stack and RAX holds the
	 * number, as a landing trampoline leaves them: continue at the
	 * entry, which gives -ENOSYS as SYSCALL does.  IRET from here, at
	 * CPL 0.  RAX: RIP + PAGE_SIZE.  The sled itself is ordinary code.
	 */
.Lkml_call_pages:
	cmpq	$(PAGE_SIZE + KML_DIRECT_SLED), %rax
	jae	.Lkml_past_sled
	cmpq	$PAGE_SIZE, %rax
	jae	.Lkml_user_move			/* in the sled */
	cmpq	$X86_TRAP_PF, 5*8(%rsp)		/* the top page */
	jne	.Lkml_user_move
	jmp	.Lkml_to_entry
.Lkml_past_sled:
	movq	5*8(%rsp), %rax			/* vector */
	cmpq	$X86_TRAP_PF, %rax
	ja	.Lkml_user_move
	movl	$KML_PAST_SLED_VECTORS, %edi
	btl	%eax, %edi
	jnc	.Lkml_user_move
.Lkml_to_entry:
	/*
	 * Only in a process that asked for the sled (ARCH_KML_SLED); in any
	 * other such a call is a jump to a stray address, as in ring 3.
	 */
	movq	PER_CPU_VAR(pcpu_hot + X86_current_task), %rax
	movq	KML_TASK_mm(%rax), %rax
	testq	%rax, %rax
	jz	.Lkml_user_move
	cmpb	$0, KML_MM_kml_sled(%rax)
	je	.Lkml_user_move
	movq	kml_direct_entry_ip(%rip), %rax
	testq	%rax, %rax
	jz	.Lkml_user_move
	movq	%rax, -5*8(%rdx)		/* RIP: the entry */
	leaq	-5*8(%rdx), %rax		/* the IRET frame, without error code */
	movq	%rax, 5*8(%rsp)			/* in the vector's slot */
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rax
	popq	%rsp
	iretq

.Lkernel_frame:
	/*
	 * RSP in the guard page below the task stack, or too close above
	 * it for the frame: a kernel stack overflow.  Without an IST the
	 * CPU could not have pushed this frame and would have raised #DF.
	 * Do the same: the frame goes to the #DF stack and to the stock #DF
	 * entry, which reports the overflow (handle_stack_overflow()).
	 */
	movq	PER_CPU_VAR(pcpu_hot + X86_top_of_stack), %rax
	subq	$(THREAD_SIZE + PAGE_SIZE), %rax	/* the guard page */
	negq	%rax
	addq	%rdi, %rax
	cmpq	$(PAGE_SIZE + 16*8), %rax
	jb	.Lstack_overflow
	cmpq	%rdx, %rdi
	ja	1f
	leaq	-KML_IST_TOP(%rdx), %rax
	cmpq	%rax, %rdi
	jae	.Lreentry
1:	andq	$~15, %rdi			/* as the CPU aligns without IST */

.Lmove:
	/* rdi: destination top.  Copy the frame below it. */
	leaq	(,%rcx,8), %rdx
	subq	%rdx, %rdi			/* rdi: destination frame */
	movl	%ecx, %edx			/* edx: words */
2:	movq	-8(%rsi,%rcx,8), %rax
	movq	%rax, -8(%rdi,%rcx,8)
	decl	%ecx
	jnz	2b
	/* vector, +256 for a KML user frame, +KML_SOFT_INT for its INT n */
	movq	5*8(%rsp), %rax
	cmpl	$5, %edx
	jne	3f
	btq	%rax, kml_errcode_vectors(%rip)
	jnc	3f
	subq	$8, %rdi
	movq	$0, (%rdi)			/* software INT n: error code 0 */
	cmpl	$KML_SOFT_INT, %eax
	jb	3f
	/* A program's INT n: #GP(n * 8 + 2), RIP at the INT (2 bytes) */
	leal	(2 - 8 * KML_SOFT_INT)(,%rax,8), %eax
	movq	%rax, (%rdi)
	subq	$2, 8(%rdi)
	movl	$(IDT_ENTRIES + X86_TRAP_GP), %eax
3:	movq	kml_handlers(, %rax, 8), %rax
	movq	%rax, -6*8(%rdi)		/* handler, read after the POPs */
	movq	4*8(%rsp), %rax
	movq	%rax, -1*8(%rdi)		/* rax */
	movq	3*8(%rsp), %rax
	movq	%rax, -2*8(%rdi)		/* rcx */
	movq	2*8(%rsp), %rax
	movq	%rax, -3*8(%rdi)		/* rdx */
	movq	1*8(%rsp), %rax
	movq	%rax, -4*8(%rdi)		/* rsi */
	movq	0*8(%rsp), %rax
	movq	%rax, -5*8(%rdi)		/* rdi */
	leaq	-5*8(%rdi), %rsp		/* leave the KML IST stack */
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rax
	KML_DISPATCH

.Lstack_overflow:
	movq	$X86_TRAP_DF, 5*8(%rsp)		/* kml_handlers[8]: the #DF entry */
	movq	PER_CPU_VAR(cpu_tss_rw + KML_TSS_ist_df), %rdi
	jmp	.Lmove

.Lreentry:
	/* An event hit the stub itself: say so and stop, do not loop. */
	leaq	kml_reentry_msg(%rip), %rdi
	movq	-5*8(%rdx), %rsi		/* RIP of the nested event */
	movq	-2*8(%rdx), %rdx		/* its RSP, inside the IST stack */
	andq	$~15, %rsp
	call	panic			/* does not return */
SYM_CODE_END(kml_ist_common)
_ASM_NOKPROBE(kml_ist_stubs)
_ASM_NOKPROBE(kml_ist_common)

#ifdef CONFIG_KML_DEBUG_NEST_NMI
/*
 * The test hook at kml_nest_site (kml_nest_nmi=1): RAX, RCX, RDX, RSI and
 * RDI are saved already, the stack is the KML IST stack at any alignment.
 */
SYM_FUNC_START(kml_nest_thunk)
	pushq	%rbp
	movq	%rsp, %rbp
	andq	$~15, %rsp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	call	kml_nest_nmi_send
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	movq	%rbp, %rsp
	popq	%rbp
	RET
SYM_FUNC_END(kml_nest_thunk)
_ASM_NOKPROBE(kml_nest_thunk)
#endif

/*
 * The #DF gate of the KML IDT (IST_INDEX_DF, as in the stock IDT).  A
 * double fault pushes an error code: 6 words below the 16-byte aligned
 * top.  5 words are a KML program's "int $8", which kml_ist_common turns
 * into the #GP that ring 3 gets, on this stack as on the KML one.
 */
SYM_CODE_START(kml_double_fault)
	UNWIND_HINT_IRET_ENTRY
	ENDBR
	testb	$8, %spl
	jnz	1f
	jmp	asm_exc_double_fault
	/*
	 * A program's "int $8" on the #DF stack, which has no per-CPU base
	 * at its top: the stub's start, with the base from the CPU number.
	 */
1:	pushq	$X86_TRAP_DF
	KML_IST_SAVE
	ALTERNATIVE "", "GET_PERCPU_BASE %rax; wrgsbase %rax", X86_FEATURE_FSGSBASE
	jmp	.Lkml_ist_gs_done
SYM_CODE_END(kml_double_fault)
_ASM_NOKPROBE(kml_double_fault)

/*
 * KML user frames of the external vectors (32-255, gates with DPL 0)
 * come here from kml_ist_common, on the task stack with the hardware
 * frame at its top, IF = 0.  An interrupt and a program's "int $N" leave
 * the same frame.  An INT leaves its two bytes, cd N, before the RIP it
 * pushes; the local APIC marks a delivered interrupt in service until
 * its handler's EOI.  Where the bytes differ (nearly always) this is an
 * interrupt; where they match or cannot be read (an execute-only page, a
 * page not present), the APIC's in-service bit decides.  An INT becomes
 * the #GP(N * 8 + 2) at the INT that ring 3 gets; no handler runs, no
 * EOI is sent.  The read is a user access made with page faults
 * disabled (a preempt count), so a fault ends at its fixup.
 */
	.align 16
SYM_CODE_START(kml_user_int_stubs)
	vector = FIRST_EXTERNAL_VECTOR
	.rept IDT_ENTRIES - FIRST_EXTERNAL_VECTOR
	UNWIND_HINT_IRET_REGS
	ENDBR
	pushq	$vector
	jmp	kml_user_int_common
	.align	16, 0xcc
	vector = vector + 1
	.endr
SYM_CODE_END(kml_user_int_stubs)

SYM_CODE_START_LOCAL(kml_user_int_common)
	UNWIND_HINT_IRET_REGS offset=8
	/* Stack: vector, hardware frame. */
	pushq	%rax
	pushq	%rcx
	movq	2*8(%rsp), %rcx			/* vector */
	movq	3*8(%rsp), %rax			/* RIP */
	subq	$2, %rax
	js	.Lkml_int_hw			/* KML entry code, or RIP < 2 */
	incl	PER_CPU_VAR(pcpu_hot + KML_pcpu_hot_preempt_count)
	ASM_STAC
1:	movzwl	(%rax), %eax
	ASM_CLAC
	decl	PER_CPU_VAR(pcpu_hot + KML_pcpu_hot_preempt_count)
	cmpb	$0xcd, %al
	jne	.Lkml_int_hw
	cmpb	%cl, %ah
	jne	.Lkml_int_hw
.Lkml_int_apic:
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%rcx				/* and the stack 16-byte aligned */
	movl	%ecx, %edi
	call	kml_vector_in_service
	popq	%rcx
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rdx
	testb	%al, %al
	jz	.Lkml_int_soft
.Lkml_int_hw:
	movq	kml_handlers(, %rcx, 8), %rax	/* the stock handler */
	movq	%rax, -3*8(%rsp)		/* 6 words below the frame */
	popq	%rcx
	popq	%rax
	leaq	8(%rsp), %rsp			/* drop the vector */
	KML_DISPATCH

.Lkml_int_soft:
	leal	2(,%rcx,8), %eax
	movq	%rax, 2*8(%rsp)			/* error code N * 8 + 2 */
	subq	$2, 3*8(%rsp)			/* RIP at the INT */
	popq	%rcx
	popq	%rax
	jmp	asm_exc_general_protection

2:	ASM_CLAC				/* the read faulted */
	decl	PER_CPU_VAR(pcpu_hot + KML_pcpu_hot_preempt_count)
	jmp	.Lkml_int_apic
	_ASM_EXTABLE_UA(1b, 2b)
.Lkml_ist_text_end:
SYM_CODE_END(kml_user_int_common)
_ASM_NOKPROBE(kml_user_int_stubs)
_ASM_NOKPROBE(kml_user_int_common)

	.popsection

	.pushsection .rodata
	.align 8
/* From kml_ist_stubs to here: no hardware breakpoints (kml_within_entry()). */
SYM_DATA(kml_ist_text_size, .quad .Lkml_ist_text_end - kml_ist_stubs)
/* Vectors whose exceptions push an error code: 8, 10-14, 17, 21, 29, 30. */
SYM_DATA_START(kml_errcode_vectors)
	.rept 2		/* kernel frames, then KML user frames */
	.quad	(1 << 8) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13) | \
		(1 << 14) | (1 << 17) | (1 << 21) | (1 << 29) | (1 << 30)
	.quad	0, 0, 0
	.endr
	.quad	0xffffffff, 0, 0, 0	/* a KML program's INT n (n < 32) */
SYM_DATA_END(kml_errcode_vectors)
kml_reentry_msg:
	.asciz	"kml: nested exception on the KML IST stack (RIP %pS, RSP %lx)"
	.popsection
