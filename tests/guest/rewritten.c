// SPDX-License-Identifier: GPL-2.0
/*
 * The rewriter (libkml-rewrite.so, from /etc/ld.so.preload): in kernel
 * mode the SYSCALL instructions of the program, of libc and of a library
 * dlopen()ed later become "call *%rax" (ff d0) and the calls go through
 * the direct-call entry (/sys/kernel/kml/direct_calls grows); in a normal
 * process nothing changes.  Run only with the preload in place.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kt.h"

/* A SYSCALL of the program itself, at the global kt_main_site. */
long kt_main_getppid(void);
__asm__(".text\n"
	".globl kt_main_getppid\n"
	".globl kt_main_site\n"
	"kt_main_getppid:\n\t"
	"mov $110, %eax\n"
	"kt_main_site:\n\t"
	"syscall\n\t"
	"ret\n");
extern unsigned char kt_main_site[];

static int site_is(const unsigned char *p, unsigned char a, unsigned char b)
{
	return p[0] == a && p[1] == b;
}

int main(void)
{
	const char *e = getenv("KMLTEST_EXPECT_CPL");
	int km = e && atoi(e) == 0 && kt_cpl() == 0;
	unsigned long *count = dlsym(RTLD_DEFAULT, "kml_rewritten");
	unsigned long before, after;
	long (*dl_getpid)(void);
	unsigned char *dl_site;
	void *h;
	int i;

	kt_check(count != NULL, "libkml-rewrite.so is loaded (from /etc/ld.so.preload)");
	if (!count)
		return kt_done();
	kt_check(km ? *count > 0 : *count == 0, "%lu SYSCALL instructions rewritten (%s mode)",
		 *count, kt_mode());
	kt_check(km ? site_is(kt_main_site, 0xff, 0xd0) : site_is(kt_main_site, 0x0f, 0x05),
		 "the program's own SYSCALL site is %s", km ? "call *%rax" : "untouched");
	kt_check(kt_main_getppid() == getppid(), "and works");

	before = kt_direct_calls();
	for (i = 0; i < 100; i++)
		getppid();
	after = kt_direct_calls();
	if (km)
		kt_check(after - before >= 100, "libc's getppid() goes through the direct entry (+%lu)",
			 after - before);

	h = dlopen("/lib/libkt-dl.so", RTLD_NOW);
	kt_check(h != NULL, "dlopen of a library loaded after start");
	if (!h)
		return kt_done();
	dl_getpid = (long (*)(void))dlsym(h, "kt_dl_getpid");
	dl_site = dlsym(h, "kt_dl_site");
	kt_check(dl_getpid && dl_site &&
		 (km ? site_is(dl_site, 0xff, 0xd0) : site_is(dl_site, 0x0f, 0x05)),
		 "its SYSCALL site is %s", km ? "rewritten" : "untouched");
	before = kt_direct_calls();
	kt_check(dl_getpid && dl_getpid() == getpid(), "and its system call works");
	after = kt_direct_calls();
	if (km)
		kt_check(after - before >= 1, "through the direct entry");
	dlclose(h);
	return kt_done();
}
