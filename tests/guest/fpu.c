// SPDX-License-Identifier: GPL-2.0
/*
 * FPU/SSE/AVX state survives system calls, context switches and signal
 * handlers that clobber it.  The registers are loaded and stored in one
 * asm block around a loop of raw sched_yield system calls, with a timer
 * signal whose handler writes other values to every vector register.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kt.h"

static volatile sig_atomic_t ticks;

static void clobber(int sig)
{
	double d = 3.0;

	__asm__ volatile("pcmpeqd %%xmm0, %%xmm0\n\tmovdqa %%xmm0, %%xmm1\n\t"
			 "movdqa %%xmm0, %%xmm7\n\tmovdqa %%xmm0, %%xmm8\n\t"
			 "movdqa %%xmm0, %%xmm15" ::: "xmm0", "xmm1", "xmm7", "xmm8", "xmm15");
	d = d * d / 7.0;
	ticks += d > 1.0;
}

static int have_avx(void)
{
	unsigned int a, b, c, d, lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) || !(c & bit_AVX))
		return 0;
	__asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;
}

/* Load xmm0-15 from in, do n sched_yield syscalls, store them to out. */
static void sse_loop(const unsigned char *in, unsigned char *out, long n)
{
	__asm__ volatile(
		"movdqu 0(%1), %%xmm0\n\tmovdqu 16(%1), %%xmm1\n\tmovdqu 32(%1), %%xmm2\n\t"
		"movdqu 48(%1), %%xmm3\n\tmovdqu 64(%1), %%xmm4\n\tmovdqu 80(%1), %%xmm5\n\t"
		"movdqu 96(%1), %%xmm6\n\tmovdqu 112(%1), %%xmm7\n\tmovdqu 128(%1), %%xmm8\n\t"
		"movdqu 144(%1), %%xmm9\n\tmovdqu 160(%1), %%xmm10\n\tmovdqu 176(%1), %%xmm11\n\t"
		"movdqu 192(%1), %%xmm12\n\tmovdqu 208(%1), %%xmm13\n\tmovdqu 224(%1), %%xmm14\n\t"
		"movdqu 240(%1), %%xmm15\n\t"
		"1:\n\tmov $24, %%eax\n\tsyscall\n\tdec %0\n\tjnz 1b\n\t"
		"movdqu %%xmm0, 0(%2)\n\tmovdqu %%xmm1, 16(%2)\n\tmovdqu %%xmm2, 32(%2)\n\t"
		"movdqu %%xmm3, 48(%2)\n\tmovdqu %%xmm4, 64(%2)\n\tmovdqu %%xmm5, 80(%2)\n\t"
		"movdqu %%xmm6, 96(%2)\n\tmovdqu %%xmm7, 112(%2)\n\tmovdqu %%xmm8, 128(%2)\n\t"
		"movdqu %%xmm9, 144(%2)\n\tmovdqu %%xmm10, 160(%2)\n\tmovdqu %%xmm11, 176(%2)\n\t"
		"movdqu %%xmm12, 192(%2)\n\tmovdqu %%xmm13, 208(%2)\n\tmovdqu %%xmm14, 224(%2)\n\t"
		"movdqu %%xmm15, 240(%2)\n\t"
		: "+r"(n) : "r"(in), "r"(out)
		: "rax", "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
		  "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

static void avx_loop(const unsigned char *in, unsigned char *out, long n)
{
	__asm__ volatile(
		"vmovdqu 0(%1), %%ymm0\n\tvmovdqu 32(%1), %%ymm7\n\tvmovdqu 64(%1), %%ymm15\n\t"
		"1:\n\tmov $24, %%eax\n\tsyscall\n\tdec %0\n\tjnz 1b\n\t"
		"vmovdqu %%ymm0, 0(%2)\n\tvmovdqu %%ymm7, 32(%2)\n\tvmovdqu %%ymm15, 64(%2)\n\t"
		"vzeroupper\n\t"
		: "+r"(n) : "r"(in), "r"(out)
		: "rax", "rcx", "r11", "memory", "xmm0", "xmm7", "xmm15");
}

static int run(int seed)
{
	unsigned char in[256], out[256];
	int i, ok;

	for (i = 0; i < 256; i++)
		in[i] = (unsigned char)(seed * 13 + i * 7 + 1);
	sse_loop(in, out, 20000);
	ok = !memcmp(in, out, 256);
	if (have_avx()) {
		memset(out, 0, sizeof(out));
		avx_loop(in, out, 20000);
		ok &= !memcmp(in, out, 96);
	}
	return ok;
}

int main(void)
{
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } };
	volatile double x = 1.0;
	int i, st, ok, t0, got, rounds = 0;
	pid_t pid;

	signal(SIGALRM, clobber);
	setitimer(ITIMER_REAL, &it, NULL);
	pid = fork();	/* a second process doing the same forces switches */
	if (pid == 0)
		setitimer(ITIMER_REAL, &it, NULL);	/* itimers are not inherited */
	do {
		/* until a timer signal has landed during the loops */
		t0 = ticks;
		ok = run(pid == 0 ? 1 : 2);
		got = ticks - t0;
	} while (ok && !got && ++rounds < 100);
	if (pid == 0)
		_exit(!ok ? 1 : !got ? 2 : 0);
	waitpid(pid, &st, 0);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	printf("# %d timer signals, %d during the checked loops, AVX %s\n", (int)ticks, got,
	       have_avx() ? "tested" : "absent");
	kt_check(ok, "SSE%s registers kept across syscalls, switches and signals",
		 have_avx() ? "/AVX" : "");
	kt_check(got > 0, "timer signals landed during the loops (%d)", got);
	kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		 "the same in a concurrent child, its own timer signals included (status %#x)", st);
	for (i = 0; i < 100; i++)
		x = x * 1.5 - 0.25;
	kt_check(x > 1e17 && x < 1e18, "x87/SSE arithmetic gives %.6g", (double)x);
	return kt_done();
}
