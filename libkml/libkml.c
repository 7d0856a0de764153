// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkml: the direct-call detection and a syscall() replacement.
 * See kml.h and Documentation/kml.rst, "Direct calls".
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include "kml.h"
#include "kml-page.h"

int kml_direct;
unsigned long kml_direct_limit;
unsigned long kml_direct_entry;

int kml_direct_available(void)
{
	return kml_entry_auxv() != 0;
}

unsigned long kml_direct_sled(void)
{
	if (!kml_direct_limit)
		kml_direct_limit = kml_sled_map(0);
	return kml_direct_limit;
}

__attribute__((constructor)) static void kml_init(void)
{
	kml_direct_entry = kml_entry_auxv();
	kml_direct = kml_direct_entry != 0;
}

long syscall(long number, ...)
{
	long a[6];
	long ret;
	va_list ap;
	int i;

	va_start(ap, number);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	ret = kml_syscall6(number, a[0], a[1], a[2], a[3], a[4], a[5]);
	if ((unsigned long)ret > -4096UL) {
		errno = -ret;
		return -1;
	}
	return ret;
}
