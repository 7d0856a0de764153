/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel Mode Linux: hooks for generic kernel code.
 * See Documentation/kml.rst.
 */
#ifndef _LINUX_KML_H
#define _LINUX_KML_H

#include <linux/types.h>
#include <linux/mm.h>
#include <linux/userfaultfd_k.h>

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

/*
 * fork(), copy_present_ptes(): true if the child need not inherit this
 * present PTE of @src, which maps @folio, because its first access faults
 * the same page in.  Stock fork() already leaves every file mapping
 * without anon_vma to the child's faults.  The KML rewriter's patched
 * pages give the text of a KML process an anon_vma (as relocations do to
 * RELRO data), after which stock fork() copies every present PTE of the
 * mapping.  Here only the anonymous pages (the patched ones) are copied;
 * the file pages are left to faults, as without the rewrite.  Only
 * private, read-only file mappings of KML processes, and not with uffd-wp
 * (whose bits only the PTEs hold).  Cheap tests first: this runs for
 * every present PTE that fork() copies.
 */
static inline bool kml_fork_lazy_pte(struct vm_area_struct *dst,
				     struct vm_area_struct *src,
				     struct folio *folio)
{
	const vm_flags_t mask = VM_WRITE | VM_SHARED | VM_IO |
				VM_PFNMAP | VM_MIXEDMAP;

	if ((src->vm_flags & mask) || !src->vm_file ||
	    folio_test_anon(folio) || userfaultfd_wp(dst))
		return false;
	return kml_enabled && arch_kml_mm(src->vm_mm);
}

/* ARCH_KML_SLED_EXEC: @mm maps registered patched copies. */
bool arch_kml_images_mm(struct mm_struct *mm);
/* The sled for a patched copy, @mm's lock held for writing. */
bool arch_kml_images_sled(struct mm_struct *mm);

struct file *__kml_mmap_image(struct file *file, unsigned long addr);

/*
 * do_mmap(), with the mmap lock held for writing, before mmap_region():
 * the patched copy registered for @file (/sys/kernel/kml/images), with a
 * reference the caller drops, to be mapped instead of @file; or NULL.
 * Only for a private, read-only, executable mapping in a KML process
 * that asked for it (ARCH_KML_SLED_EXEC).  The checks of do_mmap() were
 * made on @file.
 */
static inline struct file *kml_mmap_image(struct file *file,
					  unsigned long addr,
					  vm_flags_t vm_flags)
{
	if (!file || (vm_flags & (VM_EXEC | VM_WRITE | VM_MAYSHARE)) != VM_EXEC)
		return NULL;
	if (!kml_enabled || !arch_kml_images_mm(current->mm))
		return NULL;
	return __kml_mmap_image(file, addr);
}

#else

static inline void kml_exec_grant(struct linux_binprm *bprm) { }
static inline void kml_exec_interp(struct linux_binprm *bprm, struct file *outer) { }
static inline bool kml_ptrace_denied(struct mm_struct *mm, unsigned int mode)
{
	return false;
}
static inline void kml_proc_status(struct seq_file *m, struct mm_struct *mm) { }
static inline bool kml_fork_lazy_pte(struct vm_area_struct *dst,
				     struct vm_area_struct *src,
				     struct folio *folio)
{
	return false;
}
static inline struct file *kml_mmap_image(struct file *file,
					  unsigned long addr,
					  vm_flags_t vm_flags)
{
	return NULL;
}

#endif /* CONFIG_KERNEL_MODE_LINUX */
#endif /* _LINUX_KML_H */
