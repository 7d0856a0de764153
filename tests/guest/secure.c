// SPDX-License-Identifier: GPL-2.0
/*
 * What a program learns about how it was started, for the policy tests:
 *   kt-secure [dumpable] [sleep N]
 * prints one line "cpl=N km=N secure=N dumpable=N preload=N":
 *   cpl       its privilege level (CS & 3)
 *   km        the KernelMode: line of /proc/self/status
 *   secure    getauxval(AT_SECURE)
 *   dumpable  prctl(PR_GET_DUMPABLE)
 *   preload   1 if libkt-preload.so was loaded (LD_PRELOAD honoured)
 * "dumpable" first makes it dumpable again (PR_SET_DUMPABLE, 1); "sleep N"
 * then keeps it alive N seconds, as a target for kt-peek.  Dynamically
 * linked, so that the dynamic loader's secure mode is what is tested.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "kt.h"

/* Defined by libkt-preload.so only. */
extern int kt_preload_marker __attribute__((weak));

int main(int argc, char **argv)
{
	int i = 1;

	if (i < argc && !strcmp(argv[i], "dumpable")) {
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		i++;
	}
	printf("cpl=%d km=%d secure=%lu dumpable=%d preload=%d\n", kt_cpl(),
	       kt_kernel_mode(), getauxval(AT_SECURE),
	       prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), &kt_preload_marker != NULL);
	fflush(stdout);
	if (i + 1 < argc && !strcmp(argv[i], "sleep"))
		sleep(atoi(argv[i + 1]));
	return 0;
}
