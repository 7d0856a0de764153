// SPDX-License-Identifier: GPL-2.0
/*
 * ptrace stops anywhere in a direct call.  A child calls getpid in a
 * tight loop, through the page at address 0 (call *%rax, as at a
 * rewritten site) with every register and the red zone checked
 * (kt_regs_call()), and through libkml (call *%rcx to the entry).  Its
 * tracer (PTRACE_SEIZE) stops it again and again with PTRACE_INTERRUPT,
 * which stops it wherever an interrupt lands: under -singlestep (the
 * every-insn boot) at any instruction, the prologue on the program's
 * stack with IF set, the exit's RET and the landing trampolines included.
 * At each stop the tracer checks what ptrace shows:
 *
 *  - RSP is a user address and CS has the CPL of the mode;
 *  - a stop in kernel text is in the direct-call entry (the KT_ENTRY_SPAN
 *    bytes from kml_direct_entry) or at a trampoline's jump to it, and
 *    only in a KML process;
 *  - RAX is the number (39) in the page, the trampoline and the prologue,
 *    and the pid at the exit's PUSH and RET;
 *
 * then, in turn:
 *
 *  - continues;
 *  - writes the registers back unchanged, which must be allowed, and
 *    continues (a ptrace write sends the exit down the generic path);
 *  - single-steps: the next stop is a SIGTRAP at a user address, or at
 *    the exit's RET after a step of its PUSH.  A step from the prologue
 *    or a trampoline completes the whole call, as a step of SYSCALL does;
 *  - resumes with PTRACE_SYSCALL: the next two stops are the entry and
 *    the exit of one system call, at user addresses, and a getpid exit
 *    shows the child's pid in RAX.
 *
 * The child exits non-zero if a result or a kept register was wrong.
 * From /bin the same program makes SYSCALLs (libkml's fallback), and no
 * stop may be in kernel text.
 *
 * Usage: kt-ptstop [SECONDS [MIN_ENTRY]]
 *   SECONDS of calls in all, 2 by default;
 *   MIN_ENTRY: distinct stop addresses in the direct-call code wanted in
 *   a KML process, 0 (the default) to only list them.  Under the default
 *   engine stops land only where a translation block starts (the
 *   entry's first instruction, the RET of the fast exit, a trampoline),
 *   and in a slow kernel (the debug boot, KASAN and lockdep) rarely even
 *   there; the every-insn boot asks for 6.  With MIN_ENTRY, a stop in
 *   the GS prologue (between the entry's first instruction and the POP
 *   of R11 that follows the WRGSBASE) is also wanted while the tracer and
 *   the child share a CPU: the child stops there after it was switched
 *   out and in again on the same CPU, and must not have been moved back
 *   to the entry's start, which is only for a task that changed CPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kml.h"
#include "kt.h"
#include "kt-regs.h"

#define USER_END	0x800000000000UL
#define PAGE0_END	4096UL
#define STOP_TIMEOUT	60	/* seconds for one stop to be reported */
#define OP_PUSH_RCX	0x51
#define OP_RET		0xc3

static pid_t child;
static long child_pid;
static int expect_cpl;

/* Distinct stop addresses in the direct-call code, with counts. */
static struct kt_places places;
static unsigned long stops, user_stops, page_stops, bad_stops;
static unsigned long steps, step_kernel_from, bad_steps;
static unsigned long writes, bad_writes, sys_rounds, sys_getpid, bad_sys;
/* Where the GS prologue ends (-1: not found); stops inside it, this phase. */
static long gs_done_off;
static unsigned long prologue_stops;

static void child_loop(double secs)
{
	long pid = getpid(), r;
	unsigned long bad = 0;
	double end = kt_now() + secs;
	int i;

	while (kt_now() < end) {
		for (i = 0; i < 50; i++) {
			if (kt_regs_call(kml_direct, &r) || r != pid)
				bad++;
			if (kml_syscall0(SYS_getpid) != pid)
				bad++;
		}
	}
	_exit(bad ? 1 : 0);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * The next stop or the end of the child; 0 if nothing came in time.  Its
 * end is kept in child_status.
 */
static int child_ended, child_status;

static int wait_child(int *st)
{
	pid_t r;

	alarm(STOP_TIMEOUT);
	r = waitpid(child, st, __WALL);
	alarm(0);
	if (r == child && (WIFEXITED(*st) || WIFSIGNALED(*st))) {
		child_ended = 1;
		child_status = *st;
	}
	return r == child;
}

static int at_exit(unsigned long ip)
{
	return kt_in_entry(ip) && (kt_text(ip)[0] == OP_PUSH_RCX || kt_text(ip)[0] == OP_RET);
}

/* Checks a stop's registers; returns 0 or a short reason. */
static const char *check_regs(const struct user_regs_struct *r, int count)
{
	unsigned long ip = r->rip;

	if (r->rsp >= USER_END)
		return "RSP not a user address";
	if ((int)(r->cs & 3) != expect_cpl)
		return "CS with the wrong CPL";
	if (ip < USER_END) {
		if (ip >= PAGE0_END) {
			user_stops += count;
			return NULL;
		}
		page_stops += count;
		if (!kml_direct)
			return "in the page at 0 without direct calls";
		return r->rax == SYS_getpid ? NULL : "RAX not the number in the page at 0";
	}
	if (!kml_direct)
		return "in kernel text in a ring-3 process";
	if (!kt_in_entry(ip) && !kt_is_trampoline(ip))
		return "in kernel text outside the direct-call entry and trampolines";
	if (count) {
		kt_note_place(&places, ip);
		if (gs_done_off > 0 && kt_in_entry(ip) &&
		    ip - kml_direct_entry - 1 < (unsigned long)gs_done_off - 1)
			prologue_stops++;
	}
	if (at_exit(ip))
		return r->rax == (unsigned long)child_pid ? NULL : "RAX not the pid at the exit";
	return r->rax == SYS_getpid ? NULL : "RAX not the number before the call";
}

static void report_bad(const char *what, const struct user_regs_struct *r, const char *why)
{
	printf("# %s at rip %#llx rsp %#llx cs %#llx rax %#llx: %s\n",
	       what, r->rip, r->rsp, r->cs, r->rax, why);
}

static int getregs(struct user_regs_struct *r)
{
	return ptrace(PTRACE_GETREGS, child, 0, r) == 0;
}

/* PTRACE_SINGLESTEP from the stop at @from. */
static int do_step(const struct user_regs_struct *from)
{
	struct user_regs_struct r;
	const char *why;
	int st;

	steps++;
	if (from->rip >= USER_END)
		step_kernel_from++;
	if (ptrace(PTRACE_SINGLESTEP, child, 0, 0) || !wait_child(&st))
		return 0;
	if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP || st >> 16) {
		printf("# step from %#llx: status %#x instead of a SIGTRAP stop\n", from->rip, st);
		bad_steps++;
		return 1;
	}
	if (!getregs(&r))
		return 0;
	why = check_regs(&r, 0);
	if (!why && r.rip >= USER_END &&
	    !(kt_in_entry(from->rip) && kt_text(from->rip)[0] == OP_PUSH_RCX &&
	      kt_text(r.rip)[0] == OP_RET))
		why = "a step stopped in kernel text, not at the exit's RET after its PUSH";
	if (why) {
		report_bad("step", &r, why);
		printf("#   (stepped from %#llx)\n", from->rip);
		bad_steps++;
	}
	return 1;
}

/* PTRACE_SYSCALL: one system call's entry and exit stops. */
static int do_syscall_round(void)
{
	struct __ptrace_syscall_info info[2];
	struct user_regs_struct r;
	int i, st;

	sys_rounds++;
	for (i = 0; i < 2; i++) {
		if (ptrace(PTRACE_SYSCALL, child, 0, 0) || !wait_child(&st))
			return 0;
		if (child_ended)
			return 1;
		if (WSTOPSIG(st) != (SIGTRAP | 0x80) ||
		    ptrace(PTRACE_GET_SYSCALL_INFO, child, sizeof(info[i]), &info[i]) <= 0 ||
		    !getregs(&r)) {
			printf("# syscall round: status %#x, not a system call stop\n", st);
			bad_sys++;
			return 1;
		}
		if (info[i].op != (i ? PTRACE_SYSCALL_INFO_EXIT : PTRACE_SYSCALL_INFO_ENTRY) ||
		    r.rip >= USER_END || r.rsp >= USER_END) {
			printf("# syscall stop %d: op %d at rip %#llx rsp %#llx\n", i, info[i].op,
			       r.rip, r.rsp);
			bad_sys++;
			return 1;
		}
		if (i == 0 && info[0].entry.nr == SYS_exit_group)
			return 1;
	}
	if (info[0].entry.nr == SYS_getpid) {
		sys_getpid++;
		if (info[1].exit.rval != child_pid || r.rax != (unsigned long)child_pid) {
			printf("# getpid exit stop: rval %lld rax %#llx, pid %ld\n",
			       (long long)info[1].exit.rval, r.rax, child_pid);
			bad_sys++;
		}
	}
	return 1;
}

/* Stops the running child again and again until it ends; 0 on errors. */
static int trace(void)
{
	struct user_regs_struct r;
	struct timespec delay;
	unsigned long seed = 1;
	const char *why;
	int st, sig, ok = 1;

	while (!child_ended) {
		/*
		 * Let it run for 0.1 to 3 ms, so that the stops fall all over
		 * its loop rather than at the same place again, still on its
		 * way back from the last stop.
		 */
		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		delay.tv_sec = 0;
		delay.tv_nsec = (100 + (seed >> 33) % 2900) * 1000L;
		nanosleep(&delay, NULL);
		if (ptrace(PTRACE_INTERRUPT, child, 0, 0) && errno != ESRCH)
			return 0;
		if (!wait_child(&st))
			return 0;
		if (child_ended)
			break;
		if (st >> 16 != PTRACE_EVENT_STOP) {
			/* A signal (a crash): pass it on. */
			sig = WSTOPSIG(st);
			printf("# signal %d stopped the child\n", sig);
			bad_stops++;
			ptrace(PTRACE_CONT, child, 0, sig);
			continue;
		}
		if (!getregs(&r))
			return 0;
		stops++;
		why = check_regs(&r, 1);
		if (why) {
			report_bad("stop", &r, why);
			bad_stops++;
		}
		switch (stops % 4) {
		case 1:
			writes++;
			if (ptrace(PTRACE_SETREGS, child, 0, &r)) {
				printf("# writing back the registers at %#llx: %s\n", r.rip,
				       strerror(errno));
				bad_writes++;
			}
			break;
		case 2:
			ok = do_step(&r);
			break;
		case 3:
			ok = do_syscall_round();
			break;
		}
		if (!ok)
			return 0;
		if (!child_ended && ptrace(PTRACE_CONT, child, 0, 0) && errno != ESRCH)
			return 0;
	}
	return 1;
}

/* Pins the calling thread to @cpu. */
static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/*
 * One child, traced for @secs: on the tracer's CPU if @cpus is 1, on
 * another one if 2.  Returns its end, or -1 if tracing failed.
 */
static int phase(int cpus, double secs)
{
	int st;

	child_ended = 0;
	child = fork();
	if (child == 0) {
		if (cpus == 2 && pin(1))
			_exit(2);
		child_loop(secs);
	}
	child_pid = child;
	if (ptrace(PTRACE_SEIZE, child, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD)) {
		printf("# PTRACE_SEIZE: %s\n", strerror(errno));
		kill(child, SIGKILL);
		waitpid(child, &st, 0);
		return -1;
	}
	if (!trace()) {
		printf("# tracing stopped: %s\n", errno == EINTR ? "no stop within the time limit" :
		       strerror(errno));
		kill(child, SIGKILL);
		while (!child_ended && wait_child(&st))
			;
		return -1;
	}
	return child_status;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2;
	unsigned int min_entry = argc > 2 ? atoi(argv[2]) : 0;
	const char *e = getenv("KMLTEST_EXPECT_CPL");
	struct sigaction sa;
	int cpus, phases, st;
	unsigned long one_cpu_prologue = 0;

	expect_cpl = e ? atoi(e) : 3;
	kt_check(kml_direct == (expect_cpl == 0),
		 "direct calls %s, as expected here (CPL %d)",
		 kml_direct ? "available" : "not available", kt_cpl());
	if (kml_direct) {
		unsigned long sled = kml_direct_sled();

		kt_check(sled > SYS_getpid, "the sled at 0, mapped on request, covers getpid "
			 "(%lu numbers)", sled);
	}
	if (kml_direct && min_entry) {
		gs_done_off = kt_prologue_find(kt_gs_done, sizeof(kt_gs_done));
		kt_check(gs_done_off > 0, "the GS prologue ends at +%ld (POP R11; MOV RSP to RCX; CLD)",
			 gs_done_off);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);

	/*
	 * Both on one CPU, the child stops where the timer interrupt that
	 * ends the tracer's sleep lands; on two, where the IPI lands that
	 * PTRACE_INTERRUPT sends.
	 */
	phases = sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 2 : 1;
	if (phases == 1)
		printf("# one CPU: no phase with the tracer and the child apart\n");
	for (cpus = 1; cpus <= phases; cpus++) {
		if (pin(0)) {
			kt_check(0, "pinning the tracer to CPU 0: %s", strerror(errno));
			return kt_done();
		}
		prologue_stops = 0;
		st = phase(cpus, secs / phases);
		if (cpus == 1)
			one_cpu_prologue = prologue_stops;
		kt_check(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
			 "%s: the child's getpid calls were all right, every kept register too, "
			 "and it exited normally (status %#x)",
			 cpus == 1 ? "tracer and child on one CPU" : "on two CPUs", st);
	}
	kt_check(stops >= 20 && bad_stops == 0,
		 "%lu interrupt stops (%lu in user code, %lu in the page at 0, the rest in kernel "
		 "text): RSP, CS and RAX as expected at all but %lu", stops, user_stops, page_stops,
		 bad_stops);
	kt_check(writes > 0 && bad_writes == 0,
		 "registers written back unchanged at %lu stops: %lu refused", writes, bad_writes);
	kt_check(steps > 0 && bad_steps == 0,
		 "%lu single steps (%lu from kernel text): each a SIGTRAP where expected, "
		 "all but %lu", steps, step_kernel_from, bad_steps);
	kt_check(sys_getpid > 0 && bad_sys == 0,
		 "%lu PTRACE_SYSCALL rounds (%lu of getpid): entry and exit stops as expected "
		 "at all but %lu", sys_rounds, sys_getpid, bad_sys);
	if (!kml_direct)
		return kt_done();
	printf("# stops in the direct-call code (offset from the entry %#lx: count):",
	       kml_direct_entry);
	kt_print_places(&places);
	if (min_entry)
		kt_check(places.count >= min_entry,
			 "stops at %u distinct instructions of the direct-call entry, exit and "
			 "trampolines (at least %u wanted)", places.count, min_entry);
	if (min_entry)
		kt_check(one_cpu_prologue > 0,
			 "tracer and child on one CPU: %lu stops inside the GS prologue "
			 "(+1 to +%ld), where the child was switched out and in again on "
			 "its CPU", one_cpu_prologue, gs_done_off - 1);
	return kt_done();
}
