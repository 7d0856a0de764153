// SPDX-License-Identifier: GPL-2.0
/*
 * Patched copies mapped by the kernel (kernel/kml/core.c, "Patched
 * copies"): a KML process that asked with arch_prctl(ARCH_KML_SLED,
 * ARCH_KML_SLED_EXEC) starts the KML programs it and its children
 * execute with the text of every object that has a registered copy
 * (/sys/kernel/kml/images; the init registered the image's libraries)
 * mapped from that copy, and the sled at address 0 with it: libc makes
 * direct calls with no rewriter in the process.
 *
 * This program, dynamic, run with --child, reports what it got: the page
 * at 0, where its libc's and its own text come from, its CPL, and
 * whether 100 getpid() calls through libc were direct calls.  The parent
 * (modes normal and trusted) checks:
 *   - the flag is refused to a process in user mode (EPERM), and unknown
 *     flags (EINVAL);
 *   - without the flag a /trusted child gets nothing: no page at 0, libc
 *     as it is on disk, no direct calls;
 *   - with it (mode trusted), a /trusted child gets the copy of libc, the
 *     page, and makes direct calls; so does a program that child
 *     executes in turn, and one that also loads the rewriter (from
 *     /etc/ld.so.preload), which finds those segments mapped already;
 *     a /bin child (user mode) gets nothing;
 *   - registration (root): the copy of a program stands for it until the
 *     program's file changes (its ctime), nobody may open the copy for
 *     writing while it is registered (ETXTBSY), and a copy that is not
 *     root's alone, of another size, or named relatively is refused; an
 *     ordinary user may not open the registry at all.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kt.h"

#define ARCH_KML_SLED		0x4b01
#define ARCH_KML_SLED_EXEC	0x1
#define IMAGES			"/sys/kernel/kml/images"
#define COPY_DIR		"/etc/kt-images"
#define COPY			COPY_DIR "/copy"

static const char *self_trusted = "/trusted/kt-images";

struct report {
	int sled, libc_copy, exe_copy, cpl;
	unsigned long direct, imaged;
};

/* The path of the mapping that holds @addr in /proc/self/maps, or "". */
static void mapping_of(unsigned long addr, char *path, size_t len)
{
	char line[512], p[256];
	unsigned long s, e;
	FILE *f = fopen("/proc/self/maps", "r");

	snprintf(path, len, "%s", "");
	while (f && fgets(line, sizeof(line), f)) {
		p[0] = 0;
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %255s", &s, &e, p) < 2)
			continue;
		if (addr >= s && addr < e) {
			snprintf(path, len, "%s", p);
			break;
		}
	}
	if (f)
		fclose(f);
}

static int child(char **argv)
{
	char path[256];
	void *getpid_fn = dlsym(RTLD_DEFAULT, "getpid");
	unsigned long *imaged = dlsym(RTLD_DEFAULT, "kml_rw_imaged");	/* the rewriter's */
	unsigned long d0;
	int i, sled;

	/* --chain: exec this program again, without a fork */
	if (argv[2] && !strcmp(argv[2], "--chain"))
		return execl(argv[0], argv[0], "--child", (char *)NULL), 99;
	mapping_of(0, path, sizeof(path));
	sled = !strcmp(path, "[kml]");
	d0 = kt_direct_calls();
	for (i = 0; i < 100; i++)
		syscall(SYS_getpid);
	printf("REPORT sled=%d", sled);
	mapping_of((unsigned long)getpid_fn, path, sizeof(path));
	printf(" libc_copy=%d", strstr(path, "/kml-rewrite.cache.d/") != NULL);
	mapping_of((unsigned long)child, path, sizeof(path));
	printf(" exe_copy=%d cpl=%d direct=%lu imaged=%lu\n", !strcmp(path, COPY), kt_cpl(),
	       kt_direct_calls() - d0, imaged ? *imaged : 0);
	return 0;
}

/* Run @prog --child (@extra), its report into *r: 0, or -1. */
static int run_child(const char *prog, const char *extra, struct report *r)
{
	char buf[256];
	int fd[2], st;
	ssize_t n;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		execl(prog, prog, "--child", extra, (char *)NULL);
		_exit(98);
	}
	close(fd[1]);
	n = read(fd[0], buf, sizeof(buf) - 1);
	close(fd[0]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) || n <= 0)
		return -1;
	buf[n] = 0;
	if (sscanf(buf, "REPORT sled=%d libc_copy=%d exe_copy=%d cpl=%d direct=%lu imaged=%lu",
		   &r->sled, &r->libc_copy, &r->exe_copy, &r->cpl, &r->direct, &r->imaged) != 6)
		return -1;
	return 0;
}

static void check_plain(const char *prog, const char *why)
{
	struct report r;
	int ok = !run_child(prog, NULL, &r);

	kt_check(ok && !r.sled && !r.libc_copy && r.direct < 100,
		 "%s %s: no page at 0 (%d), libc as on disk (%d), no direct calls (%lu)", prog, why,
		 r.sled, r.libc_copy, r.direct);
}

static void check_direct(const char *prog, const char *extra, const char *why)
{
	struct report r;
	int ok = !run_child(prog, extra, &r);

	kt_check(ok && r.cpl == 0 && r.sled && r.libc_copy && r.direct >= 100,
		 "%s %s: CPL %d, page at 0 (%d), libc's copy (%d), 100 getpid() direct (%lu)",
		 prog, why, r.cpl, r.sled, r.libc_copy, r.direct);
}

/*
 * The rewriter preloaded as well: it finds ld.so's and libc's text mapped
 * from their copies already and leaves it (kml_rw_imaged counts them).
 */
static void preloaded(void)
{
	struct report r;
	FILE *f = fopen("/etc/ld.so.preload", "w");
	int ok;

	if (!f || fputs("/lib/libkml-rewrite.so\n", f) < 0 || fclose(f)) {
		kt_check(0, "write /etc/ld.so.preload");
		return;
	}
	ok = !run_child(self_trusted, NULL, &r);
	unlink("/etc/ld.so.preload");
	kt_check(ok && r.cpl == 0 && r.sled && r.libc_copy && r.direct >= 100 && r.imaged >= 2,
		 "%s with the rewriter preloaded too: page at 0 (%d), libc's copy (%d), direct (%lu), segments from copies (%lu)",
		 self_trusted, r.sled, r.libc_copy, r.direct, r.imaged);
}

static long stat_value(const char *name)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/kml/%s", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Write @s to the registry: 0, or the errno. */
static int images_write(const char *s)
{
	int fd = open(IMAGES, O_WRONLY), ret = 0;

	if (fd < 0)
		return errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = errno;
	close(fd);
	return ret;
}

static int images_lists(const char *orig, const char *copy)
{
	char line[600], want[600];
	FILE *f = fopen(IMAGES, "r");
	int found = 0;

	snprintf(want, sizeof(want), "%s %s\n", orig, copy);
	while (f && fgets(line, sizeof(line), f))
		found |= !strcmp(line, want);
	if (f)
		fclose(f);
	return found;
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out;
	ssize_t n;

	unlink(to);
	out = open(to, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (in < 0 || out < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			return -1;
	close(in);
	fchmod(out, mode);
	return close(out);
}

static void registration(void)
{
	char reg[256];
	struct report r;
	int fd, st, e;
	pid_t pid;

	snprintf(reg, sizeof(reg), "%s %s", self_trusted, COPY);
	mkdir(COPY_DIR, 0755);
	chmod(COPY_DIR, 0755);
	kt_check(!copy_file(self_trusted, COPY, 0644), "a copy of %s as %s", self_trusted, COPY);

	/* refused */
	fd = open(COPY, O_WRONLY);
	e = images_write(reg);
	kt_check(e == ETXTBSY, "a copy open for writing is refused: %s", strerror(e));
	close(fd);
	chmod(COPY, 0664);
	e = images_write(reg);
	kt_check(e == EPERM, "a copy that its group may write is refused: %s", strerror(e));
	chmod(COPY, 0644);
	e = images_write("/trusted/kt-images " COPY_DIR "/../" "nonexistent");
	kt_check(e == ENOENT, "a copy that does not exist: %s", strerror(e));
	e = images_write("/trusted/kt-images etc/kt-images/copy");
	kt_check(e == EINVAL, "a relative path is refused: %s", strerror(e));
	e = images_write("/trusted/kt-cpl " COPY);
	kt_check(e == EINVAL, "a copy of another size is refused: %s", strerror(e));
	pid = fork();
	if (pid == 0) {
		if (setuid(65534))
			_exit(2);
		fd = open(IMAGES, O_WRONLY);
		_exit(fd < 0 && errno == EACCES ? 0 : 1);
	}
	kt_check(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		 "an ordinary user cannot open %s for writing", IMAGES);

	/* registered: the copy stands for the program, and nobody writes it */
	e = images_write(reg);
	kt_check(!e, "register %s: %s", reg, strerror(e));
	kt_check(images_lists(self_trusted, COPY), "%s lists it", IMAGES);
	fd = open(COPY, O_WRONLY);
	kt_check(fd < 0 && errno == ETXTBSY, "the registered copy cannot be opened for writing (%s)",
		 fd < 0 ? strerror(errno) : "it could");
	if (fd >= 0)
		close(fd);
	if (kt_cpl() == 0) {
		e = run_child(self_trusted, NULL, &r);
		kt_check(!e && r.exe_copy && r.sled,
			 "%s --child runs from its copy (%d), with the page at 0 (%d)", self_trusted,
			 r.exe_copy, r.sled);
		chmod(self_trusted, 0755);	/* a new ctime */
		e = run_child(self_trusted, NULL, &r);
		kt_check(!e && !r.exe_copy && r.libc_copy,
			 "once the program's file changed (chmod), it runs from the file (copy: %d), libc still from its copy (%d)",
			 r.exe_copy, r.libc_copy);
	} else {
		e = run_child(self_trusted, NULL, &r);
		kt_check(!e && !r.exe_copy,
			 "%s --child from a process without the flag: the file (copy: %d)", self_trusted,
			 r.exe_copy);
	}
	e = images_write("- /trusted/kt-images");
	kt_check(!e && !images_lists(self_trusted, COPY), "dropped again: %s", strerror(e));
	fd = open(COPY, O_WRONLY);
	kt_check(fd >= 0, "then the copy can be written again (%s)", fd < 0 ? strerror(errno) : "ok");
	if (fd >= 0)
		close(fd);
	unlink(COPY);
}

int main(int argc, char **argv)
{
	long before, ret;

	if (argc > 1 && !strcmp(argv[1], "--child"))
		return child(argv);

	if (access(IMAGES, F_OK) || getuid() != 0) {
		printf("# no %s, or not root\n", IMAGES);
		return 77;
	}
	check_plain(self_trusted, "from a process without the flag");

	errno = 0;
	ret = syscall(SYS_arch_prctl, ARCH_KML_SLED, 2UL);
	kt_check(ret == -1 && errno == (kt_cpl() == 0 ? EINVAL : EPERM),
		 "ARCH_KML_SLED with an unknown flag: %s", strerror(errno));
	errno = 0;
	ret = syscall(SYS_arch_prctl, ARCH_KML_SLED, (unsigned long)ARCH_KML_SLED_EXEC);
	if (kt_cpl() != 0) {
		kt_check(ret == -1 && errno == EPERM, "ARCH_KML_SLED_EXEC in user mode: %s",
			 strerror(errno));
		check_plain(self_trusted, "after that");
	} else {
		kt_check(ret > 0, "ARCH_KML_SLED_EXEC in kernel mode: a sled of %ld numbers", ret);
		before = stat_value("images_mapped");
		check_direct(self_trusted, NULL, "from a process with the flag");
		kt_check(stat_value("images_mapped") >= before + 2,
			 "images_mapped counted its ld.so and libc (%ld more)",
			 stat_value("images_mapped") - before);
		check_direct(self_trusted, "--chain", "executed by such a child");
		preloaded();
		check_plain("/bin/kt-images", "(user mode) from a process with the flag");
	}
	registration();
	return kt_done();
}
