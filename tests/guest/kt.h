/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tiny TAP helpers for KML guest tests.  Each program prints "ok N - what"
 * or "not ok N - what" per check and exits 0 only if every check passed
 * (77 = skipped, as in automake).  The suite runner sets KMLTEST_MODE
 * (normal or trusted) and KMLTEST_EXPECT_CPL.
 */
#ifndef KT_H
#define KT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int kt_n, kt_failed;

static inline void kt_check(int cond, const char *fmt, ...)
{
	va_list ap;

	kt_n++;
	if (!cond)
		kt_failed++;
	printf("%sok %d - ", cond ? "" : "not ", kt_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static inline unsigned long kt_direct_calls(void);
static inline const char *kt_mode(void);
static inline int kt_cpl(void);

/* Direct calls the kernel counted before main() (kt_done()). */
static unsigned long kt_calls_at_start;

__attribute__((constructor)) static void kt_note_start(void)
{
	kt_calls_at_start = kt_direct_calls();
}

/*
 * The end of every test: what its mode promises is checked too, so that
 * a PASS proves the mode the test ran in.  The CPL is the one the suite
 * expects (KMLTEST_EXPECT_CPL: /trusted programs at CPL 0, everything
 * else at 3); and a program run through the direct-call shim in kernel
 * mode (modes shim and rewrite: libkml-rewrite linked in, or preloaded)
 * made direct calls, so the shim was really in use.
 */
static inline int kt_done(void)
{
	const char *e = getenv("KMLTEST_EXPECT_CPL");
	const char *m = kt_mode();

	if (!e)
		kt_check(0, "KMLTEST_EXPECT_CPL is set (the suite runs this test)");
	else
		kt_check(kt_cpl() == atoi(e), "mode %s: runs at CPL %d, as the mode promises (%s)",
			 m, kt_cpl(), e);
	if (e && atoi(e) == 0 && (!strcmp(m, "shim") || !strcmp(m, "rewrite"))) {
		unsigned long n = kt_direct_calls() - kt_calls_at_start;

		kt_check(n > 0, "mode %s: the shim made direct calls (%lu)", m, n);
	}
	printf("# %d checks, %d failed\n", kt_n, kt_failed);
	fflush(stdout);
	return kt_failed ? 1 : 0;
}

/* CLOCK_MONOTONIC in seconds. */
static inline double kt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The current privilege level, from the low two bits of CS. */
static inline int kt_cpl(void)
{
	unsigned short cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

/* CR4.PKE: the kernel uses protection keys (CPUID.7.0:ECX.OSPKE). */
static inline int kt_ospke(void)
{
	unsigned int a, b, c, d;

	__asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
	return (c >> 4) & 1;
}

/* The number after @key (with its colon) in /proc/self/status, -1 if absent. */
static inline long kt_status_value(const char *key)
{
	char line[128];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n))
			v = atol(line + n);
	if (f)
		fclose(f);
	return v;
}

/* The KernelMode: line of /proc/self/status (1 or 0), -1 if absent. */
static inline int kt_kernel_mode(void)
{
	return kt_status_value("KernelMode:");
}

/* /sys/kernel/kml/direct_calls, 0 if absent. */
static inline unsigned long kt_direct_calls(void)
{
	unsigned long v = 0;
	FILE *f = fopen("/sys/kernel/kml/direct_calls", "r");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static inline const char *kt_mode(void)
{
	const char *m = getenv("KMLTEST_MODE");

	return m ? m : "unknown";
}

/*
 * "call *%rax" with RAX = @n, as at a rewritten SYSCALL site: with a
 * system call number, through the direct-call page at address 0 (the
 * process must have asked for it); returns RAX.  Steps over the red zone
 * first, as the rewriter's sites cannot.
 */
static inline long kt_call_rax(long n)
{
	__asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
			 "call *%%rax\n\t"
			 "lea 128(%%rsp), %%rsp"
			 : "+a"(n) : : "rcx", "r11", "memory", "cc");
	return n;
}

#endif
