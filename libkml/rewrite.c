// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkml-rewrite: makes the system calls of an unmodified program direct
 * calls when Kernel Mode Linux runs it in kernel mode.
 *
 * At load (a constructor) and after every dlopen(), each executable
 * PT_LOAD segment of each loaded object is decoded with Capstone, a
 * linear sweep that resynchronizes one byte on after anything that does
 * not decode, and every SYSCALL instruction (0f 05) found on an
 * instruction boundary becomes "call *%rax" (ff d0), as long: the call
 * lands in the kernel's direct-call page at address 0 at byte %rax, the
 * system call number, and returns after the call site.  The rest of the
 * convention is SYSCALL's, restart included (Documentation/kml.rst).
 *
 * Forms: libkml-rewrite.so, listed in /etc/ld.so.preload (a KML exec is
 * secure-exec and ignores LD_PRELOAD), and libkml-rewrite.a, linked into
 * a static program with --whole-archive.  In a process that is not in
 * kernel mode, or without the page, it changes nothing.
 *
 * Caveats: the call pushes its return address at RSP - 8, inside the red
 * zone of the code that issued the system call; code that keeps data
 * there across a system call breaks (rare: system calls are usually made
 * from functions that call others).  The vDSO is left alone (it cannot be
 * made writable).  Data in executable segments can be misdecoded as a
 * SYSCALL; compilers do not put data in .text on x86-64.  A number that
 * is no system call gives -ENOSYS below 4096 (the sled, then the kernel
 * catches the fault in the page past it) and from -4096 to -1 (the kernel
 * catches the fault on the top page); others (4096 and up, below -4096)
 * stop the program with SIGSEGV, before anything
 * changed, where SYSCALL would give -ENOSYS, and a number that is the
 * address of the program's own code calls that code.  libkml's SYSCALL
 * fallback carries a prefix (3 bytes), so it is left alone.
 */
#define _GNU_SOURCE
#include <capstone/capstone.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "kml-page.h"

/* How many SYSCALL instructions were rewritten, for tests and reports. */
unsigned long kml_rewritten;

static int kml_rw_on;
static csh kml_cs;
static unsigned long long kml_rw_subs;

/* Objects already rewritten, by load address. */
#define KML_RW_MAX_OBJECTS 512
static ElfW(Addr) kml_rw_done[KML_RW_MAX_OBJECTS];
static int kml_rw_ndone;

static int kml_rw_seen(ElfW(Addr) base)
{
	int i;

	for (i = 0; i < kml_rw_ndone; i++)
		if (kml_rw_done[i] == base)
			return 1;
	if (kml_rw_ndone < KML_RW_MAX_OBJECTS)
		kml_rw_done[kml_rw_ndone++] = base;
	return 0;
}

/*
 * The sweep read every page of a segment, so all of them are mapped now,
 * and the patches gave the mapping an anon_vma.  From then on fork()
 * copies every present page-table entry of the mapping (one without
 * anonymous pages it leaves to be faulted in by the child).  Drop the
 * entries of the pages that are still the file's, so that only the pages
 * in use come back (fork+exit of kbench.shim: 4% fewer instructions).
 * /proc/self/pagemap tells them apart: present, and file-backed (bit 61);
 * a page written by anyone (a patch, a text relocation, a debugger) is
 * anonymous there and is kept.
 */
#define KML_PM_PRESENT	(1ULL << 63)
#define KML_PM_FILE	(1ULL << 61)

static void kml_rw_drop(uintptr_t start, uintptr_t end)
{
	uint64_t pm[256];
	uintptr_t page = start & ~4095UL, run = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	while (page < end) {
		size_t i, n = (end - page + 4095) / 4096;
		ssize_t got;

		if (n > sizeof(pm) / sizeof(pm[0]))
			n = sizeof(pm) / sizeof(pm[0]);
		got = pread(fd, pm, n * sizeof(pm[0]), (off_t)(page / 4096 * sizeof(pm[0])));
		if (got <= 0)
			break;
		n = (size_t)got / sizeof(pm[0]);
		for (i = 0; i < n; i++, page += 4096) {
			int drop = (pm[i] & (KML_PM_PRESENT | KML_PM_FILE)) ==
				   (KML_PM_PRESENT | KML_PM_FILE);

			if (drop && !run)
				run = page;
			if (!drop && run) {
				madvise((void *)run, page - run, MADV_DONTNEED);
				run = 0;
			}
		}
	}
	if (run)
		madvise((void *)run, page - run, MADV_DONTNEED);
	close(fd);
}

/*
 * Patch the sites of one segment, [lo, hi), with one mprotect() of the
 * whole segment there and back, so that its mapping stays one.  An
 * mprotect() per page left each patched page a mapping of its own (made
 * writable, it became VM_ACCOUNT, which its neighbours are not, so they
 * never merged back): 42 mappings for libc's text, each duplicated by
 * every fork().  One store per site: a thread executing there sees the
 * old or the new instruction.
 */
static void kml_rw_patch(uintptr_t lo, uintptr_t hi, int prot, uint8_t **sites, size_t n)
{
	size_t i;

	lo &= ~4095UL;
	hi = (hi + 4095) & ~4095UL;
	if (mprotect((void *)lo, hi - lo, prot | PROT_WRITE))
		return;
	for (i = 0; i < n; i++)
		__atomic_store_n((uint16_t *)sites[i], 0xd0ff, __ATOMIC_RELEASE);
	mprotect((void *)lo, hi - lo, prot);
	kml_rewritten += n;
	kml_rw_drop(lo, hi);
}

static void kml_rw_segment(const uint8_t *start, size_t size, int prot)
{
	const uint8_t *code = start;
	uint64_t addr = (uintptr_t)start;
	cs_insn *insn = cs_malloc(kml_cs);
	uint8_t **sites = NULL, **more;
	size_t n = 0, max = 0, len = size;

	if (!insn)
		return;
	while (size) {
		if (!cs_disasm_iter(kml_cs, &code, &size, &addr, insn)) {
			code++;
			addr++;
			size--;
			continue;
		}
		if (insn->id != X86_INS_SYSCALL || insn->size != 2 ||
		    insn->bytes[0] != 0x0f || insn->bytes[1] != 0x05)
			continue;
		if (n == max) {
			max = max ? 2 * max : 64;
			more = realloc(sites, max * sizeof(*sites));
			if (!more)
				break;
			sites = more;
		}
		sites[n++] = (uint8_t *)(uintptr_t)insn->address;
	}
	cs_free(insn, 1);
	if (n)
		kml_rw_patch((uintptr_t)start, (uintptr_t)start + len, prot, sites, n);
	free(sites);
}

static int kml_rw_object(struct dl_phdr_info *info, size_t size, void *data __attribute__((unused)))
{
	int i;

	/* After a dlclose() an address may hold another object. */
	if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs) &&
	    info->dlpi_subs != kml_rw_subs) {
		kml_rw_subs = info->dlpi_subs;
		kml_rw_ndone = 0;
	}
	if (strstr(info->dlpi_name, "linux-vdso") ||
	    kml_rw_seen(info->dlpi_addr + (info->dlpi_phnum ?
					   info->dlpi_phdr[0].p_vaddr : 0)))
		return 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X))
			kml_rw_segment((const uint8_t *)(info->dlpi_addr + ph->p_vaddr),
				       ph->p_filesz,
				       PROT_EXEC | (ph->p_flags & PF_R ? PROT_READ : 0) |
				       (ph->p_flags & PF_W ? PROT_WRITE : 0));
	}
	return 0;
}

static void kml_rw_scan(void)
{
	if (kml_rw_on)
		dl_iterate_phdr(kml_rw_object, NULL);
}

__attribute__((constructor(101))) static void kml_rw_init(void)
{
	if (!kml_page_present())
		return;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &kml_cs) != CS_ERR_OK)
		return;
	kml_rw_on = 1;
	kml_rw_scan();
}

#ifndef KML_RW_STATIC
/* dlopen()ed libraries: rewrite whatever is new once they are loaded. */
void *dlopen(const char *file, int mode)
{
	static void *(*real)(const char *, int);
	void *h;

	if (!real)
		real = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	h = real(file, mode);
	if (h)
		kml_rw_scan();
	return h;
}

void *dlmopen(Lmid_t lmid, const char *file, int mode)
{
	static void *(*real)(Lmid_t, const char *, int);
	void *h;

	if (!real)
		real = (void *(*)(Lmid_t, const char *, int))dlsym(RTLD_NEXT, "dlmopen");
	h = real(lmid, file, mode);
	if (h)
		kml_rw_scan();
	return h;
}
#endif
