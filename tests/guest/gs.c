// SPDX-License-Identifier: GPL-2.0
/*
 * GS.  At CPL 0 the GS base is the kernel's per-CPU base, so a KML
 * program may not change it: arch_prctl(ARCH_SET_GS) fails with EPERM and
 * AT_HWCAP2 does not offer HWCAP2_FSGSBASE, which is how the kernel ABI
 * says that WRGSBASE and friends are not enabled for a program
 * (Documentation/arch/x86/x86_64/fsgs.rst).  A ring 3 program gets both,
 * and the FSGSBASE instructions then work for it.  FS (TLS) works in both.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <cpuid.h>
#include <errno.h>
#include <sched.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kt.h"

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE	(1 << 1)
#endif

static int cpu_has_fsgsbase(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return b & 1;
}

static long arch_prctl(int code, unsigned long addr)
{
	return syscall(SYS_arch_prctl, code, addr);
}

static void ring0(unsigned long hwcap2)
{
	unsigned long base = 0;
	long r;

	kt_check(!(hwcap2 & HWCAP2_FSGSBASE),
		 "AT_HWCAP2 (%#lx) does not offer FSGSBASE at CPL 0", hwcap2);
	errno = 0;
	r = arch_prctl(ARCH_SET_GS, 0x10000);
	kt_check(r == -1 && errno == EPERM,
		 "arch_prctl(ARCH_SET_GS) fails with EPERM (%ld, %s)", r, strerror(errno));
	r = arch_prctl(ARCH_GET_GS, (unsigned long)&base);
	kt_check(r == 0 && base != 0x10000, "ARCH_GET_GS does not report the refused base");
}

static void ring3(unsigned long hwcap2, int cpu)
{
	unsigned long base = 0, v = 0x10000, w = 0x20000;
	long r;

	kt_check(!!(hwcap2 & HWCAP2_FSGSBASE) == cpu,
		 "AT_HWCAP2 (%#lx) offers FSGSBASE iff the CPU has it (%d)", hwcap2, cpu);
	r = arch_prctl(ARCH_SET_GS, v);
	kt_check(r == 0, "arch_prctl(ARCH_SET_GS) works (%ld)", r);
	sched_yield();
	r = arch_prctl(ARCH_GET_GS, (unsigned long)&base);
	kt_check(r == 0 && base == v, "ARCH_GET_GS reads it back after a system call (%#lx)", base);
	if (hwcap2 & HWCAP2_FSGSBASE) {
		__asm__ volatile("wrgsbase %0" : : "r"(w) : "memory");
		sched_yield();
		__asm__ volatile("rdgsbase %0" : "=r"(base));
		kt_check(base == w, "WRGSBASE sticks across a system call (%#lx)", base);
	}
	arch_prctl(ARCH_SET_GS, 0);
}

int main(void)
{
	unsigned long hwcap2 = getauxval(AT_HWCAP2), fs = 0, tp;
	int cpu = cpu_has_fsgsbase(), cpl = kt_cpl();
	long r;

	printf("# mode %s: CPL %d, CPUID FSGSBASE %d, AT_HWCAP2 %#lx\n",
	       kt_mode(), cpl, cpu, hwcap2);
	if (cpl == 0)
		ring0(hwcap2);
	else
		ring3(hwcap2, cpu);

	/* FS is the program's in both modes: glibc's TLS pointer. */
	__asm__ volatile("mov %%fs:0, %0" : "=r"(tp));
	r = arch_prctl(ARCH_GET_FS, (unsigned long)&fs);
	kt_check(r == 0 && fs == tp, "ARCH_GET_FS is the TLS pointer (%#lx, %#lx)", fs, tp);
	return kt_done();
}
