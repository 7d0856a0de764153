/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The costly x86-64 instruction classes of the cycle model (issue 25,
 * Documentation/kml.rst "What a real CPU pays"), and a decoder that puts
 * one instruction, given its bytes, in one of them.  Used by the QEMU
 * plugin (kml-costs.c) on every instruction it translates and by the
 * host test (classify-test.c).
 *
 * The decoder knows just enough of the encoding to find the opcode and
 * the ModRM byte: legacy prefixes, REX, the 0f, 0f 38 and 0f 3a maps.
 * VEX and EVEX instructions (c4, c5, 62 in 64-bit mode) are vector
 * instructions, none of which is in a class.  Everything not in a class
 * is KC_PLAIN; the model gives those one calibrated cost.
 *
 * A REP-prefixed string instruction executes once per element under
 * QEMU (and is counted so by -icount), where a CPU with fast strings
 * moves 16 to 64 bytes a cycle after a startup: a page cleared with REP
 * STOSB is 4,096 executions.  The decoder gives such an instruction the
 * class of its further steps (KC_rep1, KC_repw, KC_repscan); the plugin
 * counts its first step as KC_repstr instead, which carries the startup.
 */
#ifndef KML_INSN_CLASS_H
#define KML_INSN_CLASS_H

#include <stddef.h>
#include <stdint.h>

/* name, what: the name is the column name in every report. */
#define KML_COST_CLASSES(X)						\
	X(plain,	"any instruction in no other class")		\
	X(syscall,	"SYSCALL")					\
	X(sysret,	"SYSRET")					\
	X(sysenter,	"SYSENTER, SYSEXIT")				\
	X(iret,		"IRET (any size)")				\
	X(farret,	"far RET (LRET)")				\
	X(farjmp,	"far JMP (through memory)")			\
	X(farcall,	"far CALL (through memory)")			\
	X(swapgs,	"SWAPGS")					\
	X(movcr3,	"MOV to CR3")					\
	X(movcr,	"MOV to CR0, CR2, CR4, CR8")			\
	X(rdcr,		"MOV from a control register")			\
	X(movdr,	"MOV to or from a debug register")		\
	X(wrmsr,	"WRMSR")					\
	X(rdmsr,	"RDMSR")					\
	X(lidt,		"LIDT")						\
	X(lgdt,		"LGDT")						\
	X(ltr,		"LTR, LLDT")					\
	X(verw,		"VERW, VERR")					\
	X(lfence,	"LFENCE")					\
	X(mfence,	"MFENCE, SFENCE")				\
	X(cli,		"CLI")						\
	X(sti,		"STI")						\
	X(popf,		"POPF")						\
	X(pushf,	"PUSHF")					\
	X(wrgsbase,	"WRGSBASE")					\
	X(rdgsbase,	"RDGSBASE")					\
	X(wrfsbase,	"WRFSBASE")					\
	X(rdfsbase,	"RDFSBASE")					\
	X(lsl,		"LSL")						\
	X(lar,		"LAR")						\
	X(rdpid,	"RDPID")					\
	X(rdtsc,	"RDTSC, RDTSCP, RDPMC")				\
	X(cpuid,	"CPUID")					\
	X(intn,		"INT n, INTO")					\
	X(int3,		"INT3, INT1")					\
	X(stac,		"STAC, CLAC")					\
	X(movseg,	"MOV or POP to DS, ES, FS, GS, SS")		\
	X(xsave,	"XSAVE, XSAVEOPT, XSAVEC, XSAVES, FXSAVE")	\
	X(xrstor,	"XRSTOR, XRSTORS, FXRSTOR")			\
	X(locked,	"LOCK-prefixed, XCHG with memory")		\
	X(invlpg,	"INVLPG, INVPCID")				\
	X(hlt,		"HLT, MWAIT")					\
	X(io,		"IN, OUT, INS, OUTS")				\
	X(wrpkru,	"WRPKRU")					\
	X(serialize,	"SERIALIZE, WBINVD, INVD")				\
	X(repstr,	"a REP string instruction starts")		\
	X(rep1,		"a further REP MOVSB/STOSB step: one byte")	\
	X(repw,		"a further REP MOVS/STOS step of 2 to 8 bytes")	\
	X(repscan,	"a further REP LODS/CMPS/SCAS step")

enum kml_cost_class {
#define KC_ENUM(name, what) KC_##name,
	KML_COST_CLASSES(KC_ENUM)
#undef KC_ENUM
	KC_NR
};

static const char *const kml_cost_class_name[KC_NR] = {
#define KC_NAME(name, what) #name,
	KML_COST_CLASSES(KC_NAME)
#undef KC_NAME
};

/*
 * The markers a guest program executes around a measured region: NOPs
 * with a displacement no compiler emits, "KMLB" and "KMLE".
 * nopl 0x424c4d4b(%rax,%rax,1) and nopl 0x454c4d4b(%rax,%rax,1).
 */
#define KML_MARK_LEN 8
static const uint8_t kml_mark_begin[KML_MARK_LEN] = {
	0x0f, 0x1f, 0x84, 0x00, 'K', 'M', 'L', 'B'
};
static const uint8_t kml_mark_end[KML_MARK_LEN] = {
	0x0f, 0x1f, 0x84, 0x00, 'K', 'M', 'L', 'E'
};

/*
 * The class of one execution of a REP string instruction at vaddr whose
 * decoder class is step, after insns instructions on its vCPU (counted
 * when their translation block starts): KC_repstr for its first step,
 * step for the further ones.  Under QEMU each further step runs as a
 * translation block of its own, of that one instruction, right after
 * the step before; anything else that runs between two executions of it
 * (another instruction, an interrupt) makes the next one a first step.
 */
struct kml_rep_state {
	uint64_t vaddr;
	uint64_t insns;
};

static inline enum kml_cost_class kml_rep_step(struct kml_rep_state *st, uint64_t vaddr,
						uint64_t insns, enum kml_cost_class step)
{
	int further = st->vaddr == vaddr && insns == st->insns + 1;

	st->vaddr = vaddr;
	st->insns = insns;
	return further ? step : KC_repstr;
}

/* 1 for the begin marker, 2 for the end marker, else 0. */
static inline int kml_insn_mark(const uint8_t *p, size_t len)
{
	size_t i;
	int b = len == KML_MARK_LEN, e = b;

	for (i = 0; i < KML_MARK_LEN && b + e; i++) {
		b &= p[i] == kml_mark_begin[i];
		e &= p[i] == kml_mark_end[i];
	}
	return b ? 1 : e ? 2 : 0;
}

/* The class of the instruction in p[0..len). */
static inline enum kml_cost_class kml_insn_class(const uint8_t *p, size_t len)
{
	size_t i = 0;
	int lock = 0, rep = 0, repne = 0, opsize = 0, rex = 0;
	uint8_t op, modrm = 0, reg, mod;
	int has_modrm;

	/* Legacy prefixes, then at most one REX right before the opcode. */
	for (; i < len; i++) {
		switch (p[i]) {
		case 0xf0: lock = 1; continue;
		case 0xf3: rep = 1; continue;
		case 0xf2: repne = 1; continue;
		case 0x66: opsize = 1; continue;
		case 0x67: case 0x2e: case 0x36: case 0x3e:
		case 0x26: case 0x64: case 0x65: continue;
		}
		break;
	}
	if (i < len && (p[i] & 0xf0) == 0x40)
		rex = p[i++];
	if (i >= len)
		return KC_plain;
	op = p[i++];
	has_modrm = i < len;
	if (has_modrm)
		modrm = p[i];
	reg = (modrm >> 3) & 7;
	mod = modrm >> 6;

	if (op != 0x0f) {
		if (lock)
			return KC_locked;
		switch (op) {
		case 0xcf: return KC_iret;
		case 0xca: case 0xcb: return KC_farret;
		case 0x9a: return KC_farcall;	/* not in 64-bit mode */
		case 0xea: return KC_farjmp;	/* not in 64-bit mode */
		case 0xfa: return KC_cli;
		case 0xfb: return KC_sti;
		case 0x9d: return KC_popf;
		case 0x9c: return KC_pushf;
		case 0xcd: case 0xce: return KC_intn;
		case 0xcc: case 0xf1: return KC_int3;
		case 0xf4: return KC_hlt;
		case 0x8e: return KC_movseg;
		case 0x07: case 0x17: case 0x1f: return KC_movseg; /* not in 64-bit mode */
		case 0xe4: case 0xe5: case 0xe6: case 0xe7:
		case 0xec: case 0xed: case 0xee: case 0xef:
		case 0x6c: case 0x6d: case 0x6e: case 0x6f:
			return KC_io;
		case 0xa4: case 0xaa:	/* MOVSB, STOSB */
			return rep || repne ? KC_rep1 : KC_plain;
		case 0xa5: case 0xab:	/* MOVSW/D/Q, STOSW/D/Q */
			return rep || repne ? KC_repw : KC_plain;
		case 0xa6: case 0xa7: case 0xac: case 0xad: case 0xae: case 0xaf:
			return rep || repne ? KC_repscan : KC_plain;	/* CMPS, LODS, SCAS */
		case 0x86: case 0x87:	/* XCHG with memory locks */
			return has_modrm && mod != 3 ? KC_locked : KC_plain;
		case 0xff:
			if (!has_modrm || mod == 3)
				return KC_plain;
			if (reg == 3)
				return KC_farcall;
			if (reg == 5)
				return KC_farjmp;
			return KC_plain;
		}
		/* c4, c5, 62: VEX/EVEX in 64-bit mode; nothing of ours. */
		return KC_plain;
	}

	/* 0f map */
	if (i >= len)
		return KC_plain;
	op = p[i++];
	has_modrm = i < len;
	modrm = has_modrm ? p[i] : 0;
	reg = (modrm >> 3) & 7;
	mod = modrm >> 6;
	if (op == 0x38) {	/* 0f 38: INVPCID is 66 0f 38 82 */
		if (i < len && p[i] == 0x82 && opsize)
			return KC_invlpg;
		return lock ? KC_locked : KC_plain;
	}
	if (lock)
		return KC_locked;
	switch (op) {
	case 0x05: return KC_syscall;
	case 0x07: return KC_sysret;
	case 0x34: case 0x35: return KC_sysenter;
	case 0x30: return KC_wrmsr;
	case 0x32: return KC_rdmsr;
	case 0x31: case 0x33: return KC_rdtsc;
	case 0xa2: return KC_cpuid;
	case 0x02: return KC_lar;
	case 0x03: return KC_lsl;
	case 0x20: return KC_rdcr;
	case 0x22:
		/* reg: the control register; REX.R makes it CR8 and up */
		return reg == 3 && !(rex & 4) ? KC_movcr3 : KC_movcr;
	case 0x21: case 0x23: return KC_movdr;
	case 0xa1: case 0xa9: return KC_movseg;		/* POP FS, POP GS */
	case 0x09: case 0x08: return KC_serialize;	/* WBINVD, INVD */
	case 0x0b: return KC_int3;			/* UD2: a trap */
	case 0x00:
		if (!has_modrm)
			return KC_plain;
		if (reg == 2 || reg == 3)
			return KC_ltr;		/* LLDT, LTR */
		if (reg == 4 || reg == 5)
			return KC_verw;		/* VERR, VERW */
		return KC_plain;		/* SLDT, STR */
	case 0x01:
		if (!has_modrm)
			return KC_plain;
		if (mod != 3) {
			if (reg == 2)
				return KC_lgdt;
			if (reg == 3)
				return KC_lidt;
			if (reg == 7)
				return KC_invlpg;
			return KC_plain;	/* SGDT, SIDT, SMSW, LMSW */
		}
		switch (modrm) {
		case 0xf8: return KC_swapgs;
		case 0xf9: return KC_rdtsc;	/* RDTSCP */
		case 0xca: case 0xcb: return KC_stac;
		case 0xc9: return KC_hlt;	/* MWAIT */
		case 0xef: return KC_wrpkru;
		case 0xe8: return KC_serialize;	/* SERIALIZE */
		}
		return KC_plain;
	case 0xae:
		if (!has_modrm)
			return KC_plain;
		if (mod == 3) {
			if (rep && reg <= 3) {
				static const enum kml_cost_class fsgs[4] = {
					KC_rdfsbase, KC_rdgsbase, KC_wrfsbase, KC_wrgsbase
				};
				return fsgs[reg];
			}
			if (reg == 5)
				return KC_lfence;
			if (reg == 6 || reg == 7)
				return KC_mfence;
			return KC_plain;
		}
		if (reg == 0 || reg == 4 || (reg == 6 && !opsize))
			return KC_xsave;	/* FXSAVE, XSAVE, XSAVEOPT */
		if (reg == 1 || reg == 5)
			return KC_xrstor;	/* FXRSTOR, XRSTOR */
		return KC_plain;
	case 0xc7:
		if (!has_modrm)
			return KC_plain;
		if (mod == 3)
			return reg == 7 && rep ? KC_rdpid : KC_plain;	/* else RDRAND, RDSEED */
		if (reg == 3)
			return KC_xrstor;	/* XRSTORS */
		if (reg == 4 || reg == 5)
			return KC_xsave;	/* XSAVEC, XSAVES */
		return KC_plain;		/* CMPXCHG8B/16B without LOCK */
	}
	return KC_plain;
}

#endif
