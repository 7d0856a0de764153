// SPDX-License-Identifier: GPL-2.0
/*
 * Host check of the rewriter's search for SYSCALL sites (libkml/rewrite.c,
 * kml_rw_find()): it decodes only around the bytes 0f 05, from the start
 * of the function that holds them.  The reference here is what the
 * rewriter did before, a linear sweep of the whole executable segment.
 *
 *   rwscan FILE...   for each ELF object: the sites found with the
 *                    object's unwind table, without it, and by the whole
 *                    sweep; the time of each
 *
 * Fails (exit 1) when, for any object, the search without the table
 * differs from the whole sweep at all (it must be the same sweep), or the
 * search with the table does not find exactly the whole sweep's sites
 * that lie in executable sections (read from the file's section headers,
 * which the rewriter does not have); an object without a table is held to
 * the whole sweep, and its sites in data are reported.  Plus fixed byte
 * strings with a known answer.  Prints TAP.
 */
#define KML_RW_STATIC
#include "../../libkml/rewrite.c"

#include <elf.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

static int tap_n, tap_bad;

static void tap(int ok, const char *fmt, const char *what, const char *detail)
{
	tap_n++;
	if (!ok)
		tap_bad++;
	printf("%sok %d - ", ok ? "" : "not ", tap_n);
	printf(fmt, what);
	printf("%s\n", detail);
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* The reference: every SYSCALL of a linear sweep of the whole segment. */
static long whole_sweep(const uint8_t *start, size_t size, uint8_t ***sitesp)
{
	const uint8_t *pos = start, *end = start + size;
	cs_insn *insn = cs_malloc(kml_cs);
	uint8_t **sites = malloc(size / 2 * sizeof(*sites) + sizeof(*sites));
	long n = 0;

	while (pos < end) {
		const uint8_t *at = pos;

		if (kml_rw_decode(&pos, end, insn) && insn->id == X86_INS_SYSCALL &&
		    insn->size == 2)
			sites[n++] = (uint8_t *)at;
	}
	cs_free(insn, 1);
	*sitesp = sites;
	return n;
}

/* Sites in a and not in b (both ascending), up to 4 of them into buf. */
static long only_in(uint8_t **a, long na, uint8_t **b, long nb, const uint8_t *base,
		    char *buf, size_t len)
{
	long i = 0, j = 0, n = 0;
	size_t used = 0;

	buf[0] = 0;
	for (; i < na; i++) {
		while (j < nb && b[j] < a[i])
			j++;
		if (j < nb && b[j] == a[i])
			continue;
		if (n++ < 4 && used < len)
			used += snprintf(buf + used, len - used, " %#lx",
					 (unsigned long)(a[i] - base));
	}
	return n;
}

/* The executable sections of the object being checked, as addresses. */
#define MAX_CODE 64
static const uint8_t *code_lo[MAX_CODE], *code_hi[MAX_CODE];
static int ncode;

static int in_code(const uint8_t *site)
{
	int i;

	for (i = 0; i < ncode; i++)
		if (site >= code_lo[i] && site + 2 <= code_hi[i])
			return 1;
	return 0;
}

/*
 * Map the PT_LOAD segments of an ELF file at base + p_vaddr, as ld.so,
 * and note its executable sections (-1 in ncode: no section headers).
 */
static uint8_t *load(const char *path, const ElfW(Phdr) **phdr, int *phnum)
{
	ElfW(Ehdr) *eh;
	ElfW(Phdr) *ph;
	uintptr_t span = 0;
	uint8_t *file, *base;
	struct stat st;
	int fd, i;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || st.st_size < (off_t)sizeof(*eh))
		return NULL;
	file = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (file == MAP_FAILED)
		return NULL;
	eh = (ElfW(Ehdr) *)file;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_machine != EM_X86_64 || eh->e_phoff + eh->e_phnum * sizeof(*ph) > (size_t)st.st_size)
		return NULL;
	ph = (ElfW(Phdr) *)(file + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr + ph[i].p_memsz > span)
			span = ph[i].p_vaddr + ph[i].p_memsz;
	base = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!span || base == MAP_FAILED)
		return NULL;
	for (i = 0; i < eh->e_phnum; i++) {
		uintptr_t skew = ph[i].p_vaddr & 4095;

		if (ph[i].p_type != PT_LOAD || !ph[i].p_filesz)
			continue;
		if (mmap(base + ph[i].p_vaddr - skew, ph[i].p_filesz + skew, PROT_READ,
			 MAP_PRIVATE | MAP_FIXED, fd, ph[i].p_offset - skew) == MAP_FAILED)
			return NULL;
	}
	close(fd);
	ncode = -1;
	if (eh->e_shoff && eh->e_shentsize == sizeof(ElfW(Shdr)) &&
	    eh->e_shoff + eh->e_shnum * sizeof(ElfW(Shdr)) <= (size_t)st.st_size) {
		ElfW(Shdr) *sh = (ElfW(Shdr) *)(file + eh->e_shoff);

		ncode = 0;
		for (i = 0; i < eh->e_shnum && ncode < MAX_CODE; i++) {
			if (!(sh[i].sh_flags & SHF_EXECINSTR) || !sh[i].sh_addr)
				continue;
			code_lo[ncode] = base + sh[i].sh_addr;
			code_hi[ncode++] = base + sh[i].sh_addr + sh[i].sh_size;
		}
	}
	*phdr = ph;
	*phnum = eh->e_phnum;
	return base;
}

struct tally {
	long sites, table, plain, data, untabled;
	double t_table, t_plain, t_whole;
};

/* Compare the three searches on one segment. */
static void segment(const char *what, const uint8_t *base, const uint8_t *start, size_t size,
		    const struct kml_rw_starts *fn, struct tally *t)
{
	struct kml_rw_starts none = { .n = 0 };
	uint8_t **a, **b, **w, **wc;
	long na, nb, nw, nwc = 0, miss, extra, i;
	char m[128], x[128], d[400];
	double t0, t1, t2, t3;

	t0 = now_ms();
	na = kml_rw_find(start, size, fn, &a);
	t1 = now_ms();
	nb = kml_rw_find(start, size, &none, &b);
	t2 = now_ms();
	nw = whole_sweep(start, size, &w);
	t3 = now_ms();
	if (t1 - t0 > 10)
		printf("# %s: %.1f ms with the table (%zu function starts), %.1f ms the whole sweep\n",
		       what, t1 - t0, fn->n, t3 - t2);
	t->t_table += t1 - t0;
	t->t_plain += t2 - t1;
	t->t_whole += t3 - t2;
	t->sites += nw;
	t->table += na;
	t->plain += nb;

	miss = only_in(w, nw, b, nb, base, m, sizeof(m));
	extra = only_in(b, nb, w, nw, base, x, sizeof(x));
	snprintf(d, sizeof(d), " (%ld sites; missed%s; extra%s)", nw, miss ? m : " none",
		 extra ? x : " none");
	tap(na >= 0 && nb >= 0 && !miss && !extra,
	    "%s: without the unwind table, the same sites as the whole sweep", what, d);

	/* The whole sweep's sites in executable sections: the real ones. */
	wc = malloc((nw + 1) * sizeof(*wc));
	for (i = 0; i < nw; i++)
		if (ncode < 0 || in_code(w[i]))
			wc[nwc++] = w[i];
	t->data += nw - nwc;
	if (!fn->n) {
		t->untabled += nw - nwc;
		if (nw > nwc)
			printf("# %s: no unwind table, so %ld places in data are rewritten too\n",
			       what, nw - nwc);
		nwc = nw;
		memcpy(wc, w, nw * sizeof(*wc));
	}
	miss = only_in(wc, nwc, a, na, base, m, sizeof(m));
	extra = only_in(a, na, wc, nwc, base, x, sizeof(x));
	snprintf(d, sizeof(d), " (%ld of %ld; %ld in data left alone; %zu function starts; missed%s; extra%s)",
		 na, nwc, nw - nwc, fn->n, miss ? m : " none", extra ? x : " none");
	tap(!miss && !extra,
	    "%s: with the unwind table, the whole sweep's sites in executable sections and no others",
	    what, d);
	free(a);
	free(b);
	free(w);
	free(wc);
}

static void object(const char *path, struct tally *t)
{
	struct kml_rw_starts fn = { .n = 0 };
	const ElfW(Phdr) *ph;
	uint8_t *base;
	int phnum, i;

	base = load(path, &ph, &phnum);
	if (!base) {
		tap(0, "%s: mapped as an x86-64 ELF object", path, "");
		return;
	}
	for (i = 0; i < phnum; i++)
		if (ph[i].p_type == PT_GNU_EH_FRAME)
			kml_rw_starts(base + ph[i].p_vaddr, ph[i].p_memsz, &fn);
	for (i = 0; i < phnum; i++)
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X))
			segment(path, base, base + ph[i].p_vaddr, ph[i].p_filesz, &fn, t);
}

/* Sites as offsets from code, "0 7 13". */
static void offsets(uint8_t **sites, long n, const uint8_t *code, char *buf, size_t len)
{
	size_t used = 0;
	long i;

	buf[0] = 0;
	for (i = 0; i < n && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%ld", i ? " " : "",
				 (long)(sites[i] - code));
}

struct fake_fde {
	uint32_t len;
	int32_t cie, pc_begin;
	uint32_t pc_range;
};

/*
 * Byte strings with a known answer, and a fake unwind table for them: in
 * the segment (an old layout, read-only data in the executable segment)
 * or not (-z separate-code).
 */
static struct {
	uint8_t code[33];
	uint8_t pad[3];
	/* version 1, eh_frame_ptr pcrel sdata4, count udata4, datarel sdata4 */
	uint8_t hdr[4 + 4 + 4 + 2 * 8];
	struct fake_fde fde[2];
} seg = {
	.code = {
		0x0f, 0x05,			/*  0: before the functions */
		0xb8, 0x0f, 0x05, 0x00, 0x00,	/*  2: f1: mov $0x50f, %eax */
		0x0f, 0x05,			/*  7: syscall */
		0x3e, 0x0f, 0x05,		/*  9: ds syscall, as libkml's */
		0xc3,				/* 12: ret; f1 ends */
		0x0f, 0x05,			/* 13: syscall between functions */
		0xb8,				/* 15: a stray byte */
		0x48, 0xb8,			/* 16: f2: movabs, whose */
		0x0f, 0x05, 0x0f, 0x05,		/*     immediate holds four */
		0x0f, 0x05, 0x0f, 0x05,
		0x0f, 0x05,			/* 26: syscall */
		0xc3,				/* 28: ret; f2 ends */
		0x0f, 0x05, 0x0f, 0x05,		/* 29: after them */
	},
	.hdr = { 1, 0x1b, 0x03, 0x3b },
};

static void fixed_case(const char *what, size_t size, const struct kml_rw_starts *fn,
		       const char *want)
{
	char got[128], d[160];
	uint8_t **sites;
	long n = kml_rw_find(seg.code, size, fn, &sites);

	offsets(sites, n, seg.code, got, sizeof(got));
	snprintf(d, sizeof(d), ": want %s, got %s", want, got);
	tap(!strcmp(got, want), "fixed bytes, %s", what, d);
	free(sites);
}

static void fixed(void)
{
	static const int at[2][2] = { { 2, 11 }, { 16, 13 } };
	struct kml_rw_starts fn, none = { .n = 0 };
	int32_t count = 2, ent[4];
	int i;

	fixed_case("no table: one sweep from the start", sizeof(seg.code), &none,
		   "0 7 13 20 22 24 26 29 31");
	for (i = 0; i < 2; i++) {
		seg.fde[i].len = 12;
		seg.fde[i].pc_begin = (int32_t)(seg.code + at[i][0] -
						(uint8_t *)&seg.fde[i].pc_begin);
		seg.fde[i].pc_range = at[i][1];
		ent[2 * i] = (int32_t)(seg.code + at[i][0] - seg.hdr);
		ent[2 * i + 1] = (int32_t)((uint8_t *)&seg.fde[i] - seg.hdr);
	}
	memcpy(seg.hdr + 8, &count, 4);
	memcpy(seg.hdr + 12, ent, sizeof(ent));
	kml_rw_starts(seg.hdr, sizeof(seg.hdr), &fn);
	tap(fn.n == 2, "fixed bytes, %s", "the table is read", "");
	fixed_case("table outside the segment: all code, a sweep from each function start",
		   sizeof(seg.code), &fn, "0 7 13 26 29 31");
	fixed_case("table inside the segment: only from the first function's start to the last one's end",
		   sizeof(seg), &fn, "7 13 26");
	seg.hdr[3] = 0x1b;
	kml_rw_starts(seg.hdr, sizeof(seg.hdr), &fn);
	tap(fn.n == 0, "fixed bytes, %s", "a table in an encoding not handled is not used", "");
}

int main(int argc, char **argv)
{
	struct tally t = { 0 };
	int i;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &kml_cs) != CS_ERR_OK) {
		printf("not ok 1 - Capstone opens\n");
		return 1;
	}
	fixed();
	for (i = 1; i < argc; i++)
		object(argv[i], &t);
	printf("# %d objects: %ld sites by the whole sweep, %ld with the table, %ld without\n",
	       argc - 1, t.sites, t.table, t.plain);
	printf("# %ld of the whole sweep's sites are in data, %ld of them in objects without a table\n",
	       t.data, t.untabled);
	printf("# time: %.1f ms with the table, %.1f ms without, %.1f ms the whole sweep\n",
	       t.t_table, t.t_plain, t.t_whole);
	printf("1..%d\n", tap_n);
	return tap_bad ? 1 : 0;
}
