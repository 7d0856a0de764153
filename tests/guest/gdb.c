// SPDX-License-Identifier: GPL-2.0
/*
 * The program that gdb debugs in the gdb test: gdb on the host drives it
 * through gdbserver on the guest's second serial port (tests/guest/gdb.sh
 * in the guest, tests/harness/gdb-test.py on the host).  Built with -O0,
 * so that every line and variable is where the source says.
 *
 *   kt-gdb run         kt_work(42): a system call through glibc (gdb's
 *                      "next" steps over it), one through its own SYSCALL
 *                      instruction at kt_sys_insn ("stepi" steps over
 *                      it), a write gdb watches, and a SIGUSR1 gdb stops
 *                      at; exits 0 only if all of it happened
 *   kt-gdb wait FILE   writes its pid to FILE and sleeps until gdb,
 *                      attached, sets kt_release to 7; exits 0 then
 *   kt-gdb crash       writes through a NULL pointer (SIGSEGV, a core)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile int kt_counter;
volatile int kt_release;
volatile long kt_raw_pid;
volatile int kt_sig;

static void on_usr1(int sig)
{
	kt_sig = sig;
}

/* getpid through a SYSCALL instruction of this program's own. */
__attribute__((noinline)) long kt_raw_getpid(void)
{
	long r;

	__asm__ volatile(".globl kt_sys_insn\nkt_sys_insn:\n\tsyscall\n"
			 ".globl kt_sys_after\nkt_sys_after:"
			 : "=a"(r) : "a"(39L) : "rcx", "r11", "memory");
	return r;
}

__attribute__((noinline)) int kt_work(int n)
{
	int pid = getpid();

	kt_raw_pid = kt_raw_getpid();
	kt_counter = n;
	raise(SIGUSR1);
	printf("kt-gdb: pid %d, raw %ld, counter %d, signal %d\n",
	       pid, kt_raw_pid, kt_counter, kt_sig);
	return pid == kt_raw_pid && kt_counter == n && kt_sig == SIGUSR1 ? 0 : 1;
}

__attribute__((noinline)) void kt_wait_loop(void)
{
	while (!kt_release)
		usleep(20000);
}

__attribute__((noinline)) void kt_crash(void)
{
	*(volatile int *)0 = 1;
}

int main(int argc, char **argv)
{
	unsigned short cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	printf("kt-gdb: %s, CS %#x\n", argc > 1 ? argv[1] : "?", cs);
	fflush(stdout);
	if (argc == 2 && !strcmp(argv[1], "run")) {
		signal(SIGUSR1, on_usr1);
		return kt_work(42);
	}
	if (argc == 3 && !strcmp(argv[1], "wait")) {
		FILE *f = fopen(argv[2], "w");

		if (!f)
			return 2;
		fprintf(f, "%d\n", getpid());
		fclose(f);
		kt_wait_loop();
		printf("kt-gdb: released with %d\n", kt_release);
		return kt_release == 7 ? 0 : 1;
	}
	if (argc == 2 && !strcmp(argv[1], "crash")) {
		kt_crash();
		return 0;
	}
	fprintf(stderr, "usage: kt-gdb run | wait FILE | crash\n");
	return 2;
}
