// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of the cost classifier (insn-class.h): the assembler encodes
 * one or more instances of every class, and look-alikes that belong to
 * none, and each must get its class.  The instructions are never run,
 * only decoded.  TAP output; exit status 0 iff all are right and every
 * class was tried at least once.
 */
#include <stdio.h>
#include <string.h>
#include "insn-class.h"

struct probe {
	const char *text;
	const unsigned char *start, *end;
	enum kml_cost_class want;
};

/*
 * T(id, class, "instruction"): assembles the instruction between the
 * labels t_<id> and t_<id>_end, in a section that is never executed.
 */
#define T(id, cls, insn)						\
	extern const unsigned char t_##id[], t_##id##_end[];		\
	__asm__(".pushsection .rodata.probes, \"a\"\n"			\
		"t_" #id ": " insn "\n"					\
		"t_" #id "_end:\n"					\
		".popsection\n");
#define PROBES(X)							\
	X(syscall, syscall, "syscall")					\
	X(sysret, sysret, "sysretq")					\
	X(sysret32, sysret, "sysretl")					\
	X(sysenter, sysenter, "sysenter")				\
	X(sysexit, sysenter, "sysexitq")				\
	X(iretq, iret, "iretq")						\
	X(iretl, iret, "iretl")						\
	X(lretq, farret, "lretq")					\
	X(lret_imm, farret, "lretq $8")					\
	X(ljmp, farjmp, "rex64 ljmp *(%rax)")				\
	X(ljmp32, farjmp, "ljmp *8(%rsp)")				\
	X(lcall, farcall, "lcall *(%rbx)")				\
	X(swapgs, swapgs, "swapgs")					\
	X(movcr3, movcr3, "mov %rax, %cr3")				\
	X(movcr3_r9, movcr3, "mov %r9, %cr3")				\
	X(movcr4, movcr, "mov %rdi, %cr4")				\
	X(movcr0, movcr, "mov %rax, %cr0")				\
	X(movcr8, movcr, "mov %rax, %cr8")				\
	X(rdcr3, rdcr, "mov %cr3, %rax")				\
	X(rdcr4, rdcr, "mov %cr4, %r11")				\
	X(movdr7, movdr, "mov %rax, %db7")				\
	X(rddr6, movdr, "mov %db6, %rax")				\
	X(wrmsr, wrmsr, "wrmsr")					\
	X(rdmsr, rdmsr, "rdmsr")					\
	X(lidt, lidt, "lidt (%rax)")					\
	X(lidt_rip, lidt, "lidt 0x1234(%rip)")				\
	X(lgdt, lgdt, "lgdt 8(%rsp)")					\
	X(ltr, ltr, "ltr %ax")						\
	X(lldt, ltr, "lldt %dx")					\
	X(verw_mem, verw, "verw 0x10(%rip)")				\
	X(verw_reg, verw, "verw %ax")					\
	X(verr, verw, "verr %cx")					\
	X(lfence, lfence, "lfence")					\
	X(mfence, mfence, "mfence")					\
	X(sfence, mfence, "sfence")					\
	X(cli, cli, "cli")						\
	X(sti, sti, "sti")						\
	X(popfq, popf, "popfq")						\
	X(popfw, popf, "popfw")						\
	X(pushfq, pushf, "pushfq")					\
	X(wrgsbase, wrgsbase, "wrgsbase %r11")				\
	X(wrgsbase32, wrgsbase, "wrgsbase %eax")			\
	X(rdgsbase, rdgsbase, "rdgsbase %rax")				\
	X(wrfsbase, wrfsbase, "wrfsbase %rdi")				\
	X(rdfsbase, rdfsbase, "rdfsbase %r12")				\
	X(lsl, lsl, "lsl %r11, %r11")					\
	X(lsl32, lsl, "lsl %ax, %eax")					\
	X(lar, lar, "lar %ax, %eax")					\
	X(rdpid, rdpid, "rdpid %rax")					\
	X(rdpid_r11, rdpid, "rdpid %r11")				\
	X(rdtsc, rdtsc, "rdtsc")					\
	X(rdtscp, rdtsc, "rdtscp")					\
	X(rdpmc, rdtsc, "rdpmc")					\
	X(cpuid, cpuid, "cpuid")					\
	X(int80, intn, "int $0x80")					\
	X(int58, intn, "int $0x58")					\
	X(int3, int3, "int3")						\
	X(int1, int3, "int1")						\
	X(ud2, int3, "ud2")						\
	X(stac, stac, "stac")						\
	X(clac, stac, "clac")						\
	X(movgs, movseg, "mov %ax, %gs")				\
	X(movss, movseg, "mov %ax, %ss")				\
	X(movds_mem, movseg, "mov (%rax), %ds")				\
	X(popfs, movseg, "pop %fs")					\
	X(popgs, movseg, "pop %gs")					\
	X(xsave, xsave, "xsave (%rdi)")					\
	X(xsave64, xsave, "xsave64 (%rdi)")				\
	X(xsaveopt, xsave, "xsaveopt (%rdi)")				\
	X(xsavec, xsave, "xsavec (%rdi)")				\
	X(xsaves, xsave, "xsaves64 (%rdi)")				\
	X(fxsave, xsave, "fxsave (%rdi)")				\
	X(xrstor, xrstor, "xrstor (%rdi)")				\
	X(xrstors, xrstor, "xrstors64 (%rdi)")				\
	X(fxrstor, xrstor, "fxrstor64 (%rdi)")				\
	X(lock_add, locked, "lock addl $1, (%rax)")			\
	X(lock_cmpxchg, locked, "lock cmpxchg %rcx, (%rdi)")		\
	X(lock_xadd, locked, "lock xadd %eax, 4(%rdi)")			\
	X(lock_bts, locked, "lock btsq $3, (%rdi)")			\
	X(lock_cmpxchg16b, locked, "lock cmpxchg16b (%rdi)")		\
	X(xchg_mem, locked, "xchg %rax, (%rdi)")			\
	X(invlpg, invlpg, "invlpg (%rax)")				\
	X(invpcid, invlpg, "invpcid (%rax), %rcx")			\
	X(hlt, hlt, "hlt")						\
	X(mwait, hlt, "mwait")						\
	X(inb, io, "inb $0x80, %al")					\
	X(outb, io, "outb %al, %dx")					\
	X(outsb, io, "outsb")						\
	X(wrpkru, wrpkru, "wrpkru")					\
	X(wbinvd, serialize, "wbinvd")					\
	X(serialize, serialize, ".byte 0x0f, 0x01, 0xe8")		\
	X(rep_movsb, rep1, "rep movsb")					\
	X(rep_stosb, rep1, "rep stosb")					\
	X(rep_movsq, repw, "rep movsq")					\
	X(rep_stosl, repw, "rep stosl")					\
	X(rep_movsw, repw, "rep movsw")					\
	X(repe_cmpsb, repscan, "repe cmpsb")				\
	X(repne_scasb, repscan, "repne scasb")				\
	X(rep_lodsq, repscan, "rep lodsq")				\
	/* look-alikes: no class */					\
	X(nop, plain, "nop")						\
	X(nopl, plain, "nopl 0x0(%rax,%rax,1)")				\
	X(mark_b, plain, ".byte 0x0f,0x1f,0x84,0x00,0x4b,0x4d,0x4c,0x42")	\
	X(ret, plain, "ret")						\
	X(ret_imm, plain, "ret $8")					\
	X(call_ind, plain, "call *%rax")				\
	X(call_mem, plain, "call *(%rax)")				\
	X(jmp_mem, plain, "jmp *8(%rax)")				\
	X(jmp_reg, plain, "jmp *%r11")					\
	X(push_mem, plain, "push (%rax)")				\
	X(inc_mem, plain, "incl (%rax)")				\
	X(xchg_reg, plain, "xchg %rax, %rbx")				\
	X(cmpxchg_nolock, plain, "cmpxchg %rcx, (%rdi)")		\
	X(movq_gs, plain, "mov %gs:0x10, %rax")				\
	X(mov_from_gs, plain, "mov %gs, %ax")				\
	X(sgdt, plain, "sgdt (%rax)")					\
	X(sidt, plain, "sidt (%rax)")					\
	X(str, plain, "str %ax")					\
	X(sldt, plain, "sldt %ax")					\
	X(xgetbv, plain, "xgetbv")					\
	X(rdrand, plain, "rdrand %rax")					\
	X(rdseed, plain, "rdseed %rax")					\
	X(clflush, plain, "clflush (%rax)")				\
	X(ldmxcsr, plain, "ldmxcsr (%rax)")				\
	X(rdpkru, plain, "rdpkru")					\
	X(pause, plain, "pause")					\
	X(vex_lfence_like, plain, "vpaddd %ymm1, %ymm2, %ymm3")		\
	X(evex, plain, "vpaddd %zmm1, %zmm2, %zmm3")			\
	X(movsb_norep, plain, "movsb")					\
	X(stosq_norep, plain, "stosq")					\
	X(rep_ret, plain, "rep ret")					\
	X(fs_prefix_mov, plain, "mov %fs:(%rax), %rcx")			\
	X(cs_prefix_call, plain, "cs call *%rax")			\
	X(pushfq_not_popf, pushf, "pushfq")				\
	X(endbr64, plain, "endbr64")					\
	X(crc32, plain, "crc32q %rax, %rbx")				\
	X(movbe, plain, "movbe (%rax), %rcx")				\
	X(no_f3_0fae, plain, ".byte 0x0f, 0xae, 0xd8")

PROBES(T)

#define ENTRY(id, cls, insn) { #id ": " insn, t_##id, t_##id##_end, KC_##cls },
static const struct probe probes[] = { PROBES(ENTRY) };

int main(void)
{
	int seen[KC_NR] = { 0 };
	int n = 0, bad = 0;
	size_t i;
	int c;

	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		const struct probe *p = &probes[i];
		enum kml_cost_class got = kml_insn_class(p->start, p->end - p->start);

		seen[p->want]++;
		n++;
		if (got == p->want) {
			printf("ok %d - %s: %s\n", n, p->text, kml_cost_class_name[got]);
		} else {
			bad++;
			printf("not ok %d - %s: %s, want %s\n", n, p->text,
			       kml_cost_class_name[got], kml_cost_class_name[p->want]);
		}
	}
	/* The markers are recognised as markers, and only them. */
	n++;
	if (kml_insn_mark(t_mark_b, t_mark_b_end - t_mark_b) == 1 &&
	    kml_insn_mark(kml_mark_end, KML_MARK_LEN) == 2 &&
	    !kml_insn_mark(t_nopl, t_nopl_end - t_nopl) &&
	    !kml_insn_mark(kml_mark_end, KML_MARK_LEN - 1)) {
		printf("ok %d - markers\n", n);
	} else {
		bad++;
		printf("not ok %d - markers\n", n);
	}
	/*
	 * A REP string instruction's steps (kml_rep_step()): the first is
	 * KC_repstr, a step right after it at the same address a further
	 * one; another address, or anything run in between, starts anew.
	 */
	{
		struct kml_rep_state st = { 0, 0 };
		enum kml_cost_class got[6];

		got[0] = kml_rep_step(&st, 0x1000, 10, KC_rep1);	/* first */
		got[1] = kml_rep_step(&st, 0x1000, 11, KC_rep1);	/* its own TB */
		got[2] = kml_rep_step(&st, 0x1000, 12, KC_rep1);
		got[3] = kml_rep_step(&st, 0x1000, 14, KC_rep1);	/* one ran between */
		got[4] = kml_rep_step(&st, 0x2000, 15, KC_repw);	/* another one */
		got[5] = kml_rep_step(&st, 0x2000, 16, KC_repw);
		n++;
		seen[KC_repstr] += got[0] == KC_repstr;
		if (got[0] == KC_repstr && got[1] == KC_rep1 && got[2] == KC_rep1 &&
		    got[3] == KC_repstr && got[4] == KC_repstr && got[5] == KC_repw) {
			printf("ok %d - REP steps: the first repstr, the further ones their class\n", n);
		} else {
			bad++;
			printf("not ok %d - REP steps: %s %s %s %s %s %s\n", n,
			       kml_cost_class_name[got[0]], kml_cost_class_name[got[1]],
			       kml_cost_class_name[got[2]], kml_cost_class_name[got[3]],
			       kml_cost_class_name[got[4]], kml_cost_class_name[got[5]]);
		}
	}
	for (c = 0; c < KC_NR; c++) {
		n++;
		if (seen[c]) {
			printf("ok %d - class %s tried %d times\n", n, kml_cost_class_name[c], seen[c]);
		} else {
			bad++;
			printf("not ok %d - class %s never tried\n", n, kml_cost_class_name[c]);
		}
	}
	printf("# %d checks, %d failed\n", n, bad);
	return bad != 0;
}
