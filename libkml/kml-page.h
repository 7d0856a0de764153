/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's direct-call page at address 0 of a KML process: its last
 * 16 bytes describe it (arch/x86/kml/kml.c, struct kml_direct_header).
 */
#ifndef _KML_PAGE_H
#define _KML_PAGE_H

#include <stdint.h>
#include <sys/mman.h>

#define KML_PAGE_HEADER		0xff0UL
#define KML_PAGE_MAGIC		"KMLDCALL"
#define KML_PAGE_VERSION	1

struct kml_page_header {
	char magic[8];
	uint32_t version;
	uint32_t sled;		/* system call numbers below this work */
};

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

static inline int kml_page_present(void)
{
	const struct kml_page_header *h = kml_page_header();
	const volatile char *m;
	int i;

	if (!h)
		return 0;
	m = h->magic;
	for (i = 0; i < 8; i++)
		if (m[i] != KML_PAGE_MAGIC[i])
			return 0;
	return h->version == KML_PAGE_VERSION;
}

#endif
