// SPDX-License-Identifier: GPL-2.0
/*
 * kml-costs: a QEMU TCG plugin that counts, per executed instruction,
 * the costly instruction classes of insn-class.h, and reports them at
 * every region marker a guest program executes.
 *
 *   qemu-system-x86_64 ... -accel tcg,thread=single \
 *       -plugin build/cost/kml-costs.so,out=FILE
 *
 * At each marker (kml_mark_begin, kml_mark_end, executed by any vCPU) it
 * appends one line to FILE:
 *
 *   KMLCOST <B|E> <seq> <insns> <count of class 0> <count of class 1> ...
 *
 * with the counts since the boot, summed over all vCPUs (like the guest
 * TSC under -icount, which is VM-wide), classes in the order of the
 * header line "KMLCOST-CLASSES name ...".  A guest program prints, after
 * its regions, how to weigh them (scripts/costs.py).  Counting is exact:
 * an instruction is counted when it starts to execute (a faulting WRMSR
 * counts), never twice, and also under -icount and -singlestep.
 *
 * With syms=SYSTEM_MAP (the kernel's System.map; the kernel must not be
 * relocated) it also profiles: every region (B to E) adds, after its E
 * line, one line per function that ran in it,
 *
 *   KMLSYM <seq of E> <function> <instructions>
 *
 * where a translation block counts for the function of its first
 * instruction, "[user]" is everything below the kernel half and "[other]"
 * kernel code outside the map's text (the KML trampoline page, modules).
 * scripts/costs.py profile turns them into instructions per operation.
 *
 * Debian 12's QEMU 7.2 has plugins but no header package, so the few
 * functions of its documented plugin API (version 1) used here are
 * declared below.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "insn-class.h"

/* --- QEMU plugin API, version 1 (QEMU 7.2, include/qemu/qemu-plugin.h) --- */
typedef uint64_t qemu_plugin_id_t;
typedef struct {
	const char *target_name;
	struct { int min, cur; } version;
	bool system_emulation;
	union {
		struct { int smp_vcpus, max_vcpus; } system;
	};
} qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, qemu_plugin_vcpu_tb_trans_cb_t);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *, size_t);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *, qemu_plugin_vcpu_udata_cb_t,
					  enum qemu_plugin_cb_flags, void *);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *, qemu_plugin_vcpu_udata_cb_t,
					    enum qemu_plugin_cb_flags, void *);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, qemu_plugin_udata_cb_t, void *);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;
/* --- end of the API --- */

#define MAX_VCPUS 64

/* Per vCPU, each in its own cache lines: only that vCPU's thread writes. */
struct vcpu_counts {
	uint64_t insns;
	uint64_t n[KC_NR];
	struct kml_rep_state rep;	/* the last REP string step */
} __attribute__((aligned(64)));

static struct vcpu_counts counts[MAX_VCPUS];
static FILE *out;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t seq;
static int nvcpus = 1;

static void on_tb(unsigned int vcpu, void *ninsns)
{
	counts[vcpu % MAX_VCPUS].insns += (uintptr_t)ninsns;
}

/*
 * The profile (syms=).  Callbacks run in the one TCG thread (the plugin
 * wants thread=single, as -icount has anyway), so plain counters do.
 */
struct sym {
	uint64_t addr;
	char *name;
	uint64_t insns;		/* in the current region */
};
static struct sym *syms;
static size_t nsyms;		/* [nsyms - 2]: "[user]", [nsyms - 1]: "[other]" */
static uint32_t *dirty;		/* the syms with insns != 0 */
static size_t ndirty;
static uint64_t text_end;

struct tb_sym {
	uint32_t n;
	uint32_t sym;
};

static void on_tb_sym(unsigned int vcpu, void *p)
{
	const struct tb_sym *t = p;
	struct sym *s = &syms[t->sym];

	counts[vcpu % MAX_VCPUS].insns += t->n;
	if (!s->insns)
		dirty[ndirty++] = t->sym;
	s->insns += t->n;
}

static uint32_t sym_of(uint64_t va)
{
	size_t lo = 0, hi = nsyms - 2;

	if (va < 0xffff800000000000ull)
		return nsyms - 2;
	if (va < syms[0].addr || va >= text_end)
		return nsyms - 1;
	while (hi - lo > 1) {	/* the last symbol at or below va */
		size_t mid = (lo + hi) / 2;

		if (syms[mid].addr <= va)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The text symbols of a System.map, sorted, plus the two buckets. */
static int load_syms(const char *path)
{
	FILE *f = fopen(path, "r");
	char name[256], type;
	unsigned long long a;
	size_t cap = 0;

	if (!f) {
		perror(path);
		return -1;
	}
	while (fscanf(f, "%llx %c %255s", &a, &type, name) == 3) {
		if (!strcmp(name, "_etext"))
			text_end = a;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (nsyms + 2 >= cap) {
			cap = cap ? 2 * cap : 4096;
			syms = realloc(syms, cap * sizeof(*syms));
			if (!syms)
				return -1;
		}
		syms[nsyms].addr = a;
		syms[nsyms].name = strdup(name);
		syms[nsyms].insns = 0;
		nsyms++;
	}
	fclose(f);
	if (!nsyms || !text_end) {
		fprintf(stderr, "kml-costs: %s: no text symbols or no _etext\n", path);
		return -1;
	}
	qsort(syms, nsyms, sizeof(*syms), cmp_sym);
	syms[nsyms].name = "[user]";
	syms[nsyms + 1].name = "[other]";
	syms[nsyms].insns = syms[nsyms + 1].insns = 0;
	nsyms += 2;
	dirty = calloc(nsyms, sizeof(*dirty));
	return dirty ? 0 : -1;
}

/* At B, forget; at E, report and forget. */
static void sym_region(int which, uint64_t e_seq)
{
	size_t i;

	for (i = 0; i < ndirty; i++) {
		struct sym *s = &syms[dirty[i]];

		if (which == 2)
			fprintf(out, "KMLSYM %llu %s %llu\n", (unsigned long long)e_seq,
				s->name, (unsigned long long)s->insns);
		s->insns = 0;
	}
	ndirty = 0;
}

static void on_class(unsigned int vcpu, void *cls)
{
	counts[vcpu % MAX_VCPUS].n[(uintptr_t)cls]++;
}

/* A REP string instruction: its first step or a further one (kml_rep_step()). */
struct rep_insn {
	uint64_t vaddr;
	enum kml_cost_class step;
};

static void on_rep(unsigned int vcpu, void *p)
{
	const struct rep_insn *r = p;
	struct vcpu_counts *c = &counts[vcpu % MAX_VCPUS];

	c->n[kml_rep_step(&c->rep, r->vaddr, c->insns, r->step)]++;
}

static void on_mark(unsigned int vcpu, void *which)
{
	uint64_t sum[KC_NR] = { 0 }, insns = 0;
	int v, c;

	pthread_mutex_lock(&out_lock);
	for (v = 0; v < nvcpus; v++) {
		insns += counts[v].insns;
		for (c = 0; c < KC_NR; c++)
			sum[c] += counts[v].n[c];
	}
	/*
	 * The marker's own TB was counted when it started: the instructions
	 * after the marker in it are in this snapshot.  Both markers are
	 * counted the same way, so a region's difference is exact up to
	 * where the two markers sit in their TBs; with -icount and a marker
	 * that ends its TB (scripts/costs.py checks none is needed) the
	 * error is a few instructions per region, far below a system call.
	 */
	fprintf(out, "KMLCOST %c %llu %llu", (uintptr_t)which == 1 ? 'B' : 'E',
		(unsigned long long)seq++, (unsigned long long)insns);
	for (c = 0; c < KC_NR; c++)
		fprintf(out, " %llu", (unsigned long long)sum[c]);
	fputc('\n', out);
	if (syms)
		sym_region((int)(uintptr_t)which, seq - 1);
	fflush(out);
	pthread_mutex_unlock(&out_lock);
	(void)vcpu;
}

static void on_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i;

	if (syms) {
		struct tb_sym *t = malloc(sizeof(*t));	/* lives as long as the TB */

		if (!t)
			abort();
		t->n = n;
		t->sym = sym_of(qemu_plugin_tb_vaddr(tb));
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_tb_sym, QEMU_PLUGIN_CB_NO_REGS, t);
	} else {
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_tb, QEMU_PLUGIN_CB_NO_REGS,
						     (void *)(uintptr_t)n);
	}
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		const uint8_t *p = qemu_plugin_insn_data(insn);
		size_t len = qemu_plugin_insn_size(insn);
		enum kml_cost_class c = kml_insn_class(p, len);
		int mark = kml_insn_mark(p, len);

		if (c == KC_rep1 || c == KC_repw || c == KC_repscan) {
			struct rep_insn *r = malloc(sizeof(*r));	/* as long as the TB */

			if (!r)
				abort();
			r->vaddr = qemu_plugin_insn_vaddr(insn);
			r->step = c;
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_rep, QEMU_PLUGIN_CB_NO_REGS, r);
		} else if (c != KC_plain) {
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_class, QEMU_PLUGIN_CB_NO_REGS,
							       (void *)(uintptr_t)c);
		}
		if (mark)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS,
							       (void *)(uintptr_t)mark);
	}
	(void)id;
}

static void on_atexit(qemu_plugin_id_t id, void *p)
{
	if (out)
		fclose(out);
	out = NULL;
	(void)id;
	(void)p;
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	const char *path = NULL, *map = NULL;
	int i, c;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			path = argv[i] + 4;
		else if (!strncmp(argv[i], "syms=", 5))
			map = argv[i] + 5;
	}
	if (!path || !info->system_emulation) {
		fprintf(stderr, "kml-costs: usage: -plugin kml-costs.so,out=FILE (system emulation)\n");
		return -1;
	}
	nvcpus = info->system.max_vcpus;
	if (nvcpus < 1 || nvcpus > MAX_VCPUS) {
		fprintf(stderr, "kml-costs: %d vCPUs, at most %d\n", nvcpus, MAX_VCPUS);
		return -1;
	}
	if (map && load_syms(map))
		return -1;
	out = fopen(path, "w");
	if (!out) {
		perror(path);
		return -1;
	}
	fprintf(out, "KMLCOST-CLASSES");
	for (c = 0; c < KC_NR; c++)
		fprintf(out, " %s", kml_cost_class_name[c]);
	fputc('\n', out);
	fflush(out);
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_trans);
	qemu_plugin_register_atexit_cb(id, on_atexit, NULL);
	return 0;
}
