// SPDX-License-Identifier: GPL-2.0
/*
 * Exit with the CPL this program runs at: for tests that exec it.
 * "kt-probe crash" dies of SIGSEGV instead (core dump test).
 */
#include <string.h>

int main(int argc, char **argv)
{
	unsigned short cs;

	if (argc > 1 && !strcmp(argv[1], "crash"))
		*(volatile int *)(long)argc = 0;	/* address 2: SIGSEGV */
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}
