// SPDX-License-Identifier: GPL-2.0
/*
 * Process life cycle: fork and exit status, vfork + execve, execve of
 * this program again, execve of busybox, wait for many children.  Also:
 * fork leaves the pages of read-only file mappings (text, rewritten or
 * not, read-only data, RELRO) to the child's page faults, and the child
 * sees the same bytes in them.
 */
#define _GNU_SOURCE
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include "kt.h"

#define MAX_TEXT 64

struct text {
	unsigned long start[MAX_TEXT], end[MAX_TEXT];
	int exec[MAX_TEXT], n;
};

/* The read-only file mappings of this process ("r-xp", "r--p", a path). */
static void find_text(struct text *t)
{
	char line[512], perms[8], path[256];
	unsigned long s, e;
	FILE *f = fopen("/proc/self/maps", "r");

	t->n = 0;
	while (f && fgets(line, sizeof(line), f) && t->n < MAX_TEXT) {
		path[0] = 0;
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &s, &e, perms, path) < 3)
			continue;
		if ((strcmp(perms, "r-xp") && strcmp(perms, "r--p")) || path[0] != '/')
			continue;
		t->exec[t->n] = perms[2] == 'x';
		t->start[t->n] = s;
		t->end[t->n++] = e;
	}
	if (f)
		fclose(f);
}

/* Pages of the text among them with a present PTE (/proc/self/pagemap). */
static long text_present(const struct text *t)
{
	unsigned long long e[512];
	unsigned long a, n, k;
	long present = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY), i;

	if (fd < 0)
		return -1;
	for (i = 0; i < t->n; i++)
		for (a = t->start[i]; t->exec[i] && a < t->end[i]; a += n * 4096) {
			n = (t->end[i] - a) / 4096;
			if (n > 512)
				n = 512;
			if (pread(fd, e, n * 8, a / 4096 * 8) != (ssize_t)(n * 8)) {
				close(fd);
				return -1;
			}
			for (k = 0; k < n; k++)
				present += e[k] >> 63;
		}
	close(fd);
	return present;
}

/* Read every page of those mappings; a sum of their bytes. */
static unsigned long text_sum(const struct text *t)
{
	unsigned long sum = 0, a;
	int i;

	for (i = 0; i < t->n; i++)
		for (a = t->start[i]; a < t->end[i]; a += 8)
			sum = sum * 31 + *(volatile unsigned long *)a;
	return sum;
}

/*
 * Touch all of them, then fork: the child must find at most half of the
 * text pages present before it has run much (the read-only data, much of
 * it without anon_vma, would hide the text's count), and the same bytes
 * everywhere.
 * Without the KML fork rule, a mapping the rewriter patched (it holds
 * private copies of its patched pages) was copied PTE by PTE.
 */
static void check_fork_lazy(void)
{
	struct text t;
	long parent, child = -1;
	unsigned long sum;
	int pfd[2], st;
	pid_t pid;

	find_text(&t);
	sum = text_sum(&t);
	parent = text_present(&t);
	if (pipe(pfd)) {
		kt_check(0, "pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid == 0) {
		long n = text_present(&t);

		if (write(pfd[1], &n, sizeof(n)) != sizeof(n))
			_exit(2);
		_exit(text_sum(&t) == sum ? 0 : 1);
	}
	close(pfd[1]);
	if (read(pfd[0], &child, sizeof(child)) != sizeof(child))
		child = -1;
	close(pfd[0]);
	waitpid(pid, &st, 0);
	kt_check(t.n > 0 && parent > 0 && child >= 0 && child < parent / 2,
		 "fork leaves text pages to the child's faults: %ld of %ld present in the child (%d read-only mappings)",
		 child, parent, t.n);
	kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		 "the child reads the same bytes there (status %#x)", st);
}

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

	check_fork_lazy();
	return kt_done();
}
