// SPDX-License-Identifier: GPL-2.0
/* A library for kt-rewritten to dlopen(): one raw SYSCALL instruction. */
long kt_dl_getpid(void);

__asm__(".text\n"
	".globl kt_dl_getpid\n"
	".globl kt_dl_site\n"
	"kt_dl_getpid:\n\t"
	"mov $39, %eax\n"
	"kt_dl_site:\n\t"
	"syscall\n\t"
	"ret\n");
