/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux: hooks for generic kernel code.
 * See Documentation/kml.rst.
 */
#ifndef _LINUX_KML_H
#define _LINUX_KML_H

#include <linux/types.h>

struct file;
struct linux_binprm;
struct mm_struct;
struct seq_file;

/* linux_binprm.kml_interp: the #! scripts and binfmt_misc files of an exec */
enum {
	KML_INTERP_NONE,	/* none: the program was executed directly */
	KML_INTERP_TRUSTED,	/* each one qualified for kernel mode */
	KML_INTERP_UNTRUSTED,	/* at least one did not */
};

#ifdef CONFIG_KERNEL_MODE_LINUX

/* false with kml=off, or when the architecture refused at boot. */
extern bool kml_enabled;

/* exec, at the point of no return: decide the mode of the new program. */
void kml_exec_grant(struct linux_binprm *bprm);
/* exec_binprm(): @outer (a #! script, a binfmt_misc file) gets an interpreter. */
void kml_exec_interp(struct linux_binprm *bprm, struct file *outer);
/* __ptrace_may_access(): attaching to a KML task needs CAP_SYS_PTRACE. */
bool kml_ptrace_denied(struct mm_struct *mm, unsigned int mode);
/* /proc/<pid>/status: "KernelMode:" line. */
void kml_proc_status(struct seq_file *m, struct mm_struct *mm);

/* Implemented by the architecture. */
bool arch_kml_mm(struct mm_struct *mm);
void arch_kml_grant_mm(struct mm_struct *mm);
/* Direct calls made so far (/sys/kernel/kml/direct_calls). */
unsigned long arch_kml_direct_calls(void);

#else

static inline void kml_exec_grant(struct linux_binprm *bprm) { }
static inline void kml_exec_interp(struct linux_binprm *bprm, struct file *outer) { }
static inline bool kml_ptrace_denied(struct mm_struct *mm, unsigned int mode)
{
	return false;
}
static inline void kml_proc_status(struct seq_file *m, struct mm_struct *mm) { }

#endif /* CONFIG_KERNEL_MODE_LINUX */
#endif /* _LINUX_KML_H */
