// SPDX-License-Identifier: GPL-2.0
/*
 * The basics of a C program: arguments and environment, heap, stdio on a
 * tmpfs file, auxv, the identity system calls.  Built twice: static and
 * dynamically linked (then also checks that libc came from ld.so).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kt.h"

static int saw_libc;

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	if (strstr(info->dlpi_name, "libc.so.6"))
		saw_libc = 1;
	return 0;
}

int main(int argc, char **argv)
{
	char path[64], buf[64];
	size_t i, n = 1 << 20;
	unsigned char *p;
	FILE *f;
	int ok;

	kt_check(argc >= 1 && argv[0] && argv[argc] == NULL, "argv is well formed (%s)", argv[0]);
	kt_check(getenv("KMLTEST_MODE") != NULL, "environment passed");

	p = malloc(n);
	kt_check(p != NULL, "malloc 1 MiB");
	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 7);
	for (ok = 1, i = 0; i < n; i++)
		ok &= p[i] == (unsigned char)(i * 7);
	kt_check(ok, "heap memory keeps what was written");
	free(p);

	snprintf(path, sizeof(path), "/tmp/hello.%d", getpid());
	f = fopen(path, "w");
	kt_check(f && fprintf(f, "pid %d\n", getpid()) > 0 && fclose(f) == 0, "write a tmpfs file");
	f = fopen(path, "r");
	kt_check(f && fgets(buf, sizeof(buf), f) && atoi(buf + 4) == getpid(), "read it back");
	if (f)
		fclose(f);
	kt_check(unlink(path) == 0, "unlink it");

	kt_check(getpid() == syscall(SYS_getpid), "getpid() agrees with raw syscall");
	kt_check(getauxval(AT_PAGESZ) == 4096, "auxv AT_PAGESZ is 4096");
	kt_check(getauxval(AT_RANDOM) != 0, "auxv AT_RANDOM present");
#ifdef KT_DYNAMIC
	dl_iterate_phdr(phdr_cb, NULL);
	kt_check(saw_libc, "libc.so.6 is loaded by ld.so");
#else
	(void)phdr_cb;
	kt_check(getauxval(AT_BASE) == 0, "static program has no interpreter");
#endif
	return kt_done();
}
