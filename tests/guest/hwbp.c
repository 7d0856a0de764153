// SPDX-License-Identifier: GPL-2.0
/*
 * No hardware breakpoint on what the KML IST stubs run and read.  A #DB
 * inside a stub would enter a stub again on the same IST stack and
 * overwrite the interrupted one's frame, so the kernel refuses such
 * breakpoints as it refuses them on its own entry code and stacks
 * (within_cpu_entry(), kml_within_entry()).
 *
 * Data breakpoints (perf_event_open() of a kernel breakpoint, read and
 * write) need kernel addresses, which only a program at CPL 0 can read
 * here (no data symbols in /proc/kallsyms): the KML IDT (SIDT), the top
 * of this CPU's KML IST stack (IST entry 5 of the TSS, found through SGDT
 * and STR) must be refused, and the per-CPU area's first word (the GS
 * base, RDMSR) allowed, so that the test can fail.  At CPL 3 it skips.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kt.h"

/* The address of a kernel text symbol, from /proc/kallsyms; 0 if absent. */
static unsigned long ksym(const char *name)
{
	char line[256], sym[200], type;
	unsigned long a, found = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	while (f && !found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx %c %199s", &a, &type, sym) == 3 && !strcmp(sym, name))
			found = a;
	if (f)
		fclose(f);
	return found;
}

/* perf_event_open() of a kernel breakpoint on this task: 0, or the errno. */
static int breakpoint(unsigned long addr, int type)
{
	struct perf_event_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_BREAKPOINT;
	attr.size = sizeof(attr);
	attr.bp_type = type;
	attr.bp_addr = addr;
	attr.bp_len = type == HW_BREAKPOINT_X ? sizeof(long) : HW_BREAKPOINT_LEN_8;
	attr.exclude_user = 1;
	fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
	if (fd < 0)
		return errno;
	close((int)fd);
	return 0;
}

static const char *result(int err)
{
	return err ? strerror(err) : "allowed";
}

struct __attribute__((packed)) kt_dtr {
	uint16_t limit;
	uint64_t base;
};

/* At CPL 0: the KML IST stack's top, from the TSS descriptor in the GDT. */
static unsigned long ist5(void)
{
	struct kt_dtr gdt;
	uint16_t tr;
	const uint8_t *d;
	unsigned long tss;

	__asm__ volatile("sgdt %0; str %1" : "=m"(gdt), "=r"(tr));
	d = (const uint8_t *)gdt.base + (tr & ~7);
	tss = d[2] | d[3] << 8 | (unsigned long)d[4] << 16 | (unsigned long)d[7] << 24 |
	      (unsigned long)*(const uint32_t *)(d + 8) << 32;
	/* x86_hw_tss: reserved1 (4), sp0-sp2 (24), reserved2 (8), ist[7] */
	return *(const unsigned long *)(tss + 36 + 5 * 8);
}

static void cpl0_checks(void)
{
	struct kt_dtr idt;
	unsigned long top, lo, hi;
	cpu_set_t one;
	int err;

	/* One CPU: the IDT, TSS and per-CPU area read are this CPU's. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xc0000101));	/* GS base */
	err = breakpoint(hi << 32 | lo, HW_BREAKPOINT_RW);
	kt_check(!err, "a data breakpoint on the per-CPU area (%#lx) is allowed (%s)",
		 hi << 32 | lo, result(err));
	__asm__ volatile("sidt %0" : "=m"(idt));
	err = breakpoint(idt.base + 0x80, HW_BREAKPOINT_RW);
	kt_check(err == EINVAL, "one on the KML IDT (%#lx) is refused with EINVAL (%s)",
		 (unsigned long)idt.base, result(err));
	top = ist5();
	err = breakpoint(top - 8, HW_BREAKPOINT_RW);
	kt_check(top && err == EINVAL,
		 "one on the top of the KML IST stack (%#lx) is refused with EINVAL (%s)",
		 top, result(err));
}

int main(void)
{
	if (!ksym("kml_ist_stubs")) {
		printf("# no kml_ist_stubs in /proc/kallsyms: not a KML kernel\n");
		return 77;
	}
	if (kt_cpl() != 0) {
		/*
		 * Execute breakpoints on kernel text are refused anyway here
		 * (no kprobes; with them, the stubs are NOKPROBE), and data
		 * addresses cannot be read at CPL 3.
		 */
		printf("# at CPL 3 the kernel addresses of the checks cannot be read\n");
		return 77;
	}
	cpl0_checks();
	return kt_done();
}
