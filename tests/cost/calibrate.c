// SPDX-License-Identifier: GPL-2.0
/*
 * calibrate: what the costly instruction classes of insn-class.h cost on
 * this machine's CPU, as far as user mode can time them ("make
 * calibrate"; scripts/calibrate.sh merges the output with the table of
 * what user mode cannot run).
 *
 * Each figure: TSC ticks per instruction (RDTSCP around a loop of
 * 200,000 executions, 100 per loop iteration; the best of 7 runs, less
 * the same loop without the instruction).  The TSC runs at the nominal
 * frequency, so on a CPU that boosts a tick is not a core cycle; the
 * output says which CPU it was.  Instructions that a serializing one
 * follows in the same loop are timed with it (IRETQ, far transfers): the
 * figure is the latency of a back-to-back stream, the worst case.
 *
 * Output, one line per class: "<class>\t<ticks>\tmeasured here: <how>",
 * and "#" lines; classes that need a feature the CPU or kernel lacks are
 * left out, and say so.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <elf.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <x86intrin.h>

#define ITER 2000	/* loop iterations; REP executions each */
#define REP 100
#define RUNS 7

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

static inline uint64_t tsc(void)
{
	unsigned int aux;

	return __rdtscp(&aux);
}

static double best(void (*fn)(void))
{
	double b = 1e30;
	int r;

	fn();	/* warm-up */
	for (r = 0; r < RUNS; r++) {
		uint64_t t0 = tsc();

		fn();
		uint64_t t1 = tsc();

		if ((double)(t1 - t0) < b)
			b = (double)(t1 - t0);
	}
	return b / ((double)ITER * REP);
}

/*
 * LOOP(name, setup, insn, clobbers): fn_name runs insn ITER * REP times.
 * .rept inside the asm repeats it REP times per iteration.
 */
#define LOOP(name, insn, ...)						\
static void fn_##name(void)						\
{									\
	for (int i_ = 0; i_ < ITER; i_++)				\
		__asm__ volatile(".rept " "100" "\n\t" insn "\n\t.endr"	\
				 ::: "memory", "cc", ##__VA_ARGS__);	\
}

static uint64_t scratch[64] __attribute__((aligned(64), used));
static unsigned char xbuf[8192] __attribute__((aligned(64), used));
static unsigned int user_ds __attribute__((used));

LOOP(empty, "")
LOOP(nop, "nop")
LOOP(call, "call 1f; jmp 2f; 1: ret; 2:")
LOOP(iretq,
     "movq %%ss, %%rax\n\tpushq %%rax\n\tleaq 8(%%rsp), %%rax\n\tpushq %%rax\n\t"
     "pushfq\n\tmovq %%cs, %%rax\n\tpushq %%rax\n\tleaq 1f(%%rip), %%rax\n\tpushq %%rax\n\t"
     "iretq\n1:", "rax")
/* the pushes of iretq's frame, without it, to subtract */
LOOP(iretq_frame,
     "movq %%ss, %%rax\n\tpushq %%rax\n\tleaq 8(%%rsp), %%rax\n\tpushq %%rax\n\t"
     "pushfq\n\tmovq %%cs, %%rax\n\tpushq %%rax\n\tleaq 1f(%%rip), %%rax\n\tpushq %%rax\n\t"
     "addq $40, %%rsp\n1:", "rax")
LOOP(lretq,
     "movq %%cs, %%rax\n\tpushq %%rax\n\tleaq 1f(%%rip), %%rax\n\tpushq %%rax\n\tlretq\n1:", "rax")
LOOP(lretq_frame,
     "movq %%cs, %%rax\n\tpushq %%rax\n\tleaq 1f(%%rip), %%rax\n\tpushq %%rax\n\taddq $16, %%rsp\n1:", "rax")
/*
 * Far jmp/call through memory, m16:32 (AMD ignores REX.W there, so the
 * m16:64 form is not portable; the program is linked below 4 GiB):
 * scratch[0] the offset, scratch[0] + 4 the selector.
 */
LOOP(ljmp,
     "leaq 1f(%%rip), %%rax\n\tmovl %%eax, scratch(%%rip)\n\tljmp *scratch(%%rip)\n1:", "rax")
LOOP(ljmp_frame,
     "leaq 1f(%%rip), %%rax\n\tmovq %%rax, scratch+16(%%rip)\n\tjmp *scratch+16(%%rip)\n1:", "rax")
LOOP(lcall,
     "leaq 2f(%%rip), %%rax\n\tmovl %%eax, scratch(%%rip)\n\tlcall *scratch(%%rip)\n\t"
     "jmp 1f\n2:\tlretl\n1:", "rax")
/* the 32-bit LRET that returns from lcall's m16:32 call: 4+4 bytes */
LOOP(lret32,
     "movq %%cs, %%rax\n\tshlq $32, %%rax\n\tleaq 1f(%%rip), %%rcx\n\torq %%rcx, %%rax\n\t"
     "pushq %%rax\n\tlretl\n1:", "rax", "rcx")
LOOP(lret32_frame,
     "movq %%cs, %%rax\n\tshlq $32, %%rax\n\tleaq 1f(%%rip), %%rcx\n\torq %%rcx, %%rax\n\t"
     "pushq %%rax\n\taddq $8, %%rsp\n1:", "rax", "rcx")
LOOP(pushfpopf, "pushfq\n\tpopfq")
LOOP(pushf, "pushfq\n\taddq $8, %%rsp")
LOOP(lsl, "movl user_ds(%%rip), %%eax\n\tlsl %%eax, %%eax", "rax")
LOOP(lar, "movl user_ds(%%rip), %%eax\n\tlar %%eax, %%eax", "rax")
LOOP(movl_ds, "movl user_ds(%%rip), %%eax", "rax")
LOOP(rdpid, "rdpid %%rax", "rax")
LOOP(rdtsc, "rdtsc", "rax", "rdx")
LOOP(rdtscp, "rdtscp", "rax", "rdx", "rcx")
LOOP(rdgsbase, "rdgsbase %%rax", "rax")
LOOP(wrgsbase, "rdgsbase %%rax\n\twrgsbase %%rax", "rax")
LOOP(rdfsbase, "rdfsbase %%rax", "rax")
LOOP(wrfsbase, "rdfsbase %%rax\n\twrfsbase %%rax", "rax")
LOOP(verw, "verw user_ds(%%rip)")
LOOP(lfence, "lfence")
LOOP(mfence, "mfence")
LOOP(sfence, "sfence")
LOOP(locked, "lock addq $1, scratch+8(%%rip)")
LOOP(movds, "movl user_ds(%%rip), %%eax\n\tmovl %%eax, %%ds", "rax")
LOOP(xsaveopt, "movl $-1, %%eax\n\tmovl $-1, %%edx\n\txsaveopt64 xbuf(%%rip)", "rax", "rdx")
LOOP(xrstor, "movl $-1, %%eax\n\tmovl $-1, %%edx\n\txrstor64 xbuf(%%rip)", "rax", "rdx")
LOOP(getpid, "movl $39, %%eax\n\tsyscall", "rax", "rcx", "r11")

/*
 * REP string instructions over sbuf (two equal halves of 4 KiB, in the
 * cache): n elements, less the same setup without the instruction.  The
 * first step carries the startup (repstr: one element); the further
 * ones cost (n elements - one) / (n - 1) each.
 */
static unsigned char sbuf[8192] __attribute__((aligned(64), used));
#define SRC_DST "leaq sbuf(%%rip), %%rsi\n\tleaq sbuf+4096(%%rip), %%rdi\n\t"
#define REPLOOP(name, n, insn)						\
	LOOP(name, SRC_DST "xorl %%eax, %%eax\n\tmovl $" #n ", %%ecx\n\t" insn,	\
	     "rsi", "rdi", "rcx", "rax")
REPLOOP(rep_setup, 1, "")
REPLOOP(movsb1, 1, "rep movsb")
REPLOOP(movsb4k, 4096, "rep movsb")
REPLOOP(stosb1, 1, "rep stosb")
REPLOOP(stosb4k, 4096, "rep stosb")
REPLOOP(movsq1, 1, "rep movsq")
REPLOOP(movsq512, 512, "rep movsq")
REPLOOP(cmpsb1, 1, "repe cmpsb")
REPLOOP(cmpsb512, 512, "repe cmpsb")

static int zero_fd;
static char rbuf[1];
static void fn_read(void)
{
	for (int i = 0; i < ITER * REP; i++)
		syscall(SYS_read, zero_fd, rbuf, 1);
}
static void fn_getpid_libc(void)
{
	for (int i = 0; i < ITER * REP; i++)
		syscall(SYS_getpid);
}

static void cpuid_loop(void)
{
	unsigned int a, b, c, d;

	for (int i = 0; i < ITER; i++)
		__cpuid(0, a, b, c, d);
	(void)a; (void)b; (void)c; (void)d;
}

static void put(const char *cls, double v, const char *how)
{
	printf("%s\t%.1f\tmeasured here: %s\n", cls, v < 0 ? 0 : v, how);
}

/* The same for the cost of one step of a REP string instruction (< 1). */
static void put_step(const char *cls, double v, const char *how)
{
	printf("%s\t%.4f\tmeasured here: %s\n", cls, v < 0 ? 0 : v, how);
}

int main(void)
{
	unsigned int a, b, c, d, max;
	char brand[49] = "";
	double loop, t;
	int fsgs = (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) != 0;
	int rdpid = 0, xsaveopt = 0;

	__asm__ volatile("movl %%ds, %0" : "=r"(user_ds));
	if (!user_ds)
		user_ds = 0x2b;		/* __USER_DS: DS may be the null selector */
	{
		unsigned short cs;

		__asm__ volatile("movw %%cs, %0" : "=r"(cs));
		scratch[0] = (uint64_t)cs << 32;
	}
	__cpuid(0x80000000, max, b, c, d);
	if (max >= 0x80000004) {
		unsigned int *p = (unsigned int *)brand;

		for (unsigned int i = 0; i < 3; i++)
			__cpuid(0x80000002 + i, p[4 * i], p[4 * i + 1], p[4 * i + 2], p[4 * i + 3]);
	}
	__cpuid_count(7, 0, a, b, c, d);
	rdpid = (c >> 22) & 1;
	__cpuid_count(0xd, 1, a, b, c, d);
	xsaveopt = a & 1;
	zero_fd = open("/dev/zero", O_RDONLY);

	printf("# cpu\t%s\n", brand);
	printf("# unit\tTSC ticks per instruction (best of %d runs of %d), loop overhead subtracted\n",
	       RUNS, ITER * REP);
	loop = best(fn_empty);
	printf("# loop\t%.3f ticks per REP slot (subtracted)\n", loop);
	t = best(fn_nop) - loop;
	printf("# nop\t%.2f\n", t);
	put("call", best(fn_call) - loop, "CALL and RET of an empty function");
	put("iret", best(fn_iretq) - best(fn_iretq_frame), "IRETQ to the same privilege level, less building its frame");
	put("farret", best(fn_lretq) - best(fn_lretq_frame), "LRETQ to the same code segment, less building its frame");
	put("farjmp", best(fn_ljmp) - best(fn_ljmp_frame), "JMP m16:32 to the same code segment, less a near JMP through memory");
	put("farcall", best(fn_lcall) - best(fn_lret32) + best(fn_lret32_frame) - best(fn_ljmp_frame),
	    "CALL m16:32 and LRET, less the LRET");
	t = best(fn_pushf) - loop;
	put("pushf", t, "PUSHFQ (and an ADD to drop it)");
	put("popf", best(fn_pushfpopf) - loop - t, "PUSHFQ+POPFQ less PUSHFQ");
	t = best(fn_movl_ds) - loop;
	put("lsl", best(fn_lsl) - loop - t, "LSL of the user data selector");
	put("lar", best(fn_lar) - loop - t, "LAR of the user data selector");
	put("movseg", best(fn_movds) - loop - t, "MOV to DS of the user data selector");
	put("verw", best(fn_verw) - loop, "VERW of the user data selector (memory operand)");
	if (rdpid)
		put("rdpid", best(fn_rdpid) - loop, "RDPID");
	else
		printf("# rdpid\tnot measured: no RDPID on this CPU\n");
	put("rdtsc", (best(fn_rdtsc) + best(fn_rdtscp)) / 2 - loop, "mean of RDTSC and RDTSCP");
	if (fsgs) {
		double rg = best(fn_rdgsbase) - loop, rf = best(fn_rdfsbase) - loop;

		put("rdgsbase", rg, "RDGSBASE");
		put("wrgsbase", best(fn_wrgsbase) - loop - rg, "RDGSBASE+WRGSBASE less RDGSBASE");
		put("rdfsbase", rf, "RDFSBASE");
		put("wrfsbase", best(fn_wrfsbase) - loop - rf, "RDFSBASE+WRFSBASE less RDFSBASE");
	} else {
		printf("# fsgsbase\tnot measured: the kernel does not offer FSGSBASE (HWCAP2)\n");
	}
	put("lfence", best(fn_lfence) - loop, "LFENCE");
	put("mfence", (best(fn_mfence) + best(fn_sfence)) / 2 - loop, "mean of MFENCE and SFENCE");
	put("locked", best(fn_locked) - loop, "LOCK ADD to a private cache line");
	if (xsaveopt) {
		put("xsave", best(fn_xsaveopt) - loop, "XSAVEOPT64 of every enabled component, unchanged state");
		put("xrstor", best(fn_xrstor) - loop, "XRSTOR64 of every enabled component");
	} else {
		printf("# xsave\tnot measured: no XSAVEOPT\n");
	}
	printf("# cpuid\t%.1f\t(not used in the model: in a VM it is a VM exit)\n", best(cpuid_loop) * REP);
	t = best(fn_rep_setup);
	put("repstr", best(fn_movsb1) - t, "REP MOVSB of one byte (the startup), in the cache");
	put_step("rep1", ((best(fn_movsb4k) - best(fn_movsb1)) + (best(fn_stosb4k) - best(fn_stosb1))) / 2 / 4095,
		 "per byte of REP MOVSB and REP STOSB of 4 KiB (mean), in the cache, past the first");
	put_step("repw", (best(fn_movsq512) - best(fn_movsq1)) / 511,
		 "per quadword of REP MOVSQ of 4 KiB, in the cache, past the first");
	put_step("repscan", (best(fn_cmpsb512) - best(fn_cmpsb1)) / 511,
		 "per byte of REPE CMPSB of 512 equal bytes, past the first");
	put("syscall_roundtrip", best(fn_getpid) - loop,
	    "getpid() through SYSCALL and this kernel, whole round trip");
	printf("# getpid_libc\t%.1f\n# read_zero\t%.1f\n", best(fn_getpid_libc), best(fn_read));
	return 0;
}
