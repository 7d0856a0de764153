/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's direct-call page at address 0 of a KML process: its last
 * 32 bytes describe it (arch/x86/kml/kml.c, struct kml_direct_header).
 * The numbers in it are hex digits, written as 0x40 + digit,
 * most significant first: the page is code, and bytes 0x40-0x4f are REX
 * prefixes, which do nothing when a call lands among them.
 */
#ifndef _KML_PAGE_H
#define _KML_PAGE_H

#include <stdint.h>
#include <sys/mman.h>

#define KML_PAGE_HEADER		0xfe0UL
#define KML_PAGE_MAGIC		"KMLDCALL"
#define KML_PAGE_VERSION	2

struct kml_page_header {
	char magic[8];
	char version[4];
	char sled[4];		/* system call numbers below this work */
	char entry[16];		/* the direct-call entry, for "call *%rcx" */
};

/* A header number in *v; 0 if a byte is not 0x40 + hex digit. */
static inline int kml_page_field(const char *f, int digits, uint64_t *v)
{
	const volatile unsigned char *b = (const volatile unsigned char *)f;
	int i;

	*v = 0;
	for (i = 0; i < digits; i++) {
		if ((b[i] & 0xf0) != 0x40)
			return 0;
		*v = *v << 4 | (b[i] & 0xf);
	}
	return 1;
}

static inline int kml_cpl0(void)
{
	unsigned short cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return (cs & 3) == 0;
}

/*
 * The header, or NULL: only at CPL 0, and only if page 0 is mapped (the
 * program may have unmapped it).  The address is computed in asm so that
 * the compiler does not treat a constant address as a null pointer.
 */
static inline const struct kml_page_header *kml_page_header(void)
{
	const struct kml_page_header *h;
	unsigned char vec;
	void *page;

	if (!kml_cpl0())
		return 0;
	__asm__("xor %k0, %k0" : "=r"(page));
	if (mincore(page, 4096, &vec))
		return 0;
	__asm__("mov %1, %0" : "=r"(h) : "i"(KML_PAGE_HEADER));
	return h;
}

/* The header carries the magic and the version this library knows. */
static inline int kml_page_valid(const struct kml_page_header *h)
{
	const volatile char *m = h->magic;
	uint64_t version;
	int i;

	for (i = 0; i < 8; i++)
		if (m[i] != KML_PAGE_MAGIC[i])
			return 0;
	return kml_page_field(h->version, 4, &version) && version == KML_PAGE_VERSION;
}

static inline int kml_page_present(void)
{
	const struct kml_page_header *h = kml_page_header();

	return h && kml_page_valid(h);
}

/*
 * Numbers below the result go through the page, and *entry is where a
 * "call *%rcx" enters directly; 0 without the page.
 */
static inline unsigned long kml_page_limit(unsigned long *entry)
{
	const struct kml_page_header *h = kml_page_header();
	uint64_t sled, e;

	if (!h || !kml_page_valid(h) || !kml_page_field(h->sled, 4, &sled) ||
	    !kml_page_field(h->entry, 16, &e))
		return 0;
	*entry = e;
	return sled;
}

#endif
