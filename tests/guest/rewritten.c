// SPDX-License-Identifier: GPL-2.0
/*
 * The rewriter (libkml-rewrite.so, from /etc/ld.so.preload): in kernel
 * mode the SYSCALL instructions of the program, of libc and of a library
 * dlopen()ed later become "call *%rax" (ff d0) and the calls go through
 * the direct-call entry (/sys/kernel/kml/direct_calls grows); in a normal
 * process nothing changes.  The program and libc are in the image's site
 * cache (/etc/kml-rewrite.cache, by build ID) and are patched from it;
 * libkt-dl.so has no build ID, so the rewriter searches it with Capstone,
 * which it loads only then.  Run only with the preload in place.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
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

/*
 * Called by the rewriter while it patches a dlopen()ed object's segment
 * [lo, hi) (exported: -rdynamic): what /proc/self/maps shows then.  No
 * mapping may be writable and executable at once, and the segment being
 * patched must not be executable.
 */
static int windows, wx_seen, seg_exec;

void kml_rw_test_window(uintptr_t lo, uintptr_t hi)
{
	char line[512], perms[8];
	unsigned long a, b;
	FILE *maps = fopen("/proc/self/maps", "r");

	windows++;
	while (maps && fgets(line, sizeof(line), maps)) {
		if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) != 3)
			continue;
		if (strchr(perms, 'w') && strchr(perms, 'x'))
			wx_seen++;
		if (a < hi && b > lo && strchr(perms, 'x'))
			seg_exec++;
	}
	if (maps)
		fclose(maps);
}

/* Mappings writable and executable at once. */
static int wx_mappings(void)
{
	int before = wx_seen, n;

	kml_rw_test_window(0, 0);
	windows--;
	n = wx_seen - before;
	wx_seen = before;
	return n;
}

static int site_is(const unsigned char *p, unsigned char a, unsigned char b)
{
	return p[0] == a && p[1] == b;
}

/* Whether a mapping of the process names a file that contains name. */
static int mapped(const char *name)
{
	char line[512];
	FILE *maps = fopen("/proc/self/maps", "r");
	int found = 0;

	while (maps && !found && fgets(line, sizeof(line), maps))
		found = strstr(line, name) != NULL;
	if (maps)
		fclose(maps);
	return found;
}

/*
 * libc's executable mappings: how many, how many pages, how many of them
 * are mapped from the file and how many are private copies (the patched
 * ones).  The rewriter must leave the text one mapping (fork() duplicates
 * each), and since its sweep reads every page it must unmap the ones it
 * did not change (fork() copies their page-table entries).
 */
static void libc_text_pages(long *maps_n, long *total, long *file, long *anon)
{
	char line[512];
	FILE *maps = fopen("/proc/self/maps", "r");
	int pm = open("/proc/self/pagemap", O_RDONLY);
	unsigned long lo, hi, a;
	uint64_t e;

	*maps_n = *total = *file = *anon = 0;
	while (maps && pm >= 0 && fgets(line, sizeof(line), maps)) {
		if (!strstr(line, " r-xp ") || !strstr(line, "/libc.so"))
			continue;
		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		(*maps_n)++;
		for (a = lo; a < hi; a += 4096) {
			(*total)++;
			if (pread(pm, &e, sizeof(e), a / 4096 * sizeof(e)) != sizeof(e) ||
			    !(e >> 63))
				continue;
			if (e & (1ULL << 61))
				(*file)++;
			else
				(*anon)++;
		}
	}
	if (maps)
		fclose(maps);
	if (pm >= 0)
		close(pm);
}

int main(void)
{
	const char *e = getenv("KMLTEST_EXPECT_CPL");
	int km = e && atoi(e) == 0 && kt_cpl() == 0;
	unsigned long *count = dlsym(RTLD_DEFAULT, "kml_rewritten");
	unsigned long *cached = dlsym(RTLD_DEFAULT, "kml_rw_cached");
	unsigned long *searched = dlsym(RTLD_DEFAULT, "kml_rw_searched");
	unsigned long before, after, searched_before;
	long maps_n, total, file, anon;
	long (*dl_getpid)(void);
	unsigned char *dl_site;
	void *h;
	int i;

	kt_check(count && cached && searched,
		 "libkml-rewrite.so is loaded (from /etc/ld.so.preload)");
	if (!count || !cached || !searched)
		return kt_done();
	kt_check(km ? *count > 0 : *count == 0, "%lu SYSCALL instructions rewritten (%s mode)",
		 *count, kt_mode());
	kt_check(access("/etc/kml-rewrite.cache", R_OK) == 0, "the image has a site cache");
	kt_check(km ? *cached > 0 : *cached == 0, "%lu segments patched from the cache", *cached);
	kt_check(*searched == 0 && !mapped("libcapstone"),
		 "none searched (%lu), so the decoder was not loaded", *searched);
	kt_check(km ? site_is(kt_main_site, 0xff, 0xd0) : site_is(kt_main_site, 0x0f, 0x05),
		 "the program's own SYSCALL site is %s", km ? "call *%rax" : "untouched");
	kt_check(kt_main_getppid() == getppid(), "and works");
	libc_text_pages(&maps_n, &total, &file, &anon);
	kt_check(maps_n == 1, "libc's text is one mapping (%ld)", maps_n);
	kt_check(total > 0 && file + anon < total && (km ? anon > 0 : anon == 0),
		 "of its %ld pages %ld are mapped from the file and %ld are patched copies",
		 total, file, anon);

	before = kt_direct_calls();
	for (i = 0; i < 100; i++)
		getppid();
	after = kt_direct_calls();
	if (km)
		kt_check(after - before >= 100, "libc's getppid() goes through the direct entry (+%lu)",
			 after - before);

	kt_check(wx_mappings() == 0, "no mapping is writable and executable after the start");
	searched_before = *searched;
	before = *count;
	windows = wx_seen = seg_exec = 0;
	h = dlopen("/lib/libkt-dl.so", RTLD_NOW);
	kt_check(h != NULL, "dlopen of a library loaded after start");
	if (!h)
		return kt_done();
	if (km)
		kt_check(windows >= 1 && !wx_seen && !seg_exec,
			 "while its text was patched, it was not executable and no mapping was writable and executable (%d looks, %d W+X, %d executable)",
			 windows, wx_seen, seg_exec);
	else
		kt_check(windows == 0, "nothing was patched (%d)", windows);
	kt_check(wx_mappings() == 0, "no mapping is writable and executable after the dlopen");
	dl_getpid = (long (*)(void))dlsym(h, "kt_dl_getpid");
	dl_site = dlsym(h, "kt_dl_site");
	kt_check(dl_getpid && dl_site &&
		 (km ? site_is(dl_site, 0xff, 0xd0) : site_is(dl_site, 0x0f, 0x05)),
		 "its SYSCALL site is %s", km ? "rewritten" : "untouched");
	kt_check(km ? *searched > searched_before && *count > before :
		      *searched == searched_before && *count == before,
		 "it has no build ID, so it was searched (%lu segments), not looked up (%lu more sites)",
		 *searched - searched_before, *count - before);
	kt_check(km ? mapped("libcapstone") : !mapped("libcapstone"),
		 km ? "with the decoder, loaded for it" : "and the decoder is still not loaded");
	before = kt_direct_calls();
	kt_check(dl_getpid && dl_getpid() == getpid(), "and its system call works");
	after = kt_direct_calls();
	if (km)
		kt_check(after - before >= 1, "through the direct entry");
	dlclose(h);
	return kt_done();
}
