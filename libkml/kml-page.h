/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the kernel gives a KML process for direct calls
 * (Documentation/kml.rst, "Direct calls"): the entry, in the auxiliary
 * vector, and on request the direct-call page at address 0, whose sled
 * takes "call *%rax" with a system call number in %rax.  Nothing is
 * mapped at 0 until the process asks, so that NULL faults as in ring 3.
 */
#ifndef _KML_PAGE_H
#define _KML_PAGE_H

#include <sys/auxv.h>

/* The kernel's AT_KML_ENTRY: the direct-call entry of a KML process. */
#define KML_AT_ENTRY		0x4b4d4cUL
/* arch_prctl(ARCH_KML_SLED, flags): map the sled; returns the numbers it covers. */
#define KML_ARCH_SLED		0x4b01
/*
 * Its flag ARCH_KML_SLED_EXEC: the KML programs that this process and its
 * children execute start with the kernel mapping the patched copies that
 * root registered (/sys/kernel/kml/images), and the sled with them.
 */
#define KML_ARCH_SLED_EXEC	0x1

static inline int kml_cpl0(void)
{
	unsigned short cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return (cs & 3) == 0;
}

/*
 * The direct-call entry, for "call *%rcx", or 0: only at CPL 0, from the
 * auxiliary vector.
 */
static inline unsigned long kml_entry_auxv(void)
{
	if (!kml_cpl0())
		return 0;
	return getauxval(KML_AT_ENTRY);
}

/*
 * Ask the kernel for the sled at address 0, for "call *%rax" sites: the
 * numbers below the result enter the kernel through it; 0 if this process
 * cannot have it (not in kernel mode, or something else mapped at 0).
 * Asking again changes nothing but adds @flags (KML_ARCH_SLED_EXEC).  A
 * raw SYSCALL: the rewriter calls this from its constructor, before
 * anything else is set up.
 */
static inline unsigned long kml_sled_map(unsigned long flags)
{
	long ret = 158;		/* __NR_arch_prctl */

	if (!kml_cpl0())
		return 0;
	__asm__ volatile("syscall"
			 : "+a"(ret)
			 : "D"((long)KML_ARCH_SLED), "S"(flags)
			 : "rcx", "r11", "memory");
	return ret > 0 ? (unsigned long)ret : 0;
}

#endif
