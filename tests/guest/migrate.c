// SPDX-License-Identifier: GPL-2.0
/*
 * Direct calls while the CPU changes under them.  The direct-call
 * prologue reads the CPU number and writes that CPU's per-CPU base to GS
 * with IF set, on the program's stack; a task moved to another CPU in
 * between wrote the old CPU's base, and the entry then ran on another
 * CPU's per-CPU data (a WARN about a kernel thread in the FPU exit code,
 * then a double fault: found by the every-insn boot).  A child makes
 * direct getpid calls through libkml and through the page at address 0
 * in a loop, checking every result, while the parent moves it from CPU to
 * CPU with sched_setaffinity() as fast as it can.  Meant for 2 or more
 * CPUs under -singlestep, where an interrupt can land at any instruction
 * of the prologue; elsewhere it still checks the results.  In ring 3
 * (mode normal) libkml falls back to SYSCALL and the page is not used.
 *
 * Usage: kt-migrate SECONDS
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include "kml.h"
#include "kt.h"

/* getpid through the page at address 0, as a rewritten site calls. */
static long page_getpid(void)
{
	return kt_call_rax(SYS_getpid);
}

static void child(int direct)
{
	long me = getpid();

	for (;;)
		if (kml_syscall0(SYS_getpid) != me || (direct && page_getpid() != me))
			_exit(3);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 10, end;
	const char *e = getenv("KMLTEST_EXPECT_CPL");
	int km = e && atoi(e) == 0, direct = kml_direct_available();
	int ncpu = get_nprocs(), status = 0;
	unsigned long calls, moves = 0;
	pid_t pid;

	if (ncpu < 2) {
		printf("# one CPU: nothing to move between\n");
		return 77;
	}
	kt_check(direct == km, "direct calls %savailable (%s mode)", direct ? "" : "not ",
		 kt_mode());
	if (direct) {
		unsigned long sled = kml_direct_sled();

		kt_check(sled > SYS_getpid, "the sled at 0, mapped on request, covers getpid "
			 "(%lu numbers)", sled);
	}
	calls = kt_direct_calls();
	pid = fork();
	if (pid == 0)
		child(direct);
	end = kt_now() + secs;
	while (kt_now() < end) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(moves % 2, &set);
		if (sched_setaffinity(pid, sizeof(set), &set) == 0)
			moves++;
		sched_yield();
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	calls = kt_direct_calls() - calls;
	kt_check(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		 "the child ran until killed, every result right (status %#x)", status);
	kt_check(moves >= 100, "%lu moves between CPU 0 and 1", moves);
	if (direct)
		kt_check(calls >= 1000, "%lu direct calls meanwhile", calls);
	return kt_done();
}
