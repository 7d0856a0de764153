/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux: hooks for generic kernel code.
 * See Documentation/kml.rst.
 */
#ifndef _LINUX_KML_H
#define _LINUX_KML_H

#include <linux/types.h>

struct linux_binprm;
struct mm_struct;
struct seq_file;

#ifdef CONFIG_KERNEL_MODE_LINUX

/* kml= on the command line; false also when the architecture refused. */
extern bool kml_enabled;

/* exec, at the point of no return: decide the mode of the new program. */
void kml_exec_grant(struct linux_binprm *bprm);
/* /proc/<pid>/status: "KernelMode:" line. */
void kml_proc_status(struct seq_file *m, struct mm_struct *mm);

/* Implemented by the architecture. */
bool arch_kml_mm(struct mm_struct *mm);
void arch_kml_grant_mm(struct mm_struct *mm);

#else

static inline void kml_exec_grant(struct linux_binprm *bprm) { }
static inline void kml_proc_status(struct seq_file *m, struct mm_struct *mm) { }

#endif /* CONFIG_KERNEL_MODE_LINUX */
#endif /* _LINUX_KML_H */
