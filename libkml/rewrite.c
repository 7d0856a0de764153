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
 * call site.  The constructor asks the kernel for that page
 * (ARCH_KML_SLED); a process without the rewriter has nothing at 0.  The rest of the convention is SYSCALL's, restart included
 * (Documentation/kml.rst).  The sites of the objects a system is built
 * with can be found ahead of time by the same search: kml-rwcache writes
 * them to /etc/kml-rewrite.cache, and a segment found there (by build ID)
 * is patched without decoding; libkml-rewrite.so loads Capstone only for
 * a segment that is not.  For an object given to it with -I, kml-rwcache
 * also writes a patched copy of the file, and the rewriter maps the
 * segment from that copy instead of patching it in place
 * (kml_rw_map_image()): the text stays a file mapping, which fork()
 * leaves to the child's faults and every process shares.
 *
 * Forms: libkml-rewrite.so, listed in /etc/ld.so.preload (a KML exec is
 * secure-exec and ignores LD_PRELOAD), and libkml-rewrite.a, linked into
 * a static program with --whole-archive (and --eh-frame-hdr, which gcc
 * leaves out with -static: the unwind table keeps the search short).  In
 * a process that is not in kernel mode, or where the page cannot be mapped,
 * it changes nothing.
 *
 * Caveats: the call pushes its return address at RSP - 8, inside the red
 * zone of the code that issued the system call, so a site whose function
 * addresses memory below RSP is left alone (kml_rw_uses_red_zone()); one
 * outside any function's unwind entry, or in an object without unwind
 * table, cannot be judged and is taken.  The vDSO is left alone (it
 * cannot be made writable).  In an object without an unwind table, data in an
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
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kml-page.h"

/*
 * How many SYSCALL instructions were rewritten, and how many executable
 * segments took their sites from the site cache and how many were
 * searched, for tests and reports.
 */
unsigned long kml_rewritten;
unsigned long kml_rw_cached;
unsigned long kml_rw_searched;
unsigned long kml_rw_imaged;

static int kml_rw_on;
static csh kml_cs;

/*
 * Capstone.  Linked into libkml-rewrite.a; libkml-rewrite.so loads it
 * only when a segment is not in the site cache (kml_rw_decoder()), since
 * loading it costs an exec more than the cache saves otherwise (1.7 MB of
 * relocated data, 77,000 relocations).  libkml-rewrite-cached.a
 * (KML_RW_NO_DECODER) has no decoder: it rewrites the objects of the site
 * cache and leaves the others as they are.  A static program linked with
 * it carries none of Capstone's data (1.8 MB), which fork() would copy
 * the page tables of.
 */
#if defined(KML_RW_STATIC) && !defined(KML_RW_NO_DECODER)
#define kml_cs_open		cs_open
#define kml_cs_malloc		cs_malloc
#define kml_cs_disasm_iter	cs_disasm_iter
#define kml_cs_free		cs_free
#else
static cs_err (*kml_cs_open)(cs_arch, cs_mode, csh *);
static cs_insn *(*kml_cs_malloc)(csh);
static bool (*kml_cs_disasm_iter)(csh, const uint8_t **, size_t *, uint64_t *, cs_insn *);
static void (*kml_cs_free)(cs_insn *, size_t);
#endif
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
	return 0;
}

static void kml_rw_mark(ElfW(Addr) base)
{
	if (kml_rw_ndone < KML_RW_MAX_OBJECTS)
		kml_rw_done[kml_rw_ndone++] = base;
}

/*
 * /proc/self/pagemap, open while the rewriter works (kml_rw_scan(); per
 * thread: two threads' dlopen() scans must not close each other's), and
 * a walk over the entries of [start, end): fn(arg, page, entry) for each
 * page until it returns nonzero, which the walk returns (0 at the end, -1
 * when pagemap cannot be read).  An entry tells present (bit 63) and
 * file-backed (bit 61) pages apart: a page written by anyone (a patch, a
 * text relocation, a debugger's breakpoint, a uprobe) is anonymous there.
 */
#define KML_PM_PRESENT	(1ULL << 63)
#define KML_PM_FILE	(1ULL << 61)

static __thread int kml_rw_pm_fd = -1;

static int kml_rw_pagemap(uintptr_t start, uintptr_t end,
			  int (*fn)(void *arg, uintptr_t page, uint64_t pm), void *arg)
{
	uint64_t pm[128];
	uintptr_t page = start & ~4095UL;

	if (kml_rw_pm_fd < 0)
		kml_rw_pm_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (kml_rw_pm_fd < 0)
		return -1;
	while (page < end) {
		size_t i, n = (end - page + 4095) / 4096;
		ssize_t got;
		int ret;

		if (n > sizeof(pm) / sizeof(pm[0]))
			n = sizeof(pm) / sizeof(pm[0]);
		got = pread(kml_rw_pm_fd, pm, n * sizeof(pm[0]), (off_t)(page / 4096 * sizeof(pm[0])));
		if (got <= 0)
			return -1;
		n = (size_t)got / sizeof(pm[0]);
		for (i = 0; i < n; i++, page += 4096) {
			ret = fn(arg, page, pm[i]);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/*
 * The search read every page of a segment, so all of them are mapped now,
 * and the patches gave the mapping an anon_vma.  From then on fork()
 * copies every present page-table entry of the mapping (one without
 * anonymous pages it leaves to be faulted in by the child).  Drop the
 * entries of the pages that are still the file's, so that only the pages
 * in use come back (fork+exit of kbench.shim: 4% fewer instructions).
 */
struct kml_rw_run {
	uintptr_t start;	/* of the pages to drop, 0 for none */
	uintptr_t next;		/* the page after the last one seen */
};

static int kml_rw_drop_page(void *arg, uintptr_t page, uint64_t pm)
{
	struct kml_rw_run *r = arg;
	int drop = (pm & (KML_PM_PRESENT | KML_PM_FILE)) == (KML_PM_PRESENT | KML_PM_FILE);

	if (drop && !r->start)
		r->start = page;
	if (!drop && r->start) {
		madvise((void *)r->start, page - r->start, MADV_DONTNEED);
		r->start = 0;
	}
	r->next = page + 4096;
	return 0;
}

static void kml_rw_drop(uintptr_t start, uintptr_t end)
{
	struct kml_rw_run r = { 0, 0 };

	kml_rw_pagemap(start, end, kml_rw_drop_page, &r);
	if (r.start)
		madvise((void *)r.start, r.next - r.start, MADV_DONTNEED);
}

/*
 * kml_rw_poke(lo, len, prot, sites, n, window): make [lo, lo + len)
 * readable and writable but not executable, write "call *%rax" (ff d0)
 * at each of the n sites, call window(lo, lo + len) if it is not NULL,
 * and give the range prot again; returns 0 or the failed mprotect()'s
 * -errno.  Only raw system calls and its own code: while it runs, the
 * segment it patches may be libc's, ld.so's or (in a static program) the
 * rewriter's own, none of which can execute.  So it runs from a copy in
 * a page of its own (kml_rw_poke_init()); this is its template, data.
 */
extern const char kml_rw_poke_code[], kml_rw_poke_end[];
__asm__(".pushsection .rodata\n"
	"kml_rw_poke_code:\n"
	"	push	%rbx\n"
	"	push	%r12\n"
	"	push	%r13\n"
	"	push	%r14\n"
	"	push	%r15\n"
	"	push	%r9\n"
	"	mov	%rdi, %r12\n"
	"	mov	%rsi, %r13\n"
	"	mov	%edx, %r14d\n"
	"	mov	%rcx, %r15\n"
	"	mov	%r8, %rbx\n"
	"	mov	$10, %eax\n"			/* mprotect(lo, len, PROT_READ | PROT_WRITE) */
	"	mov	%r12, %rdi\n"
	"	mov	%r13, %rsi\n"
	"	mov	$3, %edx\n"
	"	syscall\n"
	"	test	%rax, %rax\n"
	"	jnz	3f\n"
	"1:	test	%rbx, %rbx\n"
	"	jz	2f\n"
	"	mov	(%r15), %rdx\n"
	"	movw	$0xd0ff, (%rdx)\n"
	"	add	$8, %r15\n"
	"	dec	%rbx\n"
	"	jmp	1b\n"
	"2:	mov	(%rsp), %rax\n"		/* window */
	"	test	%rax, %rax\n"
	"	jz	4f\n"
	"	mov	%r12, %rdi\n"
	"	lea	(%r12,%r13), %rsi\n"
	"	sub	$8, %rsp\n"			/* 16-byte aligned at the call */
	"	call	*%rax\n"
	"	add	$8, %rsp\n"
	"4:	mov	$10, %eax\n"			/* mprotect(lo, len, prot) */
	"	mov	%r12, %rdi\n"
	"	mov	%r13, %rsi\n"
	"	mov	%r14d, %edx\n"
	"	syscall\n"
	"3:	pop	%r9\n"
	"	pop	%r15\n"
	"	pop	%r14\n"
	"	pop	%r13\n"
	"	pop	%r12\n"
	"	pop	%rbx\n"
	"	ret\n"
	"kml_rw_poke_end:\n"
	".popsection\n");

typedef void kml_rw_window_fn(uintptr_t lo, uintptr_t hi);
static long (*kml_rw_poke)(uintptr_t lo, size_t len, int prot, uint8_t **sites, size_t n,
			   kml_rw_window_fn *window);

/*
 * A test's look at a segment while it is patched (tests/guest/rewritten.c
 * checks /proc/self/maps there); called for dlopen()ed objects only, when
 * libc can run.
 */
extern kml_rw_window_fn kml_rw_test_window __attribute__((weak));
static int kml_rw_started;

/* The copy of kml_rw_poke_code: written, then made read-only and executable. */
static int kml_rw_poke_init(void)
{
	size_t len = (size_t)(kml_rw_poke_end - kml_rw_poke_code);
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	memcpy(p, kml_rw_poke_code, len);
	if (mprotect(p, 4096, PROT_READ | PROT_EXEC)) {
		munmap(p, 4096);
		return -1;
	}
	kml_rw_poke = (long (*)(uintptr_t, size_t, int, uint8_t **, size_t, kml_rw_window_fn *))p;
	return 0;
}

/*
 * Patch the sites of one segment, [lo, hi), with one mprotect() of the
 * whole segment there and back, so that its mapping stays one.  An
 * mprotect() per page left each patched page a mapping of its own (made
 * writable, it became VM_ACCOUNT, which its neighbours are not, so they
 * never merged back): 42 mappings for libc's text, each duplicated by
 * every fork().
 *
 * Never writable and executable at once: while the sites are written the
 * segment is not executable (kml_rw_poke, from a page of its own, with
 * every signal blocked), so no thread runs the code being changed, and
 * the mprotect() that makes it executable again flushes every CPU's TLB
 * for it, which serializes them before they fetch the new bytes (the
 * SDM's cross-modifying code rule).  At start no other thread runs yet;
 * a dlopen()ed object is patched before dlopen() returns, when only
 * threads that its own constructors started could reach its code (they
 * would fault in that window: Documentation/kml.rst).
 */
static void kml_rw_patch(uintptr_t lo, uintptr_t hi, int prot, uint8_t **sites, size_t n)
{
	kml_rw_window_fn *window = NULL;
	sigset_t all, old;
	long err;

	lo &= ~4095UL;
	hi = (hi + 4095) & ~4095UL;
	if (!kml_rw_poke && kml_rw_poke_init())
		return;
	if (kml_rw_started && kml_rw_test_window &&
	    (uintptr_t)kml_rw_test_window - lo >= hi - lo)
		window = kml_rw_test_window;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	err = kml_rw_poke(lo, hi - lo, prot, sites, n, window);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (err)
		return;
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

	if (kml_cs_disasm_iter(kml_cs, pos, &left, &addr, insn))
		return 1;
	(*pos)++;
	return 0;
}

/*
 * Sites left alone because their function keeps data below RSP (the red
 * zone): the call's return address would land there.  Counted for
 * reports; kml_rw_left, where set (the tests, kml-rwcache), sees each.
 */
unsigned long kml_rw_redzone;
static void (*kml_rw_left)(uint8_t *site);

/*
 * Whether the function [b, e) addresses memory below RSP anywhere (an
 * operand "[rsp - n]"): a leaf function's red zone, whose data may be
 * live across its SYSCALL.  The call that replaces a SYSCALL pushes its
 * return address at RSP - 8, so such a function keeps its SYSCALL.
 */
static int kml_rw_uses_red_zone(const uint8_t *b, const uint8_t *e, cs_insn *insn)
{
	while (b < e)
		if (kml_rw_decode(&b, e, insn) && strstr(insn->op_str, "[rsp - "))
			return 1;
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
 * code.  A segment without function starts is swept whole.  A site in a
 * function that addresses memory below RSP is left alone
 * (kml_rw_uses_red_zone()); one outside any function's range cannot be
 * judged so and is taken.
 * Decoding all of each segment, as before, cost 173 ms per exec of a
 * program linked with libc (libc, ld.so and libcapstone, 2.3 MB; AMD
 * EPYC host); this takes 8 ms (tests/harness/rwscan.c).
 */
static long kml_rw_find(const uint8_t *start, size_t size, const struct kml_rw_starts *fn,
			uint8_t ***sitesp)
{
	const uint8_t *end = start + size, *p = start, *from = NULL, *pos = start;
	const uint8_t *lo = start, *hi = end, *fend = NULL;
	int red = 0;
	size_t first = kml_rw_count(fn, (uintptr_t)start - 1);
	size_t last = kml_rw_count(fn, (uintptr_t)end - 1);
	cs_insn *insn = kml_cs_malloc(kml_cs);
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
			fend = NULL;
			if (i > first) {
				uintptr_t fe = kml_rw_fn_end(fn, i - 1);

				if (fe != UINTPTR_MAX)
					fend = fe < (uintptr_t)end ? (const uint8_t *)fe : end;
			}
			red = -1;	/* not looked at yet */
		}
		while (pos < c)
			kml_rw_decode(&pos, end, insn);
		if (pos != c || !kml_rw_decode(&pos, end, insn) ||
		    insn->id != X86_INS_SYSCALL || insn->size != 2)
			continue;
		if (fend && c < fend) {
			if (red < 0)
				red = kml_rw_uses_red_zone(b, fend, insn);
			if (red) {
				kml_rw_redzone++;
				if (kml_rw_left)
					kml_rw_left((uint8_t *)c);
				continue;
			}
		}
		if (n == max) {
			max = max ? 2 * max : 64;
			more = realloc(sites, max * sizeof(*sites));
			if (!more) {
				free(sites);
				kml_cs_free(insn, 1);
				return -1;
			}
			sites = more;
		}
		sites[n++] = (uint8_t *)c;
	}
	kml_cs_free(insn, 1);
	*sitesp = sites;
	return (long)n;
}

/*
 * An object as the rewriter sees it: where it is loaded, its program
 * headers, its function starts and its GNU build ID.
 */
struct kml_rw_obj {
	ElfW(Addr) base;
	const ElfW(Phdr) *ph;
	int phnum;
	struct kml_rw_starts fn;
	const uint8_t *id;
	size_t idlen;
	int textrel;		/* DT_TEXTREL: its text is relocated at load */
};

#define KML_RW_ID_MAX	32

/* The build ID in the object's notes (NT_GNU_BUILD_ID), if any. */
static void kml_rw_build_id(struct kml_rw_obj *o, const ElfW(Phdr) *ph)
{
	const uint8_t *p = (const uint8_t *)(o->base + ph->p_vaddr), *end = p + ph->p_memsz;
	size_t align = ph->p_align == 8 ? 8 : 4;

	while (end - p >= (ptrdiff_t)sizeof(ElfW(Nhdr))) {
		ElfW(Nhdr) nh;
		size_t name, desc;

		memcpy(&nh, p, sizeof(nh));
		name = ((size_t)nh.n_namesz + align - 1) & ~(align - 1);
		desc = ((size_t)nh.n_descsz + align - 1) & ~(align - 1);
		p += sizeof(nh);
		if (name > (size_t)(end - p) || desc > (size_t)(end - p) - name)
			return;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && !memcmp(p, "GNU", 4) &&
		    nh.n_descsz && nh.n_descsz <= KML_RW_ID_MAX) {
			o->id = p + name;
			o->idlen = nh.n_descsz;
			return;
		}
		p += name + desc;
	}
}

/* Whether the object's dynamic section asks for text relocations. */
static void kml_rw_textrel(struct kml_rw_obj *o, const ElfW(Phdr) *ph)
{
	const ElfW(Dyn) *d = (const ElfW(Dyn) *)(o->base + ph->p_vaddr);
	size_t i, n = ph->p_filesz / sizeof(*d);

	for (i = 0; i < n && d[i].d_tag != DT_NULL; i++)
		if (d[i].d_tag == DT_TEXTREL ||
		    (d[i].d_tag == DT_FLAGS && (d[i].d_un.d_val & DF_TEXTREL)))
			o->textrel = 1;
}

static void kml_rw_obj_init(struct kml_rw_obj *o, ElfW(Addr) base, const ElfW(Phdr) *ph,
			    int phnum)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->base = base;
	o->ph = ph;
	o->phnum = phnum;
	for (i = 0; i < phnum; i++) {
		if (ph[i].p_type == PT_GNU_EH_FRAME)
			kml_rw_starts((const uint8_t *)(base + ph[i].p_vaddr), ph[i].p_memsz, &o->fn);
		if (ph[i].p_type == PT_NOTE && !o->id)
			kml_rw_build_id(o, &ph[i]);
		if (ph[i].p_type == PT_DYNAMIC)
			kml_rw_textrel(o, &ph[i]);
	}
}

/*
 * Whether segment i of o may be mapped from a patched copy of the file:
 * an executable segment of file bytes only (p_filesz == p_memsz) whose
 * pages hold no other segment (ld.so maps each segment over the pages of
 * the one before), in an object whose text is not relocated at load.
 * The copy then gives, page for page, what ld.so mapped there, but for
 * the sites.
 */
static int kml_rw_image_ok(const struct kml_rw_obj *o, int i)
{
	const ElfW(Phdr) *ph = &o->ph[i];
	uintptr_t lo = ph->p_vaddr & ~4095UL, hi = (ph->p_vaddr + ph->p_filesz + 4095) & ~4095UL;
	int k;

	if (o->textrel || ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) || !ph->p_filesz ||
	    ph->p_filesz != ph->p_memsz || (ph->p_vaddr & 4095) != (ph->p_offset & 4095))
		return 0;
	for (k = 0; k < o->phnum; k++) {
		const ElfW(Phdr) *q = &o->ph[k];

		if (k != i && q->p_type == PT_LOAD && q->p_memsz &&
		    (q->p_vaddr & ~4095UL) < hi && ((q->p_vaddr + q->p_memsz + 4095) & ~4095UL) > lo)
			return 0;
	}
	return 1;
}

/*
 * The site cache, /etc/kml-rewrite.cache: for each executable segment of
 * the objects it was written for (kml-rwcache), the sites that
 * kml_rw_find() gives, so that an exec need not decode.  A header, then
 * entries one after the other, each followed by its sites, offsets into
 * the segment in ascending order; native byte order:
 *
 *   struct kml_rwc_head    "KMLRWC2", the number of entries
 *   struct kml_rwc_ent     build ID, segment p_vaddr and p_filesz, flags,
 *                          sites
 *   uint32_t[nsites]
 *
 * It says where code that runs at CPL 0 gets written, so it is trusted
 * as /etc/ld.so.preload is: only a regular file owned by root that
 * neither group nor others may write is used.  The build ID names the
 * bytes; a site that does not hold 0f 05 all the same (a file changed
 * without a new ID) makes the rewriter drop the entry and search the
 * segment.
 *
 * KML_RWC_IMAGE in an entry's flags: kml-rwcache also wrote the object's
 * patched copy, the file with "call *%rax" at every site of this
 * segment, as /etc/kml-rewrite.cache.d/<build ID in hex>.  The rewriter
 * maps the segment from it (kml_rw_map_image()), trusted on the same
 * terms, the directory too.  The copy stands for the object on its build
 * ID alone, without the check of the sites: that would read every page
 * that holds one.  A file changed without a new build ID needs a
 * new cache (kml-rwcache), as ld.so.cache does for a new library.
 */
#define KML_RWC_MAGIC	"KMLRWC2"
#define KML_RWC_MAX	(64 << 20)
#define KML_RWC_IMAGE	1U

struct kml_rwc_head {
	char magic[8];
	uint32_t n;
	uint32_t zero;
};

struct kml_rwc_ent {
	uint8_t id[KML_RW_ID_MAX];	/* zero-padded */
	uint32_t idlen;
	uint32_t nsites;
	uint64_t vaddr;
	uint64_t filesz;
	uint32_t flags;			/* KML_RWC_IMAGE */
	uint32_t zero;
};

/* The key of segment ph of o, as an entry without sites. */
static void kml_rwc_key(const struct kml_rw_obj *o, const ElfW(Phdr) *ph, struct kml_rwc_ent *e)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->id, o->id, o->idlen);
	e->idlen = o->idlen;
	e->vaddr = ph->p_vaddr;
	e->filesz = ph->p_filesz;
}

/*
 * Whether two entries have the same key (build ID, p_vaddr, p_filesz);
 * b's idlen must be at most KML_RW_ID_MAX (a key, not read from a file).
 */
static int kml_rwc_same(const struct kml_rwc_ent *a, const struct kml_rwc_ent *b)
{
	return a->idlen == b->idlen && !memcmp(a->id, b->id, b->idlen) &&
	       a->vaddr == b->vaddr && a->filesz == b->filesz;
}

/*
 * The cache is mapped only while the rewriter works (kml_rw_scan(); per
 * thread, as kml_rw_pm_fd): a mapping that stayed would cost every fork
 * of the process its VMA and page tables (scripts/layout-control.sh).
 */
static const char *kml_rwc_path = "/etc/kml-rewrite.cache";
static __thread const uint8_t *kml_rwc;
static __thread size_t kml_rwc_size;

/* Whether fd is root's and only root may write it; its type the caller checks. */
static int kml_rwc_trusted(int fd, struct stat *st)
{
	return !fstat(fd, st) && st->st_uid == 0 && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

static void kml_rwc_open(void)
{
	struct kml_rwc_head h;
	struct stat st;
	void *p;
	int fd = open(kml_rwc_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return;
	if (!kml_rwc_trusted(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(h) ||
	    st.st_size > KML_RWC_MAX) {
		close(fd);
		return;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return;
	memcpy(&h, p, sizeof(h));
	if (memcmp(h.magic, KML_RWC_MAGIC, sizeof(h.magic)) || h.zero) {
		munmap(p, st.st_size);
		return;
	}
	kml_rwc = p;
	kml_rwc_size = st.st_size;
}

static void kml_rwc_close(void)
{
	if (kml_rwc)
		munmap((void *)kml_rwc, kml_rwc_size);
	kml_rwc = NULL;
}

/*
 * The entry of segment ph of o, into *e: the offset of its sites in the
 * cache, or 0 for none cached (or a cache that ends inside the entry).
 */
static size_t kml_rwc_lookup(const struct kml_rw_obj *o, const ElfW(Phdr) *ph,
			     struct kml_rwc_ent *e)
{
	struct kml_rwc_head h;
	struct kml_rwc_ent want;
	size_t off = sizeof(h);
	uint32_t i;

	if (!kml_rwc || !o->id)
		return 0;
	kml_rwc_key(o, ph, &want);
	memcpy(&h, kml_rwc, sizeof(h));
	for (i = 0; i < h.n; i++, off += sizeof(*e) + 4 * (size_t)e->nsites) {
		if (kml_rwc_size - off < sizeof(*e))
			return 0;
		memcpy(e, kml_rwc + off, sizeof(*e));
		if (e->nsites > (kml_rwc_size - off - sizeof(*e)) / 4)
			return 0;
		if (kml_rwc_same(e, &want))
			return off + sizeof(*e);
	}
	return 0;
}

/*
 * The cached sites of segment ph of o, loaded at [start, start + size),
 * into *sitesp (malloc()ed): how many, or -1 for none cached (or an entry
 * that does not fit these bytes, or no memory).
 */
static long kml_rwc_sites(const struct kml_rw_obj *o, const ElfW(Phdr) *ph, const uint8_t *start,
			  size_t size, uint8_t ***sitesp)
{
	struct kml_rwc_ent e;
	size_t off = kml_rwc_lookup(o, ph, &e);
	uint8_t **sites;
	uint32_t k;

	*sitesp = NULL;
	if (!off)
		return -1;
	sites = malloc(((size_t)e.nsites + 1) * sizeof(*sites));
	if (!sites)
		return -1;
	for (k = 0; k < e.nsites; k++) {
		uint32_t at;

		memcpy(&at, kml_rwc + off + 4 * (size_t)k, sizeof(at));
		if (size < 2 || at > size - 2 || (k && (uint8_t *)start + at <= sites[k - 1]) ||
		    start[at] != 0x0f || start[at + 1] != 0x05) {
			free(sites);
			return -1;
		}
		sites[k] = (uint8_t *)start + at;
	}
	*sitesp = sites;
	return (long)e.nsites;
}

/*
 * The directory of the patched copies, open while the rewriter works
 * (kml_rw_scan(), per thread, as kml_rw_pm_fd), if it is root's and only
 * root may write it.
 */
static __thread int kml_rwc_dir_fd = -1;

static int kml_rwc_dir(void)
{
	char path[256];
	struct stat st;

	if (kml_rwc_dir_fd >= 0)
		return kml_rwc_dir_fd;
	if (snprintf(path, sizeof(path), "%s.d", kml_rwc_path) >= (int)sizeof(path))
		return -1;
	kml_rwc_dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (kml_rwc_dir_fd >= 0 && (!kml_rwc_trusted(kml_rwc_dir_fd, &st) || !S_ISDIR(st.st_mode))) {
		close(kml_rwc_dir_fd);
		kml_rwc_dir_fd = -1;
	}
	return kml_rwc_dir_fd;
}

/* The name of o's patched copy in that directory: its build ID in hex. */
static void kml_rwc_image_name(const struct kml_rw_obj *o, char name[2 * KML_RW_ID_MAX + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < o->idlen; i++) {
		name[2 * i] = hex[o->id[i] >> 4];
		name[2 * i + 1] = hex[o->id[i] & 15];
	}
	name[2 * o->idlen] = 0;
}

static int kml_rw_written_page(void *arg __attribute__((unused)),
			       uintptr_t page __attribute__((unused)), uint64_t pm)
{
	return (pm & (KML_PM_PRESENT | KML_PM_FILE)) == KML_PM_PRESENT;
}

/*
 * Map segment i of o, as ld.so mapped it, from the object's patched copy
 * (KML_RWC_IMAGE): 1 if done, else 0 and nothing changed.  Not where a
 * page of the segment was written already (a debugger's breakpoint, a
 * uprobe): the copy would lose it.  The new mapping replaces the old one
 * whole, in one mmap() under the mm's lock, so no thread sees the range
 * unmapped, and it needs no new VMA.  The bytes stay those of the file
 * but for the sites, which go from 0f 05 to ff d0, so code of the
 * segment that runs meanwhile (the mmap() wrapper of libc, when this is
 * libc's text) returns to the same instructions; no page is writable and
 * executable at any time.
 */
static int kml_rw_map_image(const struct kml_rw_obj *o, int i)
{
	const ElfW(Phdr) *ph = &o->ph[i];
	uintptr_t lo = (o->base + ph->p_vaddr) & ~4095UL;
	size_t len = ((o->base + ph->p_vaddr + ph->p_filesz + 4095) & ~4095UL) - lo;
	int prot = PROT_EXEC | (ph->p_flags & PF_R ? PROT_READ : 0);
	char name[2 * KML_RW_ID_MAX + 1];
	struct stat st;
	int dir = kml_rwc_dir(), fd;
	void *p;

	if (dir < 0 || (ph->p_flags & PF_W) || !kml_rw_image_ok(o, i) ||
	    kml_rw_pagemap(lo, lo + len, kml_rw_written_page, NULL))
		return 0;
	kml_rwc_image_name(o, name);
	fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	if (!kml_rwc_trusted(fd, &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < ph->p_offset + ph->p_filesz) {
		close(fd);
		return 0;
	}
	p = mmap((void *)lo, len, prot, MAP_PRIVATE | MAP_FIXED, fd, (off_t)(ph->p_offset & ~4095UL));
	close(fd);
	return p == (void *)lo;
}

/*
 * Whether the kernel mapped segment ph of o from its patched copy already
 * (ARCH_KML_SLED_EXEC): its first cached site, at off in the cache (entry
 * e), holds "call *%rax".
 */
static int kml_rw_kernel_imaged(const struct kml_rw_obj *o, const ElfW(Phdr) *ph,
				const struct kml_rwc_ent *e, size_t off)
{
	const uint8_t *p;
	uint32_t at;

	if (!e->nsites)
		return 0;
	memcpy(&at, kml_rwc + off, sizeof(at));
	if (ph->p_filesz < 2 || at > ph->p_filesz - 2)
		return 0;
	p = (const uint8_t *)(o->base + ph->p_vaddr) + at;
	return p[0] == 0xff && p[1] == 0xd0;
}

#define KML_RW_PH_STACK	16

/* Set when an object waits for the decoder (kml_rw_scan()). */
static int kml_rw_need_decoder;

static int kml_rw_exec_segment(const ElfW(Phdr) *ph)
{
	return ph->p_type == PT_LOAD && (ph->p_flags & PF_X);
}

/*
 * Rewrite each executable segment of o: map it from the object's patched
 * copy where the cache says there is one, else patch its sites, from the
 * cache or by kml_rw_find().  Without the decoder, an object that is not
 * wholly in the cache is left for the second round (kml_rw_scan());
 * returns 0 then, else 1.
 */
static int kml_rw_segments(const struct kml_rw_obj *o)
{
	/* On the stack for the usual few program headers: no heap to start */
	uint8_t **sites_s[KML_RW_PH_STACK] = { NULL };
	long n_s[KML_RW_PH_STACK] = { 0 };
	int heap = o->phnum > KML_RW_PH_STACK;
	uint8_t ***sites = heap ? calloc(o->phnum, sizeof(*sites)) : sites_s;
	long *n = heap ? calloc(o->phnum, sizeof(*n)) : n_s;
	int i, ret = 1;

	if (!sites || !n)
		goto out;
	for (i = 0; i < o->phnum; i++) {
		const ElfW(Phdr) *ph = &o->ph[i];
		struct kml_rwc_ent e;
		size_t off;

		if (!kml_rw_exec_segment(ph))
			continue;
		off = kml_rwc_lookup(o, ph, &e);
		if (off && (e.flags & KML_RWC_IMAGE)) {
			/* -3: the kernel mapped the copy; -2: the copy, else the sites */
			n[i] = kml_rw_kernel_imaged(o, ph, &e, off) ? -3 : -2;
			continue;
		}
		n[i] = kml_rwc_sites(o, ph, (const uint8_t *)(o->base + ph->p_vaddr), ph->p_filesz,
				     &sites[i]);
		if (n[i] < 0 && !kml_cs) {
			kml_rw_need_decoder = 1;
			ret = 0;
			goto out;
		}
	}
	for (i = 0; i < o->phnum; i++) {
		const ElfW(Phdr) *ph = &o->ph[i];
		uintptr_t start = o->base + ph->p_vaddr;

		if (!kml_rw_exec_segment(ph))
			continue;
		if (n[i] == -3) {
			kml_rw_imaged++;
			continue;
		}
		if (n[i] == -2) {
			if (kml_rw_map_image(o, i)) {
				kml_rw_imaged++;
				continue;
			}
			n[i] = kml_rwc_sites(o, ph, (const uint8_t *)start, ph->p_filesz, &sites[i]);
			if (n[i] < 0 && !kml_cs)
				continue;	/* left as it is: SYSCALL works */
		}
		if (n[i] >= 0) {
			kml_rw_cached++;
		} else {
			kml_rw_searched++;
			n[i] = kml_rw_find((const uint8_t *)start, ph->p_filesz, &o->fn, &sites[i]);
		}
		if (n[i] > 0)
			kml_rw_patch(start, start + ph->p_filesz,
				     PROT_EXEC | (ph->p_flags & PF_R ? PROT_READ : 0) |
				     (ph->p_flags & PF_W ? PROT_WRITE : 0), sites[i], (size_t)n[i]);
	}
out:
	for (i = 0; sites && i < o->phnum; i++)
		free(sites[i]);
	if (heap) {
		free(sites);
		free(n);
	}
	return ret;
}

static int kml_rw_object(struct dl_phdr_info *info, size_t size, void *data __attribute__((unused)))
{
	struct kml_rw_obj o;
	ElfW(Addr) key;

	/* After a dlclose() an address may hold another object. */
	if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs) &&
	    info->dlpi_subs != kml_rw_subs) {
		kml_rw_subs = info->dlpi_subs;
		kml_rw_ndone = 0;
	}
	key = info->dlpi_addr + (info->dlpi_phnum ? info->dlpi_phdr[0].p_vaddr : 0);
	if (strstr(info->dlpi_name, "linux-vdso") || kml_rw_seen(key))
		return 0;
	kml_rw_obj_init(&o, info->dlpi_addr, info->dlpi_phdr, info->dlpi_phnum);
	if (kml_rw_segments(&o))
		kml_rw_mark(key);
	return 0;
}

#ifndef KML_RW_STATIC
/* libc's dlopen(), which the wrapper below stands in front of. */
static void *kml_rw_real_dlopen(const char *file, int mode)
{
	static void *(*real)(const char *, int);

	if (!real)
		real = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	return real ? real(file, mode) : NULL;
}
#endif

/*
 * Load the decoder and open it: 0, or -1 if it cannot be had (the
 * objects that need it keep their SYSCALL instructions, which work).
 * Not from a dl_iterate_phdr() callback: dlopen() there would wait for
 * the lock that dl_iterate_phdr() holds.
 */
static int kml_rw_decoder(void)
{
	static int failed;
#ifndef KML_RW_STATIC
	void *h;
#endif

	if (kml_cs)
		return 0;
	if (failed)
		return -1;
	failed = 1;
#ifdef KML_RW_NO_DECODER
	return -1;
#endif
#ifndef KML_RW_STATIC
	h = kml_rw_real_dlopen(KML_CAPSTONE, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return -1;
	kml_cs_open = (cs_err (*)(cs_arch, cs_mode, csh *))dlsym(h, "cs_open");
	kml_cs_malloc = (cs_insn *(*)(csh))dlsym(h, "cs_malloc");
	kml_cs_disasm_iter = (bool (*)(csh, const uint8_t **, size_t *, uint64_t *, cs_insn *))
		dlsym(h, "cs_disasm_iter");
	kml_cs_free = (void (*)(cs_insn *, size_t))dlsym(h, "cs_free");
	if (!kml_cs_open || !kml_cs_malloc || !kml_cs_disasm_iter || !kml_cs_free)
		return -1;
#endif
	if (kml_cs_open(CS_ARCH_X86, CS_MODE_64, &kml_cs) != CS_ERR_OK) {
		kml_cs = 0;
		return -1;
	}
	failed = 0;
	return 0;
}

/*
 * Every loaded object not rewritten yet: those wholly in the cache first;
 * then, if any is not, the decoder is loaded and a second round takes the
 * rest (the decoder's own library among them).
 */
static void kml_rw_scan(void)
{
	if (!kml_rw_on)
		return;
	kml_rwc_open();
	kml_rw_need_decoder = 0;
	dl_iterate_phdr(kml_rw_object, NULL);
	if (kml_rw_need_decoder && !kml_rw_decoder())
		dl_iterate_phdr(kml_rw_object, NULL);
	if (kml_rw_pm_fd >= 0)
		close(kml_rw_pm_fd);
	if (kml_rwc_dir_fd >= 0)
		close(kml_rwc_dir_fd);
	kml_rw_pm_fd = kml_rwc_dir_fd = -1;
	kml_rwc_close();
}

/*
 * KML_DIRECT_EXEC=1 in the environment: the KML programs this one and its
 * children execute start in the direct mode without the rewriter, their
 * objects that have a registered patched copy mapped from it by the
 * kernel (ARCH_KML_SLED_EXEC; Documentation/kml.rst, "Patched copies").
 */
static unsigned long kml_rw_sled_flags(void)
{
	const char *e = getenv("KML_DIRECT_EXEC");

	return e && !strcmp(e, "1") ? KML_ARCH_SLED_EXEC : 0;
}

__attribute__((constructor(101))) static void kml_rw_init(void)
{
	if (!kml_sled_map(kml_rw_sled_flags()))
		return;
	kml_rw_on = 1;
	kml_rw_scan();
	kml_rw_started = 1;
}

#ifndef KML_RW_STATIC
/* dlopen()ed libraries: rewrite whatever is new once they are loaded. */
void *dlopen(const char *file, int mode)
{
	void *h = kml_rw_real_dlopen(file, mode);

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
