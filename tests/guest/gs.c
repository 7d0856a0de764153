// SPDX-License-Identifier: GPL-2.0
/*
 * GS.  At CPL 0 the GS base is the kernel's per-CPU base, so a KML
 * program may not change it: arch_prctl(ARCH_SET_GS) fails with EPERM and
 * AT_HWCAP2 does not offer HWCAP2_FSGSBASE, which is how the kernel ABI
 * says that WRGSBASE and friends are not enabled for a program
 * (Documentation/arch/x86/x86_64/fsgs.rst).  A ring 3 program gets both,
 * and the FSGSBASE instructions then work for it.  FS (TLS) works in both.
 *
 * A KML program that writes GS anyway must not bring the kernel down.
 * Where the CPU has FSGSBASE, every entry from KML code puts the per-CPU
 * base back: the program's WRGSBASE, or the base a GS selector load gave,
 * lasts until its next system call, interrupt or exception.  Without
 * FSGSBASE, WRGSBASE is an invalid opcode (SIGILL).
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <cpuid.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
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

static unsigned long rdgsbase(void)
{
	unsigned long v;

	__asm__ volatile("rdgsbase %0" : "=r"(v));
	return v;
}

static void wrgsbase(unsigned long v)
{
	__asm__ volatile("wrgsbase %0" : : "r"(v) : "memory");
}

/* A kernel address: the per-CPU base of some CPU. */
static int kernel_base(unsigned long v)
{
	return (long)v < 0;
}

static void on_trap(int sig)
{
	(void)sig;
}

static sigjmp_buf ill_env;

static void on_ill(int sig)
{
	siglongjmp(ill_env, 1);
}

/* A junk GS base, as a buggy program would write. */
#define JUNK_GS		0x7f0000001000UL

/*
 * Write GS at CPL 0, then enter the kernel in each way a KML program can:
 * the base must be a per-CPU base again afterwards, and the kernel alive.
 */
static void ring0_writes_gs(void)
{
	unsigned long cr4, v, i;
	unsigned short sel;
	pid_t pid = getpid();
	long r;

	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	if (!(cr4 & (1UL << 16))) {
		struct sigaction sa = { .sa_handler = on_ill };
		volatile int ill = 0;

		sigaction(SIGILL, &sa, NULL);
		if (!sigsetjmp(ill_env, 1))
			wrgsbase(JUNK_GS);
		else
			ill = 1;
		signal(SIGILL, SIG_DFL);
		kt_check(ill, "without CR4.FSGSBASE, WRGSBASE at CPL 0 raises SIGILL");
		return;
	}
	v = rdgsbase();
	kt_check(kernel_base(v), "the GS base at CPL 0 is a per-CPU base (%#lx)", v);

	/* A system call: SYSCALL, or a direct call through the shim. */
	wrgsbase(JUNK_GS);
	r = syscall(SYS_getpid);
	v = rdgsbase();
	kt_check(r == pid && kernel_base(v),
		 "WRGSBASE, then a system call: getpid works, GS base restored (%#lx)", v);

	/* An interrupt: wait for the timer, which puts the base back. */
	wrgsbase(JUNK_GS);
	for (i = 0; i < 300000000UL && rdgsbase() == JUNK_GS; i++)
		;
	v = rdgsbase();
	kt_check(kernel_base(v),
		 "WRGSBASE, then an interrupt: GS base restored (%#lx after %lu loops)", v, i);

	/* An exception that becomes a signal. */
	signal(SIGTRAP, on_trap);
	wrgsbase(JUNK_GS);
	__asm__ volatile("int3" : : : "memory");
	v = rdgsbase();
	signal(SIGTRAP, SIG_DFL);
	kt_check(kernel_base(v), "WRGSBASE, then int3 and a signal: GS base restored (%#lx)", v);

	/* Selector loads take the base from the descriptor. */
	__asm__ volatile("mov %0, %%gs" : : "r"((unsigned short)0x2b) : "memory");
	r = syscall(SYS_getpid);
	v = rdgsbase();
	__asm__ volatile("mov %%gs, %0" : "=r"(sel));
	kt_check(r == pid && kernel_base(v),
		 "a GS selector load (%#x), then a system call: GS base restored (%#lx)", sel, v);
	__asm__ volatile("mov %0, %%gs" : : "r"((unsigned short)0) : "memory");
	sched_yield();
	r = syscall(SYS_getpid);
	v = rdgsbase();
	__asm__ volatile("mov %%gs, %0" : "=r"(sel));
	kt_check(r == pid && kernel_base(v) && sel == 0,
		 "a null GS selector load, then system calls: GS base restored (%#lx)", v);
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
	ring0_writes_gs();
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
