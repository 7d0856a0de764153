// SPDX-License-Identifier: GPL-2.0
/*
 * Signal delivery: handlers for raise/kill, SA_SIGINFO contents,
 * blocking and pending, sigaltstack, SA_RESTART across a blocking read,
 * a recovered SIGSEGV, SIGFPE, and a fatal signal seen by the parent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kt.h"

static volatile sig_atomic_t hits, last_sig, on_alt;
static volatile pid_t info_pid;
static char *alt_lo, *alt_hi;
static sigjmp_buf jb;
static volatile int *volatile bad_ptr = (int *)8;

static void h_count(int sig)
{
	hits++;
	last_sig = sig;
}

static void h_info(int sig, siginfo_t *si, void *uc)
{
	info_pid = si->si_pid;
	last_sig = sig;
}

static void h_alt(int sig)
{
	char here;

	on_alt = &here >= alt_lo && &here < alt_hi;
}

static void h_jump(int sig, siginfo_t *si, void *uc)
{
	last_sig = sig;
	siglongjmp(jb, 1);
}

int main(void)
{
	struct sigaction sa = { 0 };
	struct itimerval it = { 0 };
	sigset_t set, pend;
	stack_t ss;
	int fds[2], st, r;
	volatile int zero = 0;
	char c;
	pid_t pid;

	sa.sa_handler = h_count;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	kt_check(hits == 1 && last_sig == SIGUSR1, "raise runs the handler");
	kill(getpid(), SIGUSR1);
	kt_check(hits == 2, "kill to self runs the handler");

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	sigpending(&pend);
	kt_check(hits == 2 && sigismember(&pend, SIGUSR1), "blocked signal stays pending");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	kt_check(hits == 3, "unblocking delivers it");

	sa.sa_handler = NULL;
	sa.sa_sigaction = h_info;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR2, &sa, NULL);
	kill(getpid(), SIGUSR2);
	kt_check(last_sig == SIGUSR2 && info_pid == getpid(), "SA_SIGINFO gives si_pid");

	ss.ss_size = 64 * 1024;
	ss.ss_sp = malloc(ss.ss_size);
	ss.ss_flags = 0;
	alt_lo = ss.ss_sp;
	alt_hi = alt_lo + ss.ss_size;
	kt_check(sigaltstack(&ss, NULL) == 0, "sigaltstack set");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h_alt;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGHUP, &sa, NULL);
	raise(SIGHUP);
	kt_check(on_alt, "SA_ONSTACK handler runs on the alternate stack");

	/* SA_RESTART: a read blocked on an empty pipe survives 5 SIGALRMs. */
	pipe(fds);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h_count;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	hits = 0;
	pid = fork();
	if (pid == 0) {
		usleep(300 * 1000);
		write(fds[1], "x", 1);
		_exit(0);
	}
	it.it_interval.tv_usec = 40 * 1000;
	it.it_value.tv_usec = 40 * 1000;
	setitimer(ITIMER_REAL, &it, NULL);
	r = read(fds[0], &c, 1);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	waitpid(pid, NULL, 0);
	kt_check(r == 1 && c == 'x' && hits >= 3,
		 "SA_RESTART read completes after %d signals", (int)hits);

	/* Without SA_RESTART the same read fails with EINTR. */
	sa.sa_flags = 0;
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	errno = 0;
	r = read(fds[0], &c, 1);
	kt_check(r == -1 && errno == EINTR, "read without SA_RESTART gives EINTR");

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = h_jump;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	last_sig = 0;
	if (!sigsetjmp(jb, 1))
		*bad_ptr = 1;
	kt_check(last_sig == SIGSEGV, "SIGSEGV from a NULL write is caught");
	last_sig = 0;
	if (!sigsetjmp(jb, 1))
		st = 10 / zero;
	kt_check(last_sig == SIGFPE, "SIGFPE from a division by zero is caught");

	pid = fork();
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		*bad_ptr = 1;
		_exit(0);
	}
	waitpid(pid, &st, 0);
	kt_check(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "fatal SIGSEGV kills the child");

	pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	kill(pid, SIGSTOP);
	waitpid(pid, &st, WUNTRACED);
	kt_check(WIFSTOPPED(st), "SIGSTOP stops a child");
	kill(pid, SIGCONT);
	waitpid(pid, &st, WCONTINUED);
	kt_check(WIFCONTINUED(st), "SIGCONT continues it");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	kt_check(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "SIGKILL kills it");
	return kt_done();
}
