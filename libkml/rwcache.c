// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * kml-rwcache: writes the rewriter's site cache (libkml/rewrite.c,
 * /etc/kml-rewrite.cache) for a set of ELF objects.
 *
 *   kml-rwcache OUT [-I] FILE [[-I] FILE]...
 *
 * Each file is mapped as ld.so would map it and each executable segment
 * searched by kml_rw_find(), the rewriter's own search, with the file's
 * unwind table.  Objects without a GNU build ID (the cache's key) and
 * files that are no x86-64 ELF object are left out and named on stderr;
 * a program or library that is left out is searched at each exec, as
 * without a cache.  Run it again whenever one of the files changes: an
 * entry whose sites no longer hold a SYSCALL is dropped at run time,
 * but a new build's sites are only found by searching.  OUT is written
 * whole and renamed into place, mode 0644; it must be owned by root
 * (the rewriter ignores it otherwise).
 *
 * -I before a file: also write its patched copy, the whole file with
 * "call *%rax" at every site of each executable segment that the
 * rewriter can map from it (kml_rw_image_ok()), as OUT.d/<build ID in
 * hex>, mode 0644, and mark those entries KML_RWC_IMAGE.  The rewriter
 * then maps such a segment from the copy instead of patching it in
 * place, so it stays a file mapping that processes share and fork()
 * does not copy; /proc/PID/maps names the copy.  A copy is as large as
 * its file: worth it for the libraries and programs that run often.
 */
#define KML_RW_STATIC
#include "rewrite.c"

#include <elf.h>
#include <errno.h>
#include <stdio.h>

/* An ELF file, its PT_LOAD segments mapped at base + p_vaddr. */
struct kml_rwc_file {
	uint8_t *base;
	size_t span;
	const uint8_t *file;
	size_t size;
	const ElfW(Phdr) *ph;
	int phnum;
};

static void kml_rwc_unload(struct kml_rwc_file *f)
{
	if (f->base)
		munmap(f->base, f->span);
	if (f->file)
		munmap((void *)f->file, f->size);
	memset(f, 0, sizeof(*f));
}

/* 0, or -1 for a file that is not an x86-64 ELF object that maps. */
static int kml_rwc_load(const char *path, struct kml_rwc_file *f)
{
	const ElfW(Ehdr) *eh;
	const ElfW(Phdr) *ph;
	struct stat st;
	int fd, i;

	memset(f, 0, sizeof(*f));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(*eh))
		goto fail;
	f->size = st.st_size;
	f->file = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (f->file == MAP_FAILED) {
		f->file = NULL;
		goto fail;
	}
	eh = (const ElfW(Ehdr) *)f->file;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_machine != EM_X86_64 || eh->e_phentsize != sizeof(*ph) ||
	    eh->e_phoff > f->size || eh->e_phnum > (f->size - eh->e_phoff) / sizeof(*ph))
		goto fail;
	ph = (const ElfW(Phdr) *)(f->file + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_filesz > ph[i].p_memsz || ph[i].p_offset > f->size ||
		    ph[i].p_filesz > f->size - ph[i].p_offset ||
		    (ph[i].p_vaddr & 4095) != (ph[i].p_offset & 4095) ||
		    ph[i].p_vaddr + ph[i].p_memsz < ph[i].p_vaddr || ph[i].p_vaddr >= (1UL << 40))
			goto fail;
		if (ph[i].p_vaddr + ph[i].p_memsz > f->span)
			f->span = ph[i].p_vaddr + ph[i].p_memsz;
	}
	if (!f->span)
		goto fail;
	f->base = mmap(NULL, f->span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f->base == MAP_FAILED) {
		f->base = NULL;
		goto fail;
	}
	for (i = 0; i < eh->e_phnum; i++) {
		uintptr_t skew = ph[i].p_vaddr & 4095;

		if (ph[i].p_type != PT_LOAD || !ph[i].p_filesz)
			continue;
		if (mmap(f->base + ph[i].p_vaddr - skew, ph[i].p_filesz + skew, PROT_READ,
			 MAP_PRIVATE | MAP_FIXED, fd, ph[i].p_offset - skew) == MAP_FAILED)
			goto fail;
	}
	close(fd);
	f->ph = ph;
	f->phnum = eh->e_phnum;
	return 0;
fail:
	close(fd);
	kml_rwc_unload(f);
	return -1;
}

/* The entries written so far, to leave out a second copy of an object. */
static struct kml_rwc_ent *kml_rwc_keys;
static size_t kml_rwc_nkeys;

static int kml_rwc_have(const struct kml_rwc_ent *e)
{
	struct kml_rwc_ent *more;
	size_t i;

	for (i = 0; i < kml_rwc_nkeys; i++)
		if (kml_rwc_same(&kml_rwc_keys[i], e))
			return 1;
	more = realloc(kml_rwc_keys, (kml_rwc_nkeys + 1) * sizeof(*more));
	if (!more)
		return 1;
	kml_rwc_keys = more;
	kml_rwc_keys[kml_rwc_nkeys++] = *e;
	return 0;
}

/*
 * Write the patched copy of f, o's file, into dir: the file with ff d0 at
 * the sites[i][0..n[i]) of each segment i with image[i]; 0 or -1.
 */
static int kml_rwc_copy(const char *dir, const struct kml_rwc_file *f,
			const struct kml_rw_obj *o, uint8_t ***sites, const long *n,
			const int *image)
{
	char name[2 * KML_RW_ID_MAX + 1], path[4096], tmp[4096];
	uint8_t *copy = malloc(f->size);
	int i, fd, bad;
	long k;

	if (!copy)
		return -1;
	memcpy(copy, f->file, f->size);
	for (i = 0; i < o->phnum; i++) {
		const ElfW(Phdr) *ph = &o->ph[i];

		for (k = 0; image[i] && k < n[i]; k++) {
			size_t at = ph->p_offset + (size_t)(sites[i][k] - (f->base + ph->p_vaddr));

			copy[at] = 0xff;
			copy[at + 1] = 0xd0;
		}
	}
	kml_rwc_image_name(o, name);
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		free(copy);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(copy);
		return -1;
	}
	bad = write(fd, copy, f->size) != (ssize_t)f->size || fchmod(fd, 0644);
	bad |= close(fd) != 0;
	free(copy);
	if (bad || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * Append the entries of one object to out, and with dir (-I) write its
 * patched copy there; how many entries, or -1 when it is left out (why in
 * *why) or on an error.
 */
static long kml_rwc_object(const char *path, const char *dir, FILE *out, long *nsites,
			   const char **why)
{
	struct kml_rwc_file f;
	struct kml_rw_obj o;
	struct kml_rwc_ent *e = NULL;
	uint8_t ***sites = NULL;
	long *n = NULL, ret = 0;
	int *image = NULL, i, copy = 0;

	*why = "not an x86-64 ELF object";
	if (kml_rwc_load(path, &f))
		return -1;
	kml_rw_obj_init(&o, (ElfW(Addr))f.base, f.ph, f.phnum);
	*why = "no GNU build ID";
	if (!o.id) {
		kml_rwc_unload(&f);
		return -1;
	}
	*why = "out of memory or a write error";
	e = calloc(o.phnum, sizeof(*e));
	sites = calloc(o.phnum, sizeof(*sites));
	n = calloc(o.phnum, sizeof(*n));
	image = calloc(o.phnum, sizeof(*image));
	if (!e || !sites || !n || !image) {
		ret = -1;
		goto out;
	}
	for (i = 0; i < o.phnum; i++) {
		const ElfW(Phdr) *ph = &o.ph[i];

		n[i] = -1;
		if (!kml_rw_exec_segment(ph))
			continue;
		kml_rwc_key(&o, ph, &e[i]);
		if (kml_rwc_have(&e[i]))
			continue;
		n[i] = kml_rw_find(f.base + ph->p_vaddr, ph->p_filesz, &o.fn, &sites[i]);
		if (n[i] < 0) {
			ret = -1;
			goto out;
		}
		image[i] = dir && n[i] > 0 && kml_rw_image_ok(&o, i);
		copy |= image[i];
	}
	if (copy && kml_rwc_copy(dir, &f, &o, sites, n, image)) {
		*why = "its patched copy could not be written";
		ret = -1;
		goto out;
	}
	for (i = 0; i < o.phnum; i++) {
		long k;

		if (n[i] < 0)
			continue;
		e[i].nsites = (uint32_t)n[i];
		e[i].flags = image[i] ? KML_RWC_IMAGE : 0;
		fwrite(&e[i], sizeof(e[i]), 1, out);
		for (k = 0; k < n[i]; k++) {
			uint32_t at = (uint32_t)(sites[i][k] - (f.base + o.ph[i].p_vaddr));

			fwrite(&at, sizeof(at), 1, out);
		}
		*nsites += n[i];
		ret++;
	}
out:
	for (i = 0; sites && i < o.phnum; i++)
		free(sites[i]);
	free(sites);
	free(n);
	free(image);
	free(e);
	kml_rwc_unload(&f);
	return ferror(out) ? -1 : ret;
}

/*
 * Write the cache for files[0..nfiles) to path, and the patched copy of
 * each file that follows a "-I" to path.d/; 0 or -1.
 */
static int kml_rwc_write(const char *path, char **files, int nfiles, int quiet)
{
	struct kml_rwc_head h = { .magic = KML_RWC_MAGIC };
	char tmp[4096], dir[4096];
	int image = 0, images = 0;
	long nsites = 0;
	unsigned long left = kml_rw_redzone;
	FILE *out;
	int i, bad;

	kml_rwc_nkeys = 0;
	if (!kml_cs && cs_open(CS_ARCH_X86, CS_MODE_64, &kml_cs) != CS_ERR_OK)
		return -1;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp) ||
	    snprintf(dir, sizeof(dir), "%s.d", path) >= (int)sizeof(dir))
		return -1;
	out = fopen(tmp, "wbe");
	if (!out)
		return -1;
	fwrite(&h, sizeof(h), 1, out);
	for (i = 0; i < nfiles; i++) {
		const char *why;
		long n;

		if (!strcmp(files[i], "-I")) {
			image = 1;
			continue;
		}
		if (image && !images++ && mkdir(dir, 0755) && errno != EEXIST) {
			fclose(out);
			unlink(tmp);
			return -1;
		}
		n = kml_rwc_object(files[i], image ? dir : NULL, out, &nsites, &why);
		image = 0;
		if (n >= 0) {
			h.n += (uint32_t)n;
			continue;
		}
		if (!quiet)
			fprintf(stderr, "kml-rwcache: %s: left out: %s\n", files[i], why);
		if (ferror(out))
			break;
	}
	if (!ferror(out) && !fseek(out, 0, SEEK_SET))
		fwrite(&h, sizeof(h), 1, out);
	bad = ferror(out) || fchmod(fileno(out), 0644);
	bad |= fclose(out) != 0;
	if (bad || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	if (!quiet)
		fprintf(stderr, "kml-rwcache: %s: %u segments, %ld sites, %lu left alone (their function keeps data below RSP)\n",
			path, h.n, nsites, kml_rw_redzone - left);
	return 0;
}

#ifndef KML_RWC_NO_MAIN
int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: kml-rwcache OUT [-I] FILE [[-I] FILE]...\n");
		return 2;
	}
	if (kml_rwc_write(argv[1], argv + 2, argc - 2, 0)) {
		fprintf(stderr, "kml-rwcache: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	return 0;
}
#endif
