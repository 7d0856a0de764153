/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libkml: system calls as direct calls for programs that Kernel Mode Linux
 * runs in kernel mode (Documentation/kml.rst, "Direct calls").
 *
 * A KML process finds the kernel's direct-call entry in its auxiliary
 * vector; these functions call it with "call *%rcx", with the SYSCALL
 * register convention (arguments in rdi, rsi, rdx, r10, r8, r9; result
 * in rax; rcx and r11 clobbered, and the arithmetic flags), and it
 * returns with a plain RET.  The kernel saves the caller's rcx for a
 * restart, so a restarted call re-issues that call too (rcx still comes
 * back clobbered).  The call pushes its return address, so these
 * functions first step over the 128-byte red zone of the code around
 * them.  A process that asks (kml_direct_sled(), the rewriter) also gets
 * the direct-call page at address 0: a "call *%rax" with a system call
 * number in %rax enters the kernel through its sled.  Without asking,
 * nothing is mapped at 0 and a NULL pointer faults as in ring 3.
 * In a process that does not run in kernel mode they issue SYSCALL: the
 * same code works everywhere.
 * That SYSCALL carries a DS prefix, which does nothing but make it three
 * bytes long: the rewriter changes only 2-byte SYSCALL instructions, so
 * it stays a SYSCALL in a rewritten program too.
 *
 * kml_syscall0..6() return the raw result (-errno on error); syscall()
 * (in the library) is the libc-compatible replacement.
 */
#ifndef _KML_H
#define _KML_H

#ifdef __cplusplus
extern "C" {
#endif

/* Set by the library's constructor: 1 if direct calls work here. */
extern int kml_direct;

/*
 * Set by kml_direct_sled(): the numbers the sled at address 0 covers, for
 * "call *%rax" sites; 0 until then.  The entry below takes any number,
 * and gives -ENOSYS for one that is no system call, as SYSCALL does.
 */
extern unsigned long kml_direct_limit;

/*
 * Also set by the constructor: the kernel's direct-call entry, and 0
 * while direct calls do not work here (the functions below then issue
 * SYSCALL).
 */
extern unsigned long kml_direct_entry;

/* 1 if this process runs in kernel mode with a direct-call entry. */
int kml_direct_available(void);

/*
 * Map the direct-call page at address 0 (once) for "call *%rax" sites;
 * returns kml_direct_limit, 0 where there can be none.
 */
unsigned long kml_direct_sled(void);

/* libc's syscall(), through a direct call when possible. */
long syscall(long number, ...);

#define KML_DIRECT_CALL							\
	"testq %%rcx, %%rcx\n\t"					\
	"jnz 1f\n\t"							\
	"ds syscall\n\t"						\
	"jmp 2f\n"							\
	"1:\tleaq -128(%%rsp), %%rsp\n\t"				\
	"call *%%rcx\n\t"						\
	"leaq 128(%%rsp), %%rsp\n"					\
	"2:"

#define KML_CLOBBERS "r11", "memory", "cc"

static inline long kml_syscall6(long n, long a1, long a2, long a3, long a4,
				long a5, long a6)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	unsigned long entry = kml_direct_entry;
	long ret = n;

	__asm__ volatile(KML_DIRECT_CALL
			 : "+a"(ret), "+c"(entry), "+r"(r10), "+r"(r8), "+r"(r9)
			 : "D"(a1), "S"(a2), "d"(a3)
			 : KML_CLOBBERS);
	return ret;
}

static inline long kml_syscall5(long n, long a1, long a2, long a3, long a4,
				long a5)
{
	return kml_syscall6(n, a1, a2, a3, a4, a5, 0);
}

static inline long kml_syscall4(long n, long a1, long a2, long a3, long a4)
{
	return kml_syscall6(n, a1, a2, a3, a4, 0, 0);
}

static inline long kml_syscall3(long n, long a1, long a2, long a3)
{
	unsigned long entry = kml_direct_entry;
	long ret = n;

	__asm__ volatile(KML_DIRECT_CALL
			 : "+a"(ret), "+c"(entry)
			 : "D"(a1), "S"(a2), "d"(a3)
			 : KML_CLOBBERS);
	return ret;
}

static inline long kml_syscall2(long n, long a1, long a2)
{
	return kml_syscall3(n, a1, a2, 0);
}

static inline long kml_syscall1(long n, long a1)
{
	return kml_syscall3(n, a1, 0, 0);
}

static inline long kml_syscall0(long n)
{
	return kml_syscall3(n, 0, 0, 0);
}

#ifdef __cplusplus
}
#endif

#endif /* _KML_H */
