// SPDX-License-Identifier: GPL-2.0
/*
 * kt-peek PID: try each way of reading or writing another process's
 * memory or registers and print "attach=R mem=R readv=R writev=R", where
 * R is "ok" (allowed) or the errno name of the refusal.  The transfers use
 * address 0, so an allowed one fails with EFAULT and changes nothing.
 * Exits with the number of accesses that were allowed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static int allowed;

static const char *verdict(int err)
{
	if (err == 0 || err == EFAULT || err == EIO) {
		allowed++;
		return "ok";
	}
	return strerrorname_np(err) ? strerrorname_np(err) : "?";
}

int main(int argc, char **argv)
{
	pid_t pid = argc > 1 ? atoi(argv[1]) : 0;
	char path[64], buf[8];
	struct iovec local = { buf, sizeof(buf) }, remote = { NULL, sizeof(buf) };
	int fd, err;

	if (pid <= 0) {
		fprintf(stderr, "usage: kt-peek PID\n");
		return 125;
	}
	err = ptrace(PTRACE_ATTACH, pid, 0, 0) ? errno : 0;
	if (!err) {
		waitpid(pid, NULL, 0);
		ptrace(PTRACE_DETACH, pid, 0, 0);
	}
	printf("attach=%s", verdict(err));
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDWR);
	err = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	printf(" mem=%s", verdict(err));
	err = process_vm_readv(pid, &local, 1, &remote, 1, 0) < 0 ? errno : 0;
	printf(" readv=%s", verdict(err));
	err = process_vm_writev(pid, &local, 1, &remote, 1, 0) < 0 ? errno : 0;
	printf(" writev=%s\n", verdict(err));
	return allowed;
}
