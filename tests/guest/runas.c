// SPDX-License-Identifier: GPL-2.0
/*
 * Run a program with reduced privileges, for the policy tests:
 *   kt-runas [-u UID] [-c] [-m] [-n] [-t] PROGRAM [ARG...]
 *   -u UID  become UID (user, group and no supplementary groups)
 *   -c      stay root but drop CAP_SYS_ADMIN from every capability set
 *   -m      stay root but drop CAP_SYS_MODULE from every capability set
 *   -n      set no_new_privs
 *   -t      run PROGRAM as the ptrace tracee (PTRACE_TRACEME) of this
 *           process, which continues it through every stop
 * Exits with PROGRAM's exit status (128 + signal if it was killed).
 */
#define _GNU_SOURCE
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void drop_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	const int w = cap / 32;
	const unsigned int bit = 1u << (cap % 32);

	if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) || syscall(SYS_capget, &h, d)) {
		perror("kt-runas: drop a capability");
		exit(125);
	}
	d[w].effective &= ~bit;
	d[w].permitted &= ~bit;
	d[w].inheritable &= ~bit;
	if (syscall(SYS_capset, &h, d)) {
		perror("kt-runas: capset");
		exit(125);
	}
}

static int traced(char **argv)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	for (;;) {
		if (waitpid(pid, &st, 0) < 0)
			return 125;
		if (WIFEXITED(st))
			return WEXITSTATUS(st);
		if (WIFSIGNALED(st))
			return 128 + WTERMSIG(st);
		ptrace(PTRACE_CONT, pid, 0,
		       WSTOPSIG(st) == SIGTRAP ? 0 : WSTOPSIG(st));
	}
}

int main(int argc, char **argv)
{
	int opt, trace = 0;
	long uid = -1;

	while ((opt = getopt(argc, argv, "+u:cmnt")) != -1) {
		switch (opt) {
		case 'u':
			uid = strtol(optarg, NULL, 0);
			break;
		case 'c':
			drop_cap(CAP_SYS_ADMIN);
			break;
		case 'm':
			drop_cap(CAP_SYS_MODULE);
			break;
		case 'n':
			if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
				perror("kt-runas: no_new_privs");
				return 125;
			}
			break;
		case 't':
			trace = 1;
			break;
		default:
			return 125;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: kt-runas [-u UID] [-c] [-m] [-n] [-t] PROGRAM [ARG...]\n");
		return 125;
	}
	if (uid >= 0 && (setgroups(0, NULL) || setgid(uid) || setuid(uid))) {
		perror("kt-runas: setuid");
		return 125;
	}
	if (trace)
		return traced(argv + optind);
	execv(argv[optind], argv + optind);
	perror("kt-runas: exec");
	return 127;
}
