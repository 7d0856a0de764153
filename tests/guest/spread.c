// SPDX-License-Identifier: GPL-2.0
/*
 * Where do asynchronous events land?  The entry and exit code must be
 * safe to interrupt at every instruction boundary, and the storm tests
 * only show that if interrupts really land at every boundary.  QEMU's
 * TCG checks for interrupts when a translation block starts, so under
 * the default engine they hit the first instruction of a block and never
 * one inside it; with -singlestep (one instruction per block) they can
 * land anywhere.  This program measures it, for the boot that relies on
 * it (tests/harness/run-tests.sh, "every-insn"):
 *
 *  - a straight-line block of 64 instructions, run in a loop under a
 *    1 kHz SIGALRM: the RIPs of the signal frames must cover at least
 *    MIN_BLOCK of its instructions;
 *  - with direct calls, getpid in a loop through libkml (call *%rcx) and
 *    through the page at address 0 (call *%rax, as a rewritten site):
 *    every result must be right, and the signal frames must show at
 *    least MIN_ENTRY distinct RIPs in kernel text, that is in the entry's
 *    prologue and exit and in the landing trampoline, which run with IF
 *    set on the program's stack and are "user" instructions to the
 *    signal code; and none anywhere else in kernel text.
 *
 * Usage: kt-spread MIN_BLOCK MIN_ENTRY
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include "kml.h"
#include "kt.h"
#include "kt-regs.h"

#define BLOCK		64	/* instructions */
#define INSN_LEN	4	/* lea 1(%rax), %rax */

/* Runs the block @loops times. */
void kt_block(long loops);
__asm__(
	".text\n"
	".globl kt_block\n"
	".globl kt_block_start\n"
	".globl kt_block_end\n"
	"kt_block:\n\t"
	"xor %eax, %eax\n"
	"kt_block_start:\n\t"
	".rept 64\n\t"
	".byte 0x48, 0x8d, 0x40, 0x01\n\t"	/* lea 1(%rax), %rax */
	".endr\n"
	"kt_block_end:\n\t"
	"dec %rdi\n\t"
	"jnz kt_block_start\n\t"
	"ret\n");
extern char kt_block_start[], kt_block_end[];

/* getpid through the page at address 0, as a rewritten site calls it. */
long kt_page_getpid(void);
__asm__(
	".text\n"
	".globl kt_page_getpid\n"
	"kt_page_getpid:\n\t"
	"mov $39, %eax\n\t"
	"lea -128(%rsp), %rsp\n\t"
	"call *%rax\n\t"
	"lea 128(%rsp), %rsp\n\t"
	"ret\n");

static volatile unsigned long block_hits[BLOCK];
static volatile struct kt_places places;
static volatile unsigned int kernel_sigs, page_sigs;
static volatile unsigned long ticks;

static void on_alarm(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	unsigned long ip = uc->uc_mcontext.gregs[REG_RIP];

	(void)sig;
	(void)si;
	ticks++;
	if (ip >= (unsigned long)kt_block_start && ip < (unsigned long)kt_block_end) {
		block_hits[(ip - (unsigned long)kt_block_start) / INSN_LEN]++;
		return;
	}
	if (ip < 4096)
		page_sigs++;
	if (ip < (1UL << 63))
		return;
	kernel_sigs++;
	kt_note_place(&places, ip);
}

static void set_timer(long usec)
{
	struct itimerval it = { { 0, usec }, { 0, usec } };

	setitimer(ITIMER_REAL, &it, NULL);
}

int main(int argc, char **argv)
{
	unsigned int min_block = argc > 1 ? atoi(argv[1]) : BLOCK;
	unsigned int min_entry = argc > 2 ? atoi(argv[2]) : 1;
	unsigned long calls = 0, wrong = 0, t0;
	long pid = getpid();
	struct sigaction sa;
	unsigned int i, covered = 0, elsewhere;
	double end;
	int want;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_alarm;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);

	set_timer(1000);
	t0 = ticks;
	for (end = kt_now() + 1.5; kt_now() < end;)
		kt_block(2000);
	set_timer(0);
	for (i = 0; i < BLOCK; i++)
		covered += block_hits[i] != 0;
	kt_check(covered >= min_block,
		 "a %d-instruction block under a 1 kHz SIGALRM: signals at %u of its instructions "
		 "(at least %u wanted; %lu signals)", BLOCK, covered, min_block, ticks - t0);

	want = getenv("KMLTEST_EXPECT_CPL") && atoi(getenv("KMLTEST_EXPECT_CPL")) == 0;
	kt_check(kml_direct == want, "direct calls %s, as expected here (CPL %d)",
		 kml_direct ? "available" : "not available", kt_cpl());
	if (!kml_direct) {
		printf("# no direct calls in this process: entry part not run\n");
		return kt_done();
	}
	i = kml_direct_sled();
	kt_check(i > SYS_getpid, "the sled at 0, mapped on request, covers getpid (%u numbers)", i);
	set_timer(1000);
	t0 = ticks;
	for (end = kt_now() + 1.5; kt_now() < end;) {
		for (i = 0; i < 200; i++, calls += 2) {
			wrong += kml_syscall0(SYS_getpid) != pid;
			wrong += kt_page_getpid() != pid;
		}
	}
	set_timer(0);
	kt_check(wrong == 0, "%lu direct getpid calls under a 1 kHz SIGALRM: %lu wrong results",
		 calls, wrong);
	printf("# %u signals in kernel text, %u in the page at 0 (offset from the entry %#lx: "
	       "count):", kernel_sigs, page_sigs, kml_direct_entry);
	elsewhere = kt_print_places(&places);
	kt_check(elsewhere == 0, "signal frames in kernel text only in the direct-call entry or at "
		 "a trampoline (%u places elsewhere)", elsewhere);
	kt_check(places.count >= min_entry,
		 "signals at %u distinct instructions of the direct-call entry, exit and trampoline "
		 "(at least %u wanted; %lu signals)", places.count, min_entry, ticks - t0);
	return kt_done();
}
