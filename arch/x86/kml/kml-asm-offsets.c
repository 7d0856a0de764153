// SPDX-License-Identifier: GPL-2.0
/*
 * Constants for entry_kml_syscall.S and entry_kml.S that only C can
 * compute: where the thread flags live in task_struct, which flags send a
 * system call down the generic path, where the #DF stack is.  Kbuild
 * turns this into kml-asm-offsets.h.
 */
#define COMPILE_OFFSETS

#include <linux/entry-common.h>
#include <linux/kbuild.h>
#include <linux/sched.h>
#include <asm/syscall.h>
#include <asm/unistd.h>

/* Any of these at entry: the generic path (seccomp, ptrace, audit, ...). */
#define KML_SYSCALL_WORK_ANY	(SYSCALL_WORK_ENTER | SYSCALL_WORK_EXIT)

/*
 * Any of these at exit: the generic exit.  EXIT_TO_USER_MODE_WORK is what
 * exit_to_user_mode_prepare() loops on; the three x86 flags are what
 * arch_exit_work() acts on; TIF_KML_EXIT is KML's own (pt_regs written).
 */
#define KML_EXIT_WORK_ANY	(EXIT_TO_USER_MODE_WORK | _TIF_USER_RETURN_NOTIFY | \
				 _TIF_IO_BITMAP | _TIF_NEED_FPU_LOAD | _TIF_KML_EXIT)

static void __used common(void)
{
	OFFSET(KML_TASK_ti_flags, task_struct, thread_info.flags);
	OFFSET(KML_TASK_ti_syscall_work, task_struct, thread_info.syscall_work);
	/* The FPU state check of CONFIG_X86_DEBUG_FPU (entry_kml_syscall.S). */
	OFFSET(KML_TASK_thread_fpu, task_struct, thread.fpu);
	OFFSET(KML_FPU_last_cpu, fpu, last_cpu);
	OFFSET(KML_pcpu_hot_cpu_number, pcpu_hot, cpu_number);
	/* The return address of a direct call in progress (entry_kml_syscall.S). */
	OFFSET(KML_TASK_thread_direct_ip, task_struct, thread.kml_direct_ip);
	/* Whether the process asked for the direct-call sled (entry_kml.S). */
	OFFSET(KML_TASK_mm, task_struct, mm);
	OFFSET(KML_MM_kml_sled, mm_struct, context.kml_sled);
	DEFINE(KML_SYSCALL_WORK_ANY_MASK, KML_SYSCALL_WORK_ANY);
	DEFINE(KML_EXIT_WORK_ANY_MASK, KML_EXIT_WORK_ANY);
	DEFINE(KML_TIF_EXIT, TIF_KML_EXIT);
	DEFINE(KML_NR_SYSCALLS, NR_syscalls);
	/* The IRQ stack's top minus 8, and whether it is in use (entry_kml.S). */
	OFFSET(KML_pcpu_hot_hardirq_stack_ptr, pcpu_hot, hardirq_stack_ptr);
	OFFSET(KML_pcpu_hot_hardirq_stack_inuse, pcpu_hot, hardirq_stack_inuse);
	/* Page faults off around a read of program text (entry_kml.S). */
	OFFSET(KML_pcpu_hot_preempt_count, pcpu_hot, preempt_count);
	/* The #DF IST stack top in the TSS (entry_kml.S, stack overflow). */
	DEFINE(KML_TSS_ist_df, offsetof(struct tss_struct, x86_tss.ist[IST_INDEX_DF]));
}
