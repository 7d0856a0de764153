/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux, x86-64 part: the hooks called from existing kernel
 * code.  Each hook is an inline that is empty without
 * CONFIG_KERNEL_MODE_LINUX and a patched-out static branch while no KML
 * support is active (kml=off, or refused at boot).
 *
 * Invariants (Documentation/kml.rst):
 *  - A frame is a KML user frame iff its CS is __KML_CS and its saved RSP
 *    lies outside the current task's kernel stack and, while it is in
 *    use, this CPU's IRQ stack.  kml_user_frame() in C and the IST stub
 *    in arch/x86/kml/entry_kml.S test exactly that.
 *  - A process runs in kernel mode iff mm->context.kml is set; it is set
 *    once, at exec, on the new mm, and inherited by fork.
 *  - While a KML task is current on a CPU, that CPU's kml_cpu_state is 1:
 *    the KML IDT is loaded (every ordinary vector on IST_INDEX_KML),
 *    CR4.SMEP and CR4.SMAP are clear, and MSR_KERNEL_GS_BASE holds the
 *    per-CPU base so that any SWAPGS is harmless, and MSR_LSTAR points to
 *    the KML system call entry (with FSGSBASE, this CPU's stub of it).
 *    Otherwise the CPU is exactly as without KML.
 *  - With FSGSBASE, every entry from KML user code writes the per-CPU GS
 *    base back before it uses GS: a program that writes GS only breaks
 *    itself.
 */
#ifndef _ASM_X86_KML_H
#define _ASM_X86_KML_H

#include <asm/segment.h>

/* TSS IST slot of the KML relocation stack (0-4 are taken in 6.12). */
#define IST_INDEX_KML		5
/* Size of each CPU's KML IST stack. */
#define KML_IST_SIZE		(2 * 4096)
/*
 * Its top, the TSS entry, 16 bytes below its end: the word at the top
 * holds the CPU's per-CPU base, which the stub loads into GS.
 */
#define KML_IST_TOP		(KML_IST_SIZE - 16)
/* How far an NMI moves the KML IST entry down (kml_ist_nmi_enter()). */
#define KML_IST_NEST		1024
/* The data page of a per-CPU SYSCALL stub: scratch slot, per-CPU base. */
#define KML_STUB_SP		0
#define KML_STUB_BASE		8
/*
 * The direct-call page at address 0 (arch/x86/kml/kml.c): blocks of 14
 * bytes, the sled of 40 of them covering numbers below KML_DIRECT_SLED.
 */
#define KML_DIRECT_BLOCK	14
#define KML_DIRECT_SLED		(40 * KML_DIRECT_BLOCK)

#ifdef __ASSEMBLY__
/*
 * The speculation defences of the stock entry and exit that protect the
 * kernel, and the program, from predictor state that other processes and
 * guests trained (Documentation/kml.rst, "Speculation"): at every entry
 * from KML user code IBRS_ENTER, UNTRAIN_RET (retbleed, SRSO, entry
 * IBPB, call depth reset) and the BHI clearing loop; at the fast exits
 * IBRS_EXIT and the IBPB that VMSCAPE asks for.  Each is one call site,
 * patched in where the CPU needs any of them; the helpers
 * (entry_kml_syscall.S) keep every register and the flags.  On the fast
 * paths the site takes the place of an instruction that the helper then
 * runs itself (the load of current, the exit-work test), so that where
 * the CPU needs none of them they run not one instruction more;
 * elsewhere it is a NOP.
 */
.macro KML_ALT_ENTRY orig, new
	__ALTERNATIVE(__ALTERNATIVE(__ALTERNATIVE(__ALTERNATIVE(__ALTERNATIVE(
	__ALTERNATIVE(\orig, \new, X86_FEATURE_KERNEL_IBRS),
		\new, X86_FEATURE_UNRET),
		\new, X86_FEATURE_SRSO_ALIAS),
		\new, X86_FEATURE_ENTRY_IBPB),
		\new, X86_FEATURE_CALL_DEPTH),
		\new, X86_FEATURE_CLEAR_BHB_LOOP)
.endm

.macro KML_ALT_EXIT orig, new
	__ALTERNATIVE(__ALTERNATIVE(\orig, \new, X86_FEATURE_KERNEL_IBRS),
		\new, X86_FEATURE_IBPB_EXIT_TO_USER)
.endm

/* fn: kml_mitigate_entry, or kml_mitigate_entry_irqs_on with IF set */
.macro KML_MITIGATE_ENTRY fn:req
	KML_ALT_ENTRY "", "call \fn"
.endm

.macro KML_MITIGATE_EXIT
	KML_ALT_EXIT "", "call kml_mitigate_exit"
.endm
#endif /* __ASSEMBLY__ */

#ifndef __ASSEMBLY__

#include <linux/jump_label.h>
#include <linux/mm_types.h>
#include <linux/types.h>
#include <asm/cpufeature.h>
#include <asm/current.h>
#include <asm/ptrace.h>
#include <asm/trap_pf.h>

struct pt_regs;
struct task_struct;
struct mm_struct;
struct linux_binprm;

#ifdef CONFIG_KERNEL_MODE_LINUX

DECLARE_STATIC_KEY_FALSE(kml_active_key);

/* kml_user_frame() is in asm/ptrace.h, beside user_mode(). */

static __always_inline bool kml_mm(const struct mm_struct *mm)
{
	return mm && mm->context.kml;
}

/* The exit work of the fast system call path (kml.c). */
int kml_syscall_exit_work(struct pt_regs *regs);

/* entry_kml.S */
extern const char kml_ist_stubs[];	/* 16 bytes a vector */
extern const unsigned long kml_ist_text_size;
extern const u64 kml_errcode_vectors[12];	/* kernel, user, INT n: 4 each */
extern const char kml_user_int_stubs[];	/* 16 bytes a vector from 32 */
void kml_double_fault(void);
extern u32 kml_soft_vectors;
bool kml_vector_in_service(unsigned int vector);
#ifdef CONFIG_KML_DEBUG_NEST_NMI
extern const char kml_nest_site[];
void kml_nest_thunk(void);
void kml_nest_nmi_send(void);
#endif
void kml_asm_exc_debug_user(void);
void kml_asm_exc_int3_user(void);
/* entry_kml_syscall.S */
void entry_SYSCALL_64_kml(void);
void entry_SYSCALL_64_kml_fast(void);
extern const char entry_SYSCALL_64_kml_hwframe[];
extern const char entry_SYSCALL_64_kml_fast_hwframe[];
extern const char kml_syscall_stub[], kml_syscall_stub_jmp[];
extern const char kml_syscall_stub_end[];
extern const char entry_kml_direct[], entry_kml_direct_gs[], entry_kml_direct_switched[],
	entry_kml_direct_saved[];
extern const char entry_kml_direct_fast[], entry_kml_direct_fast_gs[],
	entry_kml_direct_fast_switched[], entry_kml_direct_fast_saved[];
extern const char entry_kml_text_end[];
/* The direct-call entry in use; 0 without direct calls. */
extern unsigned long kml_direct_entry_ip;

void __kml_switch_to(struct task_struct *prev, struct task_struct *next);
void __kml_switch_gsbase(struct task_struct *prev, struct task_struct *next);
void __kml_start_thread(struct pt_regs *regs);
void __kml_cr4_written(unsigned long cr4);
bool __kml_pgd_keep_exec(pgd_t *pgdp);
void __kml_signal_regs(struct pt_regs *regs);
void __kml_signal_frame_regs(struct pt_regs *regs);
bool kml_return_slot(struct pt_regs *regs);
int __kml_ptrace_set_segment(struct task_struct *task, unsigned long offset,
			     u16 value);
void __kml_regs_written(struct task_struct *task);
void __kml_ptrace_putreg(struct task_struct *task, unsigned long offset,
			 unsigned long value);
void kml_exc_debug_user(struct pt_regs *regs);
bool __kml_exc_debug_switch(struct pt_regs *regs);

/*
 * exc_debug_kernel(): a single step that trapped right after a direct
 * call's stack switch, in kernel context (see entry_kml_syscall.S): TF is
 * cleared and the step dropped, as for the rest of the prologue.
 */
static __always_inline bool kml_exc_debug_switch(struct pt_regs *regs)
{
	return static_branch_unlikely(&kml_active_key) && __kml_exc_debug_switch(regs);
}

bool __kml_soft_int(struct pt_regs *regs, int vector);

/*
 * within_cpu_entry() (hw_breakpoint.c): what the KML IST stubs run and
 * read on the KML IST stack, where a #DB of a hardware breakpoint would
 * enter a stub again and overwrite the interrupted one's frame: no
 * breakpoint may cover it, as none may cover the stock entry's.
 */
bool kml_within_entry(unsigned long addr, unsigned long end);

/*
 * exc_nmi(), around the handlers: the KML IST entry moves KML_IST_NEST
 * bytes down while an NMI handler runs, so that an exception it takes (a
 * page fault of copy_from_user_nmi(), say) starts below an IST stub the
 * NMI may have interrupted, instead of over its frame (as
 * sev_es_ist_enter() does for #VC).  NMIs do not nest here: the stock
 * code latches a second one until this one's handlers are done.
 * Macros: cpu_tss_rw is in asm/processor.h, which nmi.c has.
 */
#define kml_ist_nmi_move(delta)							\
	do {									\
		if (static_branch_unlikely(&kml_active_key))			\
			this_cpu_add(cpu_tss_rw.x86_tss.ist[IST_INDEX_KML], delta); \
	} while (0)
#define kml_ist_nmi_enter()	kml_ist_nmi_move(-KML_IST_NEST)
#define kml_ist_nmi_exit()	kml_ist_nmi_move(KML_IST_NEST)

/*
 * math_error(): a user #MF or #XM with no exception pending, which ring 3
 * retries, is a KML program's "int $16" or "int $19" where the bytes of
 * that INT precede RIP (Documentation/kml.rst, "Software interrupts").
 */
static __always_inline bool kml_soft_int(struct pt_regs *regs, int vector)
{
	return static_branch_unlikely(&kml_active_key) && __kml_soft_int(regs, vector);
}

/*
 * __switch_to(), before the stock code loads @next's GS base: the saved
 * GS bases it goes by are made to give MSR_KERNEL_GS_BASE its KML value
 * (the per-CPU base, see the top) or take it away.
 */
static __always_inline void kml_switch_gsbase(struct task_struct *prev,
					      struct task_struct *next)
{
	if (!static_branch_unlikely(&kml_active_key))
		return;
	if (cpu_feature_enabled(X86_FEATURE_FSGSBASE)) {
		if (kml_mm(next->mm))
			next->thread.gsbase = this_cpu_read(this_cpu_off);
	} else if (kml_mm(prev->mm)) {
		__kml_switch_gsbase(prev, next);
	}
}

/*
 * __switch_to(): bring this CPU into or out of the KML state.  A switch
 * between two normal tasks on a CPU in the stock state has nothing to do
 * and calls nothing.
 */
static __always_inline void kml_switch_to(struct task_struct *prev,
					  struct task_struct *next)
{
	if (static_branch_unlikely(&kml_active_key) &&
	    (this_cpu_read(kml_cpu_state) || kml_mm(prev->mm) || kml_mm(next->mm)))
		__kml_switch_to(prev, next);
}

/* start_thread(): the new program starts in KML mode iff its mm is KML. */
static __always_inline void kml_start_thread(struct pt_regs *regs)
{
	if (static_branch_unlikely(&kml_active_key))
		__kml_start_thread(regs);
}

/* native_write_cr4(): keep SMEP/SMAP clear while a KML task is current. */
static __always_inline void kml_cr4_written(unsigned long cr4)
{
	if (static_branch_unlikely(&kml_active_key))
		__kml_cr4_written(cr4);
}

/* PTI: the kernel-side PGD entries of a KML mm stay executable. */
static __always_inline bool kml_pgd_keep_exec(pgd_t *pgdp)
{
	return static_branch_unlikely(&kml_active_key) && __kml_pgd_keep_exec(pgdp);
}

/* #PF from KML user code is a user fault, whatever the CPL. */
static __always_inline unsigned long kml_fault_error_code(struct pt_regs *regs,
							  unsigned long error_code)
{
	if (kml_user_frame(regs))
		error_code |= X86_PF_USER;
	return error_code;
}

/*
 * Sigreturn (kml_signal_regs()) and signal delivery
 * (kml_signal_frame_regs()): a KML task keeps its selectors whatever the
 * frame says; a normal task is left to the stock code, which forces
 * RPL 3.
 */
static __always_inline void kml_signal_regs(struct pt_regs *regs)
{
	if (static_branch_unlikely(&kml_active_key))
		__kml_signal_regs(regs);
}

static __always_inline void kml_signal_frame_regs(struct pt_regs *regs)
{
	if (static_branch_unlikely(&kml_active_key))
		__kml_signal_frame_regs(regs);
}

/*
 * ptrace writes of CS or SS.  Returns 1 if the write was handled (a KML
 * task keeping its selectors), a negative errno if it is refused, and 0
 * for the stock code to decide.
 */
static __always_inline int kml_ptrace_set_segment(struct task_struct *task,
						  unsigned long offset, u16 value)
{
	if (static_branch_unlikely(&kml_active_key))
		return __kml_ptrace_set_segment(task, offset, value);
	return 0;
}

/*
 * ptrace writes a register of a stopped task.  The fast system call exit
 * (entry_kml_syscall.S) does not reload the callee-saved registers from
 * pt_regs: anything that writes a KML task's pt_regs while it is inside
 * a system call must send that exit down the generic path.
 */
static __always_inline void kml_ptrace_regs_written(struct task_struct *task)
{
	if (static_branch_unlikely(&kml_active_key))
		__kml_regs_written(task);
}

/*
 * putreg(): ptrace writes @value to the register at @offset in struct
 * user_regs_struct.  As kml_ptrace_regs_written(), and a write that
 * changes RIP or R11 of a task stopped in a direct call's GS prologue
 * must not reach the WRGSBASE there (kml.c).
 */
static __always_inline void kml_ptrace_putreg(struct task_struct *task,
					      unsigned long offset,
					      unsigned long value)
{
	if (static_branch_unlikely(&kml_active_key))
		__kml_ptrace_putreg(task, offset, value);
}

/*
 * MSR_STAR's SYSCALL code selector (syscall_init()): __KML_CS while KML is
 * active, so that a KML program's SYSCALL lands with its own CS and SS
 * (__KML_DS, the next GDT entry) and the entry can return to it with a
 * plain jump instead of IRET.  System calls of every other task then run
 * with __KML_CS too; kml_user_frame() tells their frames from a KML
 * program's.
 */
static __always_inline u16 kml_syscall_cs(void)
{
	return static_branch_unlikely(&kml_active_key) ? __KML_CS : __KERNEL_CS;
}

/* A stack selector that SYSCALL loads (the SYSRET SS workaround keeps it). */
static __always_inline bool kml_syscall_ss(u16 ss)
{
	return static_branch_unlikely(&kml_active_key) && ss == __KML_DS;
}

/* A kernel frame with the SYSCALL code selector (the ESPFIX64 #DF check). */
static __always_inline bool kml_syscall_cs_frame(const struct pt_regs *regs)
{
	return static_branch_unlikely(&kml_active_key) && regs->cs == __KML_CS;
}

/* arch_prctl(ARCH_SET_GS) is refused in a KML task: GS is the kernel's. */
static __always_inline bool kml_refuse_gs(struct task_struct *task)
{
	return static_branch_unlikely(&kml_active_key) && kml_mm(task->mm);
}

/* arch_prctl(ARCH_KML_SLED): map the direct-call sled at address 0. */
long kml_arch_prctl_sled(struct task_struct *task, unsigned long flags);

#else /* !CONFIG_KERNEL_MODE_LINUX */

static inline void kml_switch_to(struct task_struct *prev, struct task_struct *next) { }
static inline void kml_switch_gsbase(struct task_struct *prev, struct task_struct *next) { }
static inline void kml_start_thread(struct pt_regs *regs) { }
static inline void kml_cr4_written(unsigned long cr4) { }
static inline bool kml_pgd_keep_exec(pgd_t *pgdp) { return false; }
static __always_inline unsigned long kml_fault_error_code(struct pt_regs *regs,
							  unsigned long error_code)
{
	return error_code;
}
static inline void kml_signal_regs(struct pt_regs *regs) { }
static inline void kml_signal_frame_regs(struct pt_regs *regs) { }
static inline int kml_ptrace_set_segment(struct task_struct *task,
					 unsigned long offset, u16 value)
{
	return 0;
}
static inline void kml_ptrace_regs_written(struct task_struct *task) { }
static inline void kml_ptrace_putreg(struct task_struct *task,
				     unsigned long offset,
				     unsigned long value) { }
static inline bool kml_refuse_gs(struct task_struct *task) { return false; }
static inline long kml_arch_prctl_sled(struct task_struct *task, unsigned long flags)
{
	return -EINVAL;
}
static __always_inline bool kml_exc_debug_switch(struct pt_regs *regs) { return false; }
static __always_inline bool kml_soft_int(struct pt_regs *regs, int vector) { return false; }
static inline bool kml_within_entry(unsigned long addr, unsigned long end) { return false; }
#define kml_ist_nmi_enter()	do { } while (0)
#define kml_ist_nmi_exit()	do { } while (0)
static __always_inline u16 kml_syscall_cs(void) { return __KERNEL_CS; }
static __always_inline bool kml_syscall_ss(u16 ss) { return false; }
static __always_inline bool kml_syscall_cs_frame(const struct pt_regs *regs) { return false; }

#endif /* CONFIG_KERNEL_MODE_LINUX */
#endif /* !__ASSEMBLY__ */
#endif /* _ASM_X86_KML_H */
