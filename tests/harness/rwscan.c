// SPDX-License-Identifier: GPL-2.0
/*
 * Host check of the rewriter's search for SYSCALL sites (libkml/rewrite.c,
 * kml_rw_find()): it decodes only around the bytes 0f 05, from the start
 * of the function that holds them.  The reference here is what the
 * rewriter did before, a linear sweep of the whole executable segment.
 * And of its site cache (kml-rwcache, libkml/rwcache.c).
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
 * the whole sweep, and its sites in data are reported.  Then a cache
 * written by kml-rwcache for all the objects must give, for every
 * segment of an object with a build ID, exactly the search's sites.  Plus
 * fixed byte strings with a known answer, and caches the rewriter must
 * not use (writable by others, not root's, a symlink, a bad header) or
 * entries it must drop (a site that holds no 0f 05, out of order, past
 * the end of the file).  And the patched copies (kml-rwcache -I, before
 * every other object): a segment is marked as having one exactly when
 * its object came with -I, it has sites and the rewriter may map it from
 * a copy; each copy is its file with ff d0 at exactly the cached sites;
 * the layouts a copy must not be used for, and a directory of copies
 * that others may write, are refused.  Prints TAP.
 */
#define KML_RWC_NO_MAIN
#include "../../libkml/rwcache.c"

#include <elf.h>
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

/* The executable sections of f (ncode -1: no section headers). */
static void sections(const struct kml_rwc_file *f)
{
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)f->file;
	int i;

	ncode = -1;
	if (!eh->e_shoff || eh->e_shentsize != sizeof(ElfW(Shdr)) ||
	    eh->e_shoff + eh->e_shnum * sizeof(ElfW(Shdr)) > f->size)
		return;
	ncode = 0;
	for (i = 0; i < eh->e_shnum && ncode < MAX_CODE; i++) {
		const ElfW(Shdr) *sh = (const ElfW(Shdr) *)(f->file + eh->e_shoff) + i;

		if (!(sh->sh_flags & SHF_EXECINSTR) || !sh->sh_addr)
			continue;
		code_lo[ncode] = f->base + sh->sh_addr;
		code_hi[ncode++] = f->base + sh->sh_addr + sh->sh_size;
	}
}

/* Sites the search left alone for the red zone (kml_rw_left), ascending. */
static uint8_t *left[4096];
static long nleft;

static void note_left(uint8_t *site)
{
	if (nleft < (long)(sizeof(left) / sizeof(left[0])))
		left[nleft++] = site;
}

/* a and b merged (both ascending, disjoint) into a new array. */
static uint8_t **merged(uint8_t **a, long na, uint8_t **b, long nb)
{
	uint8_t **m = malloc((na + nb + 1) * sizeof(*m));
	long i = 0, j = 0, k = 0;

	while (i < na || j < nb)
		m[k++] = j >= nb || (i < na && a[i] < b[j]) ? a[i++] : b[j++];
	return m;
}

struct tally {
	long redzone;
	long sites, table, plain, data, untabled, cached, noid;
	double t_table, t_plain, t_whole;
};

/* Compare the three searches on one segment. */
static void segment(const char *what, const uint8_t *base, const uint8_t *start, size_t size,
		    const struct kml_rw_starts *fn, struct tally *t)
{
	struct kml_rw_starts none = { .n = 0 };
	uint8_t **a, **b, **w, **wc, **al;
	long na, nb, nw, nwc = 0, miss, extra, i;
	char m[128], x[128], d[400];
	double t0, t1, t2, t3;

	nleft = 0;
	kml_rw_left = note_left;
	t0 = now_ms();
	na = kml_rw_find(start, size, fn, &a);
	t1 = now_ms();
	kml_rw_left = NULL;
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
	/* The sites left alone for the red zone count as found here. */
	t->redzone += nleft;
	al = merged(a, na, left, nleft);
	miss = only_in(wc, nwc, al, na + nleft, base, m, sizeof(m));
	extra = only_in(al, na + nleft, wc, nwc, base, x, sizeof(x));
	snprintf(d, sizeof(d), " (%ld of %ld, %ld more left alone: red zone; %ld in data left alone; %zu function starts; missed%s; extra%s)",
		 na, nwc, nleft, nw - nwc, fn->n, miss ? m : " none", extra ? x : " none");
	tap(!miss && !extra,
	    "%s: with the unwind table, the whole sweep's sites in executable sections and no others",
	    what, d);
	free(al);
	free(a);
	free(b);
	free(w);
	free(wc);
}

static void object(const char *path, struct tally *t)
{
	struct kml_rwc_file f;
	struct kml_rw_obj o;
	int i;

	if (kml_rwc_load(path, &f)) {
		tap(0, "%s: mapped as an x86-64 ELF object", path, "");
		return;
	}
	sections(&f);
	kml_rw_obj_init(&o, (ElfW(Addr))f.base, f.ph, f.phnum);
	for (i = 0; i < f.phnum; i++)
		if (kml_rw_exec_segment(&f.ph[i]))
			segment(path, f.base, f.base + f.ph[i].p_vaddr, f.ph[i].p_filesz, &o.fn, t);
	kml_rwc_unload(&f);
}

/*
 * With a cache written for all of them: each segment of an object with a
 * build ID gives from the cache exactly the sites of the search.
 */
static void cached(char **files, int nfiles, const char *dir, struct tally *t)
{
	char path[4096];
	int i, k;

	snprintf(path, sizeof(path), "%s/rwscan.cache", dir);
	kml_rwc_path = path;
	tap(!kml_rwc_write(path, files, nfiles, 1), "%s", "kml-rwcache writes a cache", "");
	kml_rwc_open();
	tap(kml_rwc != NULL, "%s", "the rewriter opens it", "");
	for (i = 0; i < nfiles; i++) {
		struct kml_rwc_file f;
		struct kml_rw_obj o;
		char d[400];

		if (kml_rwc_load(files[i], &f))
			continue;
		kml_rw_obj_init(&o, (ElfW(Addr))f.base, f.ph, f.phnum);
		for (k = 0; k < f.phnum; k++) {
			const ElfW(Phdr) *ph = &f.ph[k];
			uint8_t *start = f.base + ph->p_vaddr, **a, **c;
			long na, nc, miss, extra;
			char m[128], x[128];

			if (!kml_rw_exec_segment(ph))
				continue;
			na = kml_rw_find(start, ph->p_filesz, &o.fn, &a);
			nc = kml_rwc_sites(&o, ph, start, ph->p_filesz, &c);
			if (!o.id) {
				t->noid++;
				tap(nc == -1, "%s: no build ID, so not in the cache", files[i], "");
			} else {
				miss = only_in(a, na, c, nc, f.base, m, sizeof(m));
				extra = only_in(c, nc, a, na, f.base, x, sizeof(x));
				snprintf(d, sizeof(d), " (%ld of %ld; missed%s; extra%s)", nc, na,
					 miss ? m : " none", extra ? x : " none");
				tap(nc == na && !miss && !extra,
				    "%s: from the cache, the search's sites", files[i], d);
				t->cached += nc;
			}
			free(a);
			free(c);
		}
		kml_rwc_unload(&f);
	}
	munmap((void *)kml_rwc, kml_rwc_size);
	kml_rwc = NULL;
	unlink(path);
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

/* Open path as the rewriter would, after dropping the cache before. */
static void reopen(const char *path)
{
	if (kml_rwc)
		munmap((void *)kml_rwc, kml_rwc_size);
	kml_rwc = NULL;
	kml_rwc_path = path;
	kml_rwc_open();
}

/*
 * A cache of one entry for seg.code: id 01 02 03 04, p_vaddr 0x1000; its
 * header counts "entries" of them.
 */
static uint32_t entries = 1;

static void write_cache(const char *path, const char *magic, uint32_t claimed,
			const uint32_t *at, uint32_t n, mode_t mode)
{
	struct kml_rwc_head h = { .n = entries };
	struct kml_rwc_ent e = { .id = { 1, 2, 3, 4 }, .idlen = 4, .nsites = claimed,
				 .vaddr = 0x1000, .filesz = sizeof(seg.code) };
	FILE *out;

	memcpy(h.magic, magic, sizeof(h.magic));
	unlink(path);
	out = fopen(path, "wb");
	if (!out)
		return;
	fwrite(&h, sizeof(h), 1, out);
	fwrite(&e, sizeof(e), 1, out);
	fwrite(at, sizeof(*at), n, out);
	fclose(out);
	chmod(path, mode);
}

static void cache_case(const char *what, const char *path, const struct kml_rw_obj *o,
		       size_t filesz, const char *want)
{
	ElfW(Phdr) ph = { .p_type = PT_LOAD, .p_flags = PF_X, .p_vaddr = 0x1000,
			  .p_filesz = filesz };
	char got[128], d[160];
	uint8_t **sites;
	long n;

	reopen(path);
	n = kml_rwc_sites(o, &ph, seg.code, sizeof(seg.code), &sites);
	if (n < 0)
		snprintf(got, sizeof(got), "none");
	else
		offsets(sites, n, seg.code, got, sizeof(got));
	snprintf(d, sizeof(d), ": want %s, got %s", want, got);
	tap(!strcmp(got, want), "cache, %s", what, d);
	free(sites);
}

static void fixed_cache(const char *dir)
{
	static const uint32_t good[] = { 7, 13, 26 }, inside[] = { 7, 14 },
			      down[] = { 13, 7 }, past[] = { 32 };
	static const uint8_t id[4] = { 1, 2, 3, 4 }, other[4] = { 1, 2, 3, 5 };
	struct kml_rw_obj o = { .id = id, .idlen = 4 }, o2 = { .id = other, .idlen = 4 };
	char path[4096], link[4200];

	snprintf(path, sizeof(path), "%s/rwscan-fixed.cache", dir);
	snprintf(link, sizeof(link), "%s.link", path);
	write_cache(path, KML_RWC_MAGIC, 3, good, 3, 0644);
	cache_case("an entry for these bytes gives its sites", path, &o, sizeof(seg.code), "7 13 26");
	cache_case("another build ID is not found", path, &o2, sizeof(seg.code), "none");
	cache_case("another segment size is not found", path, &o, sizeof(seg.code) - 1, "none");
	write_cache(path, KML_RWC_MAGIC, 2, inside, 2, 0644);
	cache_case("an entry with a site that holds no 0f 05 is dropped", path, &o,
		   sizeof(seg.code), "none");
	write_cache(path, KML_RWC_MAGIC, 2, down, 2, 0644);
	cache_case("an entry with sites out of order is dropped", path, &o, sizeof(seg.code), "none");
	write_cache(path, KML_RWC_MAGIC, 1, past, 1, 0644);
	cache_case("an entry with a site past the segment is dropped", path, &o,
		   sizeof(seg.code), "none");
	/* The page past the end of the file reads as 0: a site at seg.code. */
	write_cache(path, KML_RWC_MAGIC, 1, good, 0, 0644);
	cache_case("an entry longer than the file is dropped", path, &o, sizeof(seg.code), "none");

	entries = 1 << 20;
	write_cache(path, KML_RWC_MAGIC, 3, good, 3, 0644);
	cache_case("a header that counts more entries than the file holds is safe", path, &o2,
		   sizeof(seg.code), "none");
	entries = 1;

	write_cache(path, "KMLRWC0", 3, good, 3, 0644);
	reopen(path);
	tap(!kml_rwc, "cache, %s", "a file with another magic is not used", "");
	write_cache(path, KML_RWC_MAGIC, 3, good, 3, 0664);
	reopen(path);
	tap(!kml_rwc, "cache, %s", "a file its group may write is not used", "");
	write_cache(path, KML_RWC_MAGIC, 3, good, 3, 0646);
	reopen(path);
	tap(!kml_rwc, "cache, %s", "a file anyone may write is not used", "");
	write_cache(path, KML_RWC_MAGIC, 3, good, 3, 0644);
	unlink(link);
	if (symlink(path, link) == 0) {
		reopen(link);
		tap(!kml_rwc, "cache, %s", "a symbolic link is not followed", "");
		unlink(link);
	}
	if (geteuid() == 0 && chown(path, 65534, 65534) == 0) {
		reopen(path);
		tap(!kml_rwc, "cache, %s", "a file that is not root's is not used", "");
	} else {
		reopen(path);
		tap(!kml_rwc, "cache, %s", "a file that is not root's is not used", " (run as non-root)");
	}
	reopen("/nonexistent/kml-rewrite.cache");
	unlink(path);
}

/* Whether the copy at path is f's file with ff d0 at exactly the sites of the image segments. */
static int copy_matches(const char *path, const struct kml_rwc_file *f, const struct kml_rw_obj *o,
			const int *image, char *why, size_t len)
{
	uint8_t *want = malloc(f->size), *got = malloc(f->size + 1);
	int fd = open(path, O_RDONLY), i, ok = 0;
	struct kml_rwc_ent e;
	struct stat st;
	ssize_t n = -1;

	snprintf(why, len, "cannot be read");
	if (want && got && fd >= 0 && !fstat(fd, &st))
		n = read(fd, got, f->size + 1);
	if (n == (ssize_t)f->size && (st.st_mode & 07777) == 0644) {
		memcpy(want, f->file, f->size);
		for (i = 0; i < o->phnum; i++) {
			size_t off = image[i] ? kml_rwc_lookup(o, &o->ph[i], &e) : 0;
			uint32_t k, at;

			for (k = 0; off && k < e.nsites; k++) {
				memcpy(&at, kml_rwc + off + 4 * (size_t)k, sizeof(at));
				at += o->ph[i].p_offset;
				if (want[at] != 0x0f || want[at + 1] != 0x05)
					break;
				want[at] = 0xff;
				want[at + 1] = 0xd0;
			}
		}
		ok = !memcmp(want, got, f->size);
		snprintf(why, len, "differs from the file patched at the sites");
	} else if (n >= 0) {
		snprintf(why, len, "has %zd bytes, mode %o", n, (unsigned int)(st.st_mode & 07777));
	}
	if (fd >= 0)
		close(fd);
	free(want);
	free(got);
	return ok;
}

/*
 * kml-rwcache -I before every other file: where the cache marks a
 * segment KML_RWC_IMAGE, and what the copies hold.
 */
static void imaged(char **files, int nfiles, const char *dir)
{
	char path[4096], cdir[4200], copy[4400], name[2 * KML_RW_ID_MAX + 1], why[128], d[600];
	char **args = calloc(2 * (size_t)nfiles + 1, sizeof(*args)), **seen = calloc(nfiles + 1, sizeof(*seen));
	int i, k, n = 0, nseen = 0, copies = 0, marks = 0, badmark = 0, badcopy = 0;

	if (!args || !seen)
		return;
	for (i = 0; i < nfiles; i++) {
		if (i % 2 == 0)
			args[n++] = "-I";
		args[n++] = files[i];
	}
	snprintf(path, sizeof(path), "%s/rwscan-image.cache", dir);
	snprintf(cdir, sizeof(cdir), "%s.d", path);
	kml_rwc_path = path;
	tap(!kml_rwc_write(path, args, n, 1), "%s", "kml-rwcache -I writes a cache and copies", "");
	kml_rwc_open();
	d[0] = 0;
	for (i = 0; i < nfiles; i++) {
		struct kml_rwc_file f;
		struct kml_rw_obj o;
		int image[64] = { 0 }, any = 0, dup = 0, j;

		if (kml_rwc_load(files[i], &f))
			continue;
		kml_rw_obj_init(&o, (ElfW(Addr))f.base, f.ph, f.phnum);
		if (o.id) {
			kml_rwc_image_name(&o, name);
			for (j = 0; j < nseen; j++)
				dup |= !strcmp(seen[j], name);
		}
		if (!o.id || dup || o.phnum > 64) {
			kml_rwc_unload(&f);
			continue;
		}
		seen[nseen++] = strdup(name);
		for (k = 0; k < o.phnum; k++) {
			struct kml_rwc_ent e;
			int want;

			if (!kml_rw_exec_segment(&o.ph[k]) || !kml_rwc_lookup(&o, &o.ph[k], &e))
				continue;
			want = i % 2 == 0 && e.nsites > 0 && kml_rw_image_ok(&o, k);
			image[k] = !!(e.flags & KML_RWC_IMAGE);
			any |= image[k];
			marks += image[k];
			if (image[k] != want && !badmark++)
				snprintf(d, sizeof(d), " (first wrong: %s segment %d: %d, want %d)",
					 files[i], k, image[k], want);
		}
		snprintf(copy, sizeof(copy), "%s/%s", cdir, name);
		if (any) {
			copies++;
			if (!copy_matches(copy, &f, &o, image, why, sizeof(why)) && !badcopy++)
				tap(0, "%s: its patched copy", files[i], why);
		} else if (access(copy, F_OK) == 0 && !badcopy++) {
			tap(0, "%s: a copy without a marked segment", files[i], "");
		}
		unlink(copy);
		kml_rwc_unload(&f);
	}
	tap(!badmark && marks > 0, "%s", "copies are marked for exactly the -I objects' segments that have sites and may be mapped", d);
	snprintf(d, sizeof(d), " (%d copies, %d wrong)", copies, badcopy);
	tap(!badcopy && copies > 0, "%s", "each copy is its file with ff d0 at exactly the cached sites", d);

	chmod(cdir, 0775);
	kml_rwc_dir_fd = -1;
	tap(kml_rwc_dir() < 0, "%s", "a directory of copies its group may write is not used", "");
	chmod(cdir, 0755);
	tap(kml_rwc_dir() >= 0 || geteuid() != 0, "%s", "one only root may write is", "");
	if (kml_rwc_dir_fd >= 0)
		close(kml_rwc_dir_fd);
	kml_rwc_dir_fd = -1;
	rmdir(cdir);
	munmap((void *)kml_rwc, kml_rwc_size);
	kml_rwc = NULL;
	unlink(path);
	for (i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	free(args);
}

/* Layouts a segment must not be mapped from a copy in (kml_rw_image_ok()). */
static void image_layouts(void)
{
	ElfW(Phdr) ph[2] = {
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_vaddr = 0x1000, .p_offset = 0x1000,
		  .p_filesz = 0x1800, .p_memsz = 0x1800 },
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_vaddr = 0x3000, .p_offset = 0x3000,
		  .p_filesz = 0x100, .p_memsz = 0x100 },
	};
	struct kml_rw_obj o = { .ph = ph, .phnum = 2 };

	tap(kml_rw_image_ok(&o, 0), "copies, %s", "text with pages of its own may be mapped from one", "");
	tap(!kml_rw_image_ok(&o, 1), "copies, %s", "data may not", "");
	ph[1].p_vaddr = ph[1].p_offset = 0x2900;
	tap(!kml_rw_image_ok(&o, 0), "copies, %s", "nor text whose last page holds data", "");
	ph[1].p_vaddr = ph[1].p_offset = 0x3000;
	ph[0].p_memsz = 0x2000;
	tap(!kml_rw_image_ok(&o, 0), "copies, %s", "nor text longer in memory than in the file", "");
	ph[0].p_memsz = 0x1800;
	o.textrel = 1;
	tap(!kml_rw_image_ok(&o, 0), "copies, %s", "nor the text of an object with text relocations", "");
}

int main(int argc, char **argv)
{
	struct tally t = { 0 };
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	int i;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &kml_cs) != CS_ERR_OK) {
		printf("not ok 1 - Capstone opens\n");
		return 1;
	}
	fixed();
	fixed_cache(dir);
	for (i = 1; i < argc; i++)
		object(argv[i], &t);
	cached(argv + 1, argc - 1, dir, &t);
	image_layouts();
	imaged(argv + 1, argc - 1, dir);
	printf("# %d objects: %ld sites by the whole sweep, %ld with the table, %ld without\n",
	       argc - 1, t.sites, t.table, t.plain);
	printf("# %ld sites left alone with the table: their function keeps data below RSP\n",
	       t.redzone);
	printf("# %ld of the whole sweep's sites are in data, %ld of them in objects without a table\n",
	       t.data, t.untabled);
	printf("# time: %.1f ms with the table, %.1f ms without, %.1f ms the whole sweep\n",
	       t.t_table, t.t_plain, t.t_whole);
	printf("# cache: %ld sites; %ld segments of objects without a build ID left to the search\n",
	       t.cached, t.noid);
	printf("1..%d\n", tap_n);
	return tap_bad ? 1 : 0;
}
