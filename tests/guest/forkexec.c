// SPDX-License-Identifier: GPL-2.0
/*
 * Process life cycle: fork and exit status, vfork + execve, execve of
 * this program again, execve of busybox, wait for many children.
 */
#define _GNU_SOURCE
#include <sys/wait.h>
#include <unistd.h>
#include <errno.h>
#include "kt.h"

static int errno_is_enoent(void)
{
	return errno == ENOENT ? 0 : 1;
}

int main(int argc, char **argv)
{
	char *args[] = { "/proc/self/exe", "child", NULL };
	int st, i, ok;
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "child"))
		return 42;	/* re-executed: tell the parent */

	pid = fork();
	if (pid == 0)
		_exit(7);
	kt_check(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		 WEXITSTATUS(st) == 7, "fork, exit(7), wait");

	pid = vfork();
	if (pid == 0) {
		execv("/proc/self/exe", args);
		_exit(99);
	}
	kt_check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		 WEXITSTATUS(st) == 42, "vfork + execve of this program");

	pid = fork();
	if (pid == 0) {
		execl("/bin/busybox", "sh", "-c", "exit 5", (char *)NULL);
		_exit(99);
	}
	kt_check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		 WEXITSTATUS(st) == 5, "fork + execve of busybox sh");

	pid = fork();
	if (pid == 0) {
		execl("/nonexistent", "x", (char *)NULL);
		_exit(errno_is_enoent());
	}
	waitpid(pid, &st, 0);
	kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "execve of a missing file fails with ENOENT");

	for (i = 0; i < 32; i++) {
		pid = fork();
		if (pid == 0)
			_exit(i);
	}
	for (ok = 0, i = 0; i < 32; i++)
		if (wait(&st) > 0 && WIFEXITED(st))
			ok++;
	kt_check(ok == 32, "32 children reaped (%d)", ok);
	return kt_done();
}
