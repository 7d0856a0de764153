/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the tests that storm direct calls (direct.c, ptstop.c, spread.c): a
 * getpid call that checks what it must keep, and where in kernel text a
 * direct call can be seen from user mode.  Include once per program,
 * after kml.h.
 */
#ifndef KT_REGS_H
#define KT_REGS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The direct-call code from its first instruction to past the exit. */
#define KT_ENTRY_SPAN	512UL
#define KT_OP_JMP32	0xe9

/*
 * Kernel text, read by a program at CPL 0 at an address where it (or a
 * tracee) was just stopped or interrupted, so the CPU fetched from there.
 */
static inline const volatile unsigned char *kt_text(unsigned long ip)
{
	return (const volatile unsigned char *)ip;
}

/* In the direct-call entry, from its prologue to the exit's RET. */
static inline int kt_in_entry(unsigned long ip)
{
	return kml_direct && ip - kml_direct_entry < KT_ENTRY_SPAN;
}

/* In a landing trampoline: its guard or its jump to the entry. */
static inline int kt_is_trampoline(unsigned long ip)
{
	/* The guard before the jump (kml_direct_tramp_init()). */
	static const unsigned char guard[] = { 0x48, 0x85, 0xe4, 0x79, 0x02, 0x0f, 0x0b };
	static const unsigned int at[] = { 0, 3, 7 };	/* its TEST and JNS, the JMP */
	unsigned long start, jmp;
	unsigned int i, j;
	int32_t rel;

	for (i = 0; i < 3; i++) {
		if ((ip & 4095) < at[i])
			continue;	/* the trampolines are in the middle of a page */
		start = ip - at[i];
		jmp = start + sizeof(guard);
		for (j = 0; j < sizeof(guard) && kt_text(start)[j] == guard[j]; j++)
			;
		if (j < sizeof(guard) || kt_text(jmp)[0] != KT_OP_JMP32)
			continue;
		memcpy(&rel, (const void *)(jmp + 1), sizeof(rel));
		if (jmp + 5 + (long)rel == kml_direct_entry)
			return 1;
	}
	return 0;
}

/*
 * The GS prologue of the direct-call entry (KML_DIRECT_PROLOGUE): at
 * most KT_PROLOGUE_MAX bytes, ending where POP R11; MOV RSP to RCX; CLD
 * (the rest of the prologue, up to the stack switch) starts.
 */
#define KT_PROLOGUE_MAX	64
static const unsigned char kt_gs_done[] = { 0x41, 0x5b, 0x48, 0x89, 0xe1, 0xfc };

/* The offset of @pat in the entry's first KT_PROLOGUE_MAX bytes, or -1. */
static inline long kt_prologue_find(const unsigned char *pat, size_t len)
{
	long off;

	for (off = 0; off < (long)KT_PROLOGUE_MAX; off++)
		if (!memcmp((const void *)(kml_direct_entry + off), pat, len))
			return off;
	return -1;
}

/*
 * Distinct places in kernel text where a direct call was seen (signal
 * frames, ptrace stops), with counts.  kt_note_place() is safe in a
 * signal handler.
 */
#define KT_MAX_PLACES	256
struct kt_places {
	unsigned long ip[KT_MAX_PLACES], n[KT_MAX_PLACES];
	unsigned int count;
};

static inline void kt_note_place(volatile struct kt_places *p, unsigned long ip)
{
	unsigned int i;

	for (i = 0; i < p->count; i++)
		if (p->ip[i] == ip) {
			p->n[i]++;
			return;
		}
	if (p->count < KT_MAX_PLACES) {
		p->ip[p->count] = ip;
		p->n[p->count++] = 1;
	}
}

/*
 * Print the places as " +offset:count" from the entry, " trampoline:count"
 * or " elsewhere ip:count", and a newline; returns how many were elsewhere.
 */
static inline unsigned int kt_print_places(const volatile struct kt_places *p)
{
	unsigned int i, elsewhere = 0;

	for (i = 0; i < p->count; i++) {
		unsigned long ip = p->ip[i];

		if (kt_in_entry(ip)) {
			printf(" +%lu:%lu", ip - kml_direct_entry, p->n[i]);
		} else if (kt_is_trampoline(ip)) {
			printf(" trampoline:%lu", p->n[i]);
		} else {
			printf(" elsewhere %#lx:%lu", ip, p->n[i]);
			elsewhere++;
		}
	}
	printf("\n");
	return elsewhere;
}

/*
 * getpid through a direct call (or SYSCALL) with every register and the
 * 128 bytes below RSP set to known values; returns a bit mask of what
 * changed (bit 15: the red zone), and the result in *ret.
 */
long kt_regs_call(long direct, long *ret);
__asm__(
	".text\n"
	".globl kt_regs_call\n"
	"kt_regs_call:\n\t"
	"push %rbx\n\tpush %rbp\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n\t"
	"push %rsi\n\t"				/* ret pointer */
	"movabs $0x3c3c5a5aa5a5c3c3, %rax\n\t"
	"mov $-128, %rcx\n"
	"1:\tmov %rax, (%rsp,%rcx)\n\t"
	"add $8, %rcx\n\t"
	"jnz 1b\n\t"
	"mov %rdi, %r11\n\t"			/* direct? */
	"mov $0x1111, %rbx\n\tmov $0x2222, %rbp\n\tmov $0x3333, %r12\n\t"
	"mov $0x4444, %r13\n\tmov $0x5555, %r14\n\tmov $0x6666, %r15\n\t"
	"mov $0x7777, %rdi\n\tmov $0x8888, %rsi\n\tmov $0x9999, %rdx\n\t"
	"mov $0xaaaa, %r8\n\tmov $0xbbbb, %r9\n\tmov $0xcccc, %r10\n\t"
	"mov $39, %eax\n\t"			/* getpid */
	"test %r11, %r11\n\t"
	"jz 2f\n\t"
	"lea -128(%rsp), %rsp\n\t"
	"call *%rax\n\t"
	"lea 128(%rsp), %rsp\n\t"
	"jmp 3f\n"
	"2:\tsyscall\n"
	"3:\tmov (%rsp), %rcx\n\t"
	"mov %rax, (%rcx)\n\t"
	"xor %eax, %eax\n\t"
	"cmp $0x1111, %rbx\n\tjz 4f\n\tor $1, %eax\n4:\t"
	"cmp $0x2222, %rbp\n\tjz 4f\n\tor $2, %eax\n4:\t"
	"cmp $0x3333, %r12\n\tjz 4f\n\tor $4, %eax\n4:\t"
	"cmp $0x4444, %r13\n\tjz 4f\n\tor $8, %eax\n4:\t"
	"cmp $0x5555, %r14\n\tjz 4f\n\tor $16, %eax\n4:\t"
	"cmp $0x6666, %r15\n\tjz 4f\n\tor $32, %eax\n4:\t"
	"cmp $0x7777, %rdi\n\tjz 4f\n\tor $64, %eax\n4:\t"
	"cmp $0x8888, %rsi\n\tjz 4f\n\tor $128, %eax\n4:\t"
	"cmp $0x9999, %rdx\n\tjz 4f\n\tor $256, %eax\n4:\t"
	"cmp $0xaaaa, %r8\n\tjz 4f\n\tor $512, %eax\n4:\t"
	"cmp $0xbbbb, %r9\n\tjz 4f\n\tor $1024, %eax\n4:\t"
	"cmp $0xcccc, %r10\n\tjz 4f\n\tor $2048, %eax\n4:\t"
	"movabs $0x3c3c5a5aa5a5c3c3, %rdx\n\t"
	"mov $-128, %rcx\n"
	"5:\tcmp %rdx, (%rsp,%rcx)\n\t"
	"jz 6f\n\t"
	"or $0x8000, %eax\n"
	"6:\tadd $8, %rcx\n\t"
	"jnz 5b\n\t"
	"pop %rsi\n\t"
	"pop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %rbp\n\tpop %rbx\n\t"
	"ret\n");

#endif /* KT_REGS_H */
