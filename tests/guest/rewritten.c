// SPDX-License-Identifier: GPL-2.0
/*
 * The rewriter (libkml-rewrite.so, from /etc/ld.so.preload): in kernel
 * mode the SYSCALL instructions of the program, of libc and of a library
 * dlopen()ed later become "call *%rax" (ff d0) and the calls go through
 * the direct-call entry (/sys/kernel/kml/direct_calls grows); in a normal
 * process nothing changes.  The program and libc are in the image's site
 * cache (/etc/kml-rewrite.cache, by build ID).  The program is patched in
 * place from it; libc (and ld.so), given to kml-rwcache with -I, are
 * mapped from their patched copies in /etc/kml-rewrite.cache.d, so no
 * page of their text is a private copy.  libkt-dl.so has no build ID, so
 * the rewriter searches it with Capstone, which it loads only then.  Run
 * only with the preload in place.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kt.h"

/*
 * Pages of text that nothing runs or reads: the program's text is patched
 * in place, and the rewriter must leave pages it did not change to the
 * file, unmapped where it read them.  More than the kernel's fault-around
 * (16 pages) maps next to the code that runs.
 */
__asm__(".text\n"
	".balign 4096\n"
	"kt_unused_text:\n\t"
	".fill 64 * 4096, 1, 0xcc\n");

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

/* The executable segment of the loaded object whose name contains name ("" for the program). */
struct seg {
	const char *name;
	uintptr_t lo, hi;
};

static int find_seg(struct dl_phdr_info *info, size_t size, void *data)
{
	struct seg *sg = data;
	int i;

	(void)size;
	if (sg->hi || (*sg->name ? !strstr(info->dlpi_name, sg->name) : *info->dlpi_name != 0))
		return 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			sg->lo = (info->dlpi_addr + ph->p_vaddr) & ~4095UL;
			sg->hi = info->dlpi_addr + ph->p_vaddr + ph->p_filesz;
			return 1;
		}
	}
	return 0;
}

/*
 * The executable mappings over an object's text: how many, how many
 * pages, how many of them are mapped from a file and how many are private
 * copies (the patched ones), and the file the first names.  The rewriter
 * must leave the text one mapping (fork() duplicates each); where it
 * patches in place, its sweep reads every page, so it must unmap the
 * ones it did not change (fork() copies their page-table entries); where
 * it maps the object's patched copy, no page is a private copy.
 */
struct text {
	long maps_n, total, file, anon;
	char path[256];
};

static void text_pages(const char *name, struct text *t)
{
	char line[512], path[256];
	struct seg sg = { name, 0, 0 };
	FILE *maps = fopen("/proc/self/maps", "r");
	int pm = open("/proc/self/pagemap", O_RDONLY);
	unsigned long lo, hi, a;
	uint64_t e;

	memset(t, 0, sizeof(*t));
	dl_iterate_phdr(find_seg, &sg);
	while (sg.hi && maps && pm >= 0 && fgets(line, sizeof(line), maps)) {
		path[0] = 0;
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %255s", &lo, &hi, path) < 2 ||
		    !strstr(line, " r-xp ") || lo >= sg.hi || hi <= sg.lo)
			continue;
		if (!t->maps_n++)
			snprintf(t->path, sizeof(t->path), "%s", path);
		for (a = lo; a < hi; a += 4096) {
			t->total++;
			if (pread(pm, &e, sizeof(e), a / 4096 * sizeof(e)) != sizeof(e) ||
			    !(e >> 63))
				continue;
			if (e & (1ULL << 61))
				t->file++;
			else
				t->anon++;
		}
	}
	if (maps)
		fclose(maps);
	if (pm >= 0)
		close(pm);
}

/* A system call that the rewriter leaves alone: "3e 0f 05" (libkml.h). */
static long raw_syscall(long nr, long a, long b, long c, long d)
{
	register long r10 __asm__("r10") = d;
	long ret;

	__asm__ volatile(".byte 0x3e\n\tsyscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

/*
 * Whether a child of fork() has a present entry for the page at address 0
 * (the direct-call page in kernel mode) before it makes any direct call:
 * the child runs SYSCALL only, and exits 1 if so, 0 if not, 2 if it could
 * not read its pagemap.  -1 if the child went wrong.
 */
static int page0_present_in_child(void)
{
	int status;
	long pid = raw_syscall(SYS_fork, 0, 0, 0, 0);

	if (pid == 0) {
		unsigned long long e = 0;
		long fd = raw_syscall(SYS_open, (long)"/proc/self/pagemap", O_RDONLY, 0, 0);
		long got = fd < 0 ? -1 : raw_syscall(SYS_pread64, fd, (long)&e, sizeof(e), 0);

		raw_syscall(SYS_exit_group, got != sizeof(e) ? 2 : (long)(e >> 63), 0, 0, 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * A tracer writes a page of ld.so's text, with the bytes it holds, at the
 * stop after exec, as a debugger's breakpoint would: then the rewriter
 * must keep that page, so it must patch ld.so in place instead of mapping
 * its patched copy.  Child (argv[1] "ldso"): exit 0 if ld.so's text is
 * the file's with a private copy of a page.
 */
static int ldso_child(void)
{
	struct text t;

	text_pages("ld-linux", &t);
	return strstr(t.path, "ld-linux") && t.anon > 0 ? 0 : 1;
}

static int ldso_written_by_tracer(void)
{
	char line[512], path[64];
	unsigned long lo = 0, hi;
	int status = -1;
	FILE *maps;
	long word;
	pid_t pid = fork();

	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execl("/proc/self/exe", "kt-rewritten", "ldso", (char *)NULL);
		_exit(3);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	maps = fopen(path, "r");
	while (maps && !lo && fgets(line, sizeof(line), maps))
		if (strstr(line, " r-xp ") && strstr(line, "ld-linux"))
			sscanf(line, "%lx-%lx", &lo, &hi);
	if (maps)
		fclose(maps);
	errno = 0;
	word = ptrace(PTRACE_PEEKTEXT, pid, (void *)lo, NULL);
	if (!lo || errno || ptrace(PTRACE_POKETEXT, pid, (void *)lo, (void *)word))
		kill(pid, SIGKILL);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	const char *e = getenv("KMLTEST_EXPECT_CPL");
	int km = e && atoi(e) == 0 && kt_cpl() == 0;
	unsigned long *count = dlsym(RTLD_DEFAULT, "kml_rewritten");
	unsigned long *cached = dlsym(RTLD_DEFAULT, "kml_rw_cached");
	unsigned long *searched = dlsym(RTLD_DEFAULT, "kml_rw_searched");
	unsigned long *imaged = dlsym(RTLD_DEFAULT, "kml_rw_imaged");
	unsigned long before, after, searched_before;
	struct text t;
	long (*dl_getpid)(void);
	unsigned char *dl_site;
	void *h;
	int i;

	if (argc > 1 && !strcmp(argv[1], "ldso"))
		return ldso_child();
	kt_check(count && cached && searched && imaged,
		 "libkml-rewrite.so is loaded (from /etc/ld.so.preload)");
	if (!count || !cached || !searched || !imaged)
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
	text_pages("", &t);
	kt_check(t.maps_n == 1, "the program's text is one mapping (%ld)", t.maps_n);
	kt_check(t.total > 0 && t.file + t.anon < t.total && (km ? t.anon > 0 : t.anon == 0),
		 "patched in place: of its %ld pages %ld are mapped from the file and %ld are patched copies",
		 t.total, t.file, t.anon);
	text_pages("libc.so", &t);
	kt_check(t.maps_n == 1, "libc's text is one mapping (%ld)", t.maps_n);
	kt_check(km ? strstr(t.path, "/etc/kml-rewrite.cache.d/") != NULL : strstr(t.path, "/libc.so") != NULL,
		 "mapped from %s", t.path);
	kt_check(t.total > 0 && t.file > 0 && t.anon == 0,
		 "of its %ld pages %ld are mapped from that file and none is a private copy",
		 t.total, t.file);
	kt_check(km ? *imaged >= 2 : *imaged == 0,
		 "%lu segments mapped from patched copies (libc's and ld.so's at least)", *imaged);

	before = kt_direct_calls();
	for (i = 0; i < 100; i++)
		getppid();
	after = kt_direct_calls();
	if (km)
		kt_check(after - before >= 100, "libc's getppid() goes through the direct entry (+%lu)",
			 after - before);

	kt_check(wx_mappings() == 0, "no mapping is writable and executable after the start");
	i = page0_present_in_child();
	kt_check(i == (km ? 1 : 0),
		 km ? "a fork child has the direct-call page mapped before its first call (%d)" :
		      "nothing is mapped at address 0 (%d)", i);
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
	i = ldso_written_by_tracer();
	kt_check(i == 0, "ld.so's text, written by a tracer before the start, is patched in place, not mapped from its copy (child: %d)",
		 i);
	return kt_done();
}
