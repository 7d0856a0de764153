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

static inline int kt_done(void)
{
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

/* The KernelMode: line of /proc/self/status (1 or 0), -1 if absent. */
static inline int kt_kernel_mode(void)
{
	char line[128];
	int v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "KernelMode:", 11))
			v = atoi(line + 11);
	if (f)
		fclose(f);
	return v;
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

#endif
