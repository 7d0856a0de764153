// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkml-rewrite: makes the system calls of an unmodified program direct
 * calls when Kernel Mode Linux runs it in kernel mode.
 *
 * At load (a constructor) and after every dlopen(), the executable
 * PT_LOAD segments of each loaded object are searched for the bytes 0f 05;
 * each place is decoded with Capstone from the start of its function (the
 * object's unwind table tells where functions start), and every SYSCALL
 * instruction found on an instruction boundary there becomes "call *%rax"
 * (ff d0), as long: the call lands in the kernel's direct-call page at
 * address 0 at byte %rax, the system call number, and returns after the
 * call site.  The rest of the convention is SYSCALL's, restart included
 * (Documentation/kml.rst).
 *
 * Forms: libkml-rewrite.so, listed in /etc/ld.so.preload (a KML exec is
 * secure-exec and ignores LD_PRELOAD), and libkml-rewrite.a, linked into
 * a static program with --whole-archive (and --eh-frame-hdr, which gcc
 * leaves out with -static: the unwind table keeps the search short).  In
 * a process that is not in kernel mode, or without the page, it changes
 * nothing.
 *
 * Caveats: the call pushes its return address at RSP - 8, inside the red
 * zone of the code that issued the system call; code that keeps data
 * there across a system call breaks (rare: system calls are usually made
 * from functions that call others).  The vDSO is left alone (it cannot be
 * made writable).  In an object without an unwind table, data in an
 * executable segment can be misdecoded as a SYSCALL; compilers do not put
 * data in .text on x86-64.  A number that is no system call gives -ENOSYS
 * below 4096 (the sled, then the kernel catches the fault in the page past
 * it) and from -4096 to -1 (the kernel catches the fault on the top page);
 * others (4096 and up, below -4096) stop the program with SIGSEGV, before
 * anything changed, where SYSCALL would give -ENOSYS, and a number that is
 * the address of the program's own code calls that code.  libkml's SYSCALL
 * fallback carries a prefix (3 bytes), so it is left alone.
 */
#define _GNU_SOURCE
#include <capstone/capstone.h>
#include <dlfcn.h>
#include <emmintrin.h>
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
 * The search read every page of a segment, so all of them are mapped now,
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

/*
 * Function starts, from the search table of the object's .eh_frame_hdr
 * (PT_GNU_EH_FRAME): initial locations of its FDEs, sorted, each the
 * first instruction of a function.  Unwind tables are the default on
 * x86-64, assembly included (glibc's ENTRY() opens a CFI procedure).
 */
struct kml_rw_starts {
	const uint8_t *tab;	/* pairs of s32: initial location, FDE */
	size_t n;
	uintptr_t hdr;		/* both relative to the header */
};

#define KML_DW_EH_PE_OMIT	0xff
#define KML_DW_EH_PE_SDATA4	0x0b
#define KML_DW_EH_PE_DATAREL	0x30

/* Bytes of a DWARF pointer encoding's value; 0 for one not handled. */
static size_t kml_rw_enc_size(uint8_t enc)
{
	switch (enc & 0x0f) {
	case 0x00:
		return sizeof(void *);
	case 0x02:
	case 0x0a:
		return 2;
	case 0x03:
	case 0x0b:
		return 4;
	case 0x04:
	case 0x0c:
		return 8;
	}
	return 0;
}

static int32_t kml_rw_s32(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Only the table layout the linker writes (version 1, an absolute 4-byte
 * count, datarel sdata4 entries) is used; anything else leaves n at 0.
 */
static void kml_rw_starts(const uint8_t *h, size_t len, struct kml_rw_starts *s)
{
	size_t off;
	int32_t n;

	s->n = 0;
	if (len < 4 || h[0] != 1 || h[1] == KML_DW_EH_PE_OMIT ||
	    (h[2] & 0xf0) || kml_rw_enc_size(h[2]) != 4 ||
	    h[3] != (KML_DW_EH_PE_DATAREL | KML_DW_EH_PE_SDATA4))
		return;
	off = 4 + kml_rw_enc_size(h[1]);
	if (off == 4 || off + 4 > len)
		return;
	n = kml_rw_s32(h + off);
	off += 4;
	if (n <= 0 || (size_t)n > (len - off) / 8)
		return;
	s->tab = h + off;
	s->n = (size_t)n;
	s->hdr = (uintptr_t)h;
}

static uintptr_t kml_rw_fn_start(const struct kml_rw_starts *s, size_t i)
{
	return s->hdr + (intptr_t)kml_rw_s32(s->tab + 8 * i);
}

/* How many functions start at or below addr. */
static size_t kml_rw_count(const struct kml_rw_starts *s, uintptr_t addr)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (kml_rw_fn_start(s, mid) <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The end of function i: its FDE's, when the FDE's initial location is
 * the usual pc-relative sdata4 (checked against the table); else the
 * next function's start.
 */
static uintptr_t kml_rw_fn_end(const struct kml_rw_starts *s, size_t i)
{
	uintptr_t start = kml_rw_fn_start(s, i);
	const uint8_t *fde = (const uint8_t *)(s->hdr + (intptr_t)kml_rw_s32(s->tab + 8 * i + 4));
	uint32_t len = (uint32_t)kml_rw_s32(fde);

	if (len >= 12 && len != 0xffffffff &&
	    (uintptr_t)fde + 8 + (intptr_t)kml_rw_s32(fde + 8) == start)
		return start + (uint32_t)kml_rw_s32(fde + 12);
	return i + 1 < s->n ? kml_rw_fn_start(s, i + 1) : UINTPTR_MAX;
}

/*
 * The next place in [p, end) that holds the bytes 0f 05, or NULL.  SSE2,
 * 16 places a step: glibc's memmem() took 12 instructions a byte here,
 * 18 million per exec of a program linked with libc.
 */
static const uint8_t *kml_rw_next(const uint8_t *p, const uint8_t *end)
{
	const __m128i op0 = _mm_set1_epi8(0x0f), op1 = _mm_set1_epi8(0x05);

	for (; end - p >= 17; p += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)p);
		__m128i b = _mm_loadu_si128((const __m128i *)(p + 1));
		unsigned int m = (unsigned int)_mm_movemask_epi8(_mm_and_si128(
			_mm_cmpeq_epi8(a, op0), _mm_cmpeq_epi8(b, op1)));

		if (m)
			return p + __builtin_ctz(m);
	}
	for (; end - p >= 2; p++)
		if (p[0] == 0x0f && p[1] == 0x05)
			return p;
	return NULL;
}

/* Decode one instruction at *pos: 1 and past it, or 0 and one byte on. */
static int kml_rw_decode(const uint8_t **pos, const uint8_t *end, cs_insn *insn)
{
	size_t left = (size_t)(end - *pos);
	uint64_t addr = (uintptr_t)*pos;

	if (cs_disasm_iter(kml_cs, pos, &left, &addr, insn))
		return 1;
	(*pos)++;
	return 0;
}

/*
 * The SYSCALL sites of [start, start + size) into *sitesp (malloc()ed);
 * returns how many, or -1 without memory.  Only the places where the
 * bytes 0f 05 occur are decoded, each by a linear sweep from the start
 * of the function that holds it, which skips one byte on after anything
 * that does not decode; a site is where that sweep meets a SYSCALL.
 * Sites in one function share one sweep; between two functions is code
 * all the same (glibc's clone() has its SYSCALL outside any unwind entry),
 * swept on from the function before.  A segment that also holds the
 * unwind table holds read-only data too (objects linked without -z
 * separate-code put the symbol tables before .text and .rodata and
 * .eh_frame after it), and a 0f 05 in data is no system call: there only
 * the span from the first function's start to the last one's end is
 * code.  A segment without function starts is swept whole.
 * Decoding all of each segment, as before, cost 173 ms per exec of a
 * program linked with libc (libc, ld.so and libcapstone, 2.3 MB; AMD
 * EPYC host); this takes 8 ms (tests/harness/rwscan.c).
 */
static long kml_rw_find(const uint8_t *start, size_t size, const struct kml_rw_starts *fn,
			uint8_t ***sitesp)
{
	const uint8_t *end = start + size, *p = start, *from = NULL, *pos = start;
	const uint8_t *lo = start, *hi = end;
	size_t first = kml_rw_count(fn, (uintptr_t)start - 1);
	size_t last = kml_rw_count(fn, (uintptr_t)end - 1);
	cs_insn *insn = cs_malloc(kml_cs);
	uint8_t **sites = NULL, **more;
	size_t n = 0, max = 0;

	*sitesp = NULL;
	if (!insn)
		return -1;
	if (first < last && fn->hdr >= (uintptr_t)start && fn->hdr < (uintptr_t)end) {
		uintptr_t last_end = kml_rw_fn_end(fn, last - 1);

		lo = (const uint8_t *)kml_rw_fn_start(fn, first);
		if (last_end < (uintptr_t)end)
			hi = (const uint8_t *)last_end;
	}
	while ((p = kml_rw_next(p, end))) {
		const uint8_t *c = p++, *b = start;
		size_t i;

		if (c < lo || c + 2 > hi)
			continue;
		i = kml_rw_count(fn, (uintptr_t)c);
		if (i > first)
			b = (const uint8_t *)kml_rw_fn_start(fn, i - 1);
		if (b != from) {
			from = b;
			pos = b;
		}
		while (pos < c)
			kml_rw_decode(&pos, end, insn);
		if (pos != c || !kml_rw_decode(&pos, end, insn) ||
		    insn->id != X86_INS_SYSCALL || insn->size != 2)
			continue;
		if (n == max) {
			max = max ? 2 * max : 64;
			more = realloc(sites, max * sizeof(*sites));
			if (!more) {
				free(sites);
				cs_free(insn, 1);
				return -1;
			}
			sites = more;
		}
		sites[n++] = (uint8_t *)c;
	}
	cs_free(insn, 1);
	*sitesp = sites;
	return (long)n;
}

static void kml_rw_segment(const uint8_t *start, size_t size, int prot,
			   const struct kml_rw_starts *fn)
{
	uint8_t **sites;
	long n = kml_rw_find(start, size, fn, &sites);

	if (n > 0)
		kml_rw_patch((uintptr_t)start, (uintptr_t)start + size, prot, sites, (size_t)n);
	free(sites);
}

static int kml_rw_object(struct dl_phdr_info *info, size_t size, void *data __attribute__((unused)))
{
	struct kml_rw_starts fn = { .n = 0 };
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

		if (ph->p_type == PT_GNU_EH_FRAME)
			kml_rw_starts((const uint8_t *)(info->dlpi_addr + ph->p_vaddr),
				      ph->p_memsz, &fn);
	}
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X))
			kml_rw_segment((const uint8_t *)(info->dlpi_addr + ph->p_vaddr),
				       ph->p_filesz,
				       PROT_EXEC | (ph->p_flags & PF_R ? PROT_READ : 0) |
				       (ph->p_flags & PF_W ? PROT_WRITE : 0), &fn);
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
