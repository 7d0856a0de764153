// SPDX-License-Identifier: GPL-2.0
/*
 * Software interrupts: "int $N" for every vector, each in a child, gives
 * what ring 3 gets.  A gate with DPL 0 refuses a program in ring 3 with
 * #GP(N * 8 + 2), SIGSEGV at the INT instruction; vectors 3 and 4 have
 * DPL 3 gates (SIGTRAP, SIGSEGV from the #OF handler).  At CPL 0 the
 * CPU's DPL check passes, so KML must tell a software INT from the real
 * event itself (Documentation/kml.rst, "Software interrupts"): no
 * interrupt handler may run, no message may appear in the kernel log,
 * and the local timer must still interrupt afterwards.
 *
 * The few exception vectors where a software INT and the exception
 * leave the same frame and no trace (listed in kml_int_unknown below)
 * get the exception's own signal at CPL 0; that is checked as such.
 * "int $2" is not run at CPL 0: it runs the NMI handler, which reports
 * an NMI of unknown reason (no trace tells it from a real NMI either).
 *
 * The error code: the SDM's N * 8 + 2 on hardware; QEMU 7.2 TCG pushes
 * N * 16 + 2 (the gate's byte offset in the 64-bit IDT) in ring 3, and
 * either is accepted.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>
#include "kt.h"

/* int_stubs + 4 * N: "int $N; ret". */
extern char int_stubs[];
__asm__(".pushsection .text\n"
	".balign 4\n"
	"int_stubs:\n"
	".irp hi,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	".irp lo,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"
	".byte 0xcd, \\hi * 16 + \\lo\n"
	"ret\n"
	".balign 4, 0xcc\n"
	".endr\n"
	".endr\n"
	".popsection\n");

/*
 * A real #DE right after bytes that read "int $0": "mov $0xcd, %ax" is
 * 66 b8 cd 00; its DIV by 0 must give SIGFPE in both modes.
 */
extern char div_after_cd00[], div_insn[];
__asm__(".pushsection .text\n"
	"div_after_cd00:\n"
	"xor %ecx, %ecx\n"
	".byte 0x66, 0xb8, 0xcd, 0x00\n"
	"div_insn:\n"
	"div %cl\n"
	"ret\n"
	".popsection\n");

struct outcome {
	int sig;		/* 0: the INT returned */
	int code;
	long trapno, err;
	uintptr_t ip;
};

static struct outcome *shared;

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	shared->sig = sig;
	shared->code = si->si_code;
	shared->trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	shared->err = uc->uc_mcontext.gregs[REG_ERR];
	shared->ip = uc->uc_mcontext.gregs[REG_RIP];
	_exit(0);
}

/* Run @fn in a child; 0 when it ended as the handler or a return ends. */
static int run_child(void (*fn)(void))
{
	static const int sigs[] = { SIGSEGV, SIGTRAP, SIGILL, SIGFPE, SIGBUS };
	struct sigaction sa;
	unsigned int i;
	int status;
	pid_t pid;

	memset(shared, 0xff, sizeof(*shared));
	pid = fork();
	if (pid == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_signal;
		sa.sa_flags = SA_SIGINFO;
		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			sigaction(sigs[i], &sa, NULL);
		fn();
		shared->sig = 0;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : status;
}

/* The name of a signal for the report. */
static const char *signame(int sig)
{
	switch (sig) {
	case 0: return "none (the INT returned)";
	case SIGSEGV: return "SIGSEGV";
	case SIGTRAP: return "SIGTRAP";
	case SIGILL: return "SIGILL";
	case SIGFPE: return "SIGFPE";
	case SIGBUS: return "SIGBUS";
	default: return "another signal";
	}
}

/*
 * At CPL 0, the vector whose exception has no error code, can happen in
 * any program and leaves nothing that tells it from the INT: #UD.  Its
 * handler runs and sends SIGILL.  (The kernel tells #DE by the DIV that
 * is not at RIP, #DB by the debug condition that is not in DR6, #MF and
 * #XM by the FPU exception that is not pending.)
 */
static int kml_int_unknown(int v)
{
	return v == 6 ? SIGILL : 0;
}

/* LOC (local timer interrupts) summed over the CPUs, -1 if absent. */
static long timer_interrupts(void)
{
	char line[1024];
	long sum = -1;
	FILE *f = fopen("/proc/interrupts", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		while (*p == ' ')
			p++;
		if (strncmp(p, "LOC:", 4))
			continue;
		p += 4;
		sum = 0;
		for (;;) {
			long n = strtol(p, &end, 10);

			if (end == p)
				break;
			sum += n;
			p = end;
		}
	}
	if (f)
		fclose(f);
	return sum;
}

/*
 * Code in an execute-only page (PROT_EXEC alone, where the CPU has
 * protection keys): the kernel cannot read the bytes before RIP there,
 * so the local APIC tells interrupts from INTs (the read's fault path).
 * Interrupts that land in a loop there are served, and "int $0x40" at
 * the page's first byte still gives its #GP.
 */
static void xo_page_checks(void)
{
	static const unsigned char code[] = {
		0xcd, 0x40, 0xc3,			/* 0: int $0x40; ret */
		[16] = 0x48, 0x89, 0xf9,		/* 16: mov %rdi, %rcx */
		0x48, 0xff, 0xc9, 0x75, 0xfb,		/* 1: dec %rcx; jnz 1b */
		0xc3,					/* ret */
	};
	unsigned char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void (*spin)(long) = (void (*)(long))(page + 16);
	long loc0, loc1, rounds = 0;
	double t0;
	int status;

	if (page == MAP_FAILED) {
		kt_check(0, "mmap of a code page");
		return;
	}
	memcpy(page, code, sizeof(code));
	kt_check(!mprotect(page, 4096, PROT_EXEC), "the code page is PROT_EXEC only (%s)",
		 kt_ospke() ? "execute-only: protection keys" : "readable: no protection keys");
	loc0 = timer_interrupts();
	t0 = kt_now();
	while (kt_now() - t0 < 0.3) {
		spin(200000);
		rounds++;
	}
	loc1 = timer_interrupts();
	kt_check(loc1 > loc0, "timer interrupts while running in that page are served (%ld in %ld rounds)",
		 loc1 - loc0, rounds);
	status = run_child((void (*)(void))page);
	kt_check(status == 0 && shared->sig == SIGSEGV && shared->trapno == 13 &&
		 (shared->err == 0x40 * 8 + 2 || shared->err == 0x40 * 16 + 2) &&
		 shared->ip == (uintptr_t)page,
		 "int $0x40 there: SIGSEGV trap 13 at the INT (got %s trap %ld error %#lx)",
		 signame(shared->sig), shared->trapno, shared->err);
	munmap(page, 4096);
}

/* The kernel has IA32 emulation: int $0x80 is a system call in ring 3. */
static int has_int80(void)
{
	char line[256];
	int found = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, " int80_emulation\n") || strstr(line, " entry_INT80_compat\n");
	if (f)
		fclose(f);
	return found;
}

int main(void)
{
	int trusted = kt_cpl() == 0, kmsg, v, bad = 0, unknown = 0, status;
	long loc0, loc1;
	char rec[2048];
	ssize_t n;

	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		kt_check(0, "mmap of the shared page");
		return kt_done();
	}
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	kt_check(kmsg >= 0, "/dev/kmsg opens");
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);

	for (v = 0; v < 256; v++) {
		uintptr_t at = (uintptr_t)(int_stubs + 4 * v);
		int want = SIGSEGV, ok;
		long want_trap = 13, want_err = v * 8 + 2;
		uintptr_t want_ip = at;

		if (v == 2 && trusted) {
			printf("# vector 2 at CPL 0: not run, it would run the NMI handler (documented)\n");
			continue;
		}
		if (v == 0x80 && has_int80()) {
			printf("# vector 0x80: a 32-bit system call with IA32 emulation, not tested here\n");
			continue;
		}
		if (v == 3) {
			want = SIGTRAP, want_trap = 3, want_err = 0, want_ip = at + 2;
		} else if (v == 4) {
			want_trap = 4, want_err = 0, want_ip = at + 2;
		}
		status = run_child((void (*)(void))(int_stubs + 4 * v));
		if (status) {
			kt_check(0, "int $%d: the child ends cleanly (status %#x)", v, status);
			bad++;
			continue;
		}
		if (trusted && kml_int_unknown(v)) {
			ok = shared->sig == kml_int_unknown(v);
			if (ok)
				unknown++;
			printf("# vector %d at CPL 0: %s (ring 3: SIGSEGV), as documented\n",
			       v, signame(shared->sig));
			if (!ok) {
				kt_check(0, "int $%d at CPL 0: %s, the exception's own signal (got %s)",
					 v, signame(kml_int_unknown(v)), signame(shared->sig));
				bad++;
			}
			continue;
		}
		ok = shared->sig == want && shared->trapno == want_trap &&
		     (shared->err == want_err ||
		      (want_trap == 13 && shared->err == v * 16 + 2)) &&
		     shared->ip == want_ip;
		if (!ok) {
			kt_check(0, "int $%d: %s trap %ld error %#lx at %#lx (got %s trap %ld error %#lx at %#lx)",
				 v, signame(want), want_trap, want_err, (unsigned long)want_ip,
				 signame(shared->sig), shared->trapno, shared->err,
				 (unsigned long)shared->ip);
			bad++;
		}
	}
	kt_check(!bad, "int $N for every vector gives the ring-3 signal, trap number, error code and RIP (%d wrong)",
		 bad);
	if (trusted)
		kt_check(unknown == 1, "the documented exception vector gives its own signal (%d)",
			 unknown);

	status = run_child((void (*)(void))div_after_cd00);
	kt_check(status == 0 && shared->sig == SIGFPE &&
		 shared->trapno == 0 && shared->ip == (uintptr_t)div_insn,
		 "a DIV by 0 after the bytes cd 00 is a #DE: SIGFPE at the DIV (got %s trap %ld)",
		 signame(shared->sig), shared->trapno);

	xo_page_checks();

	/* Nothing in the kernel log: no handler ran, nothing was reported. */
	if (kmsg >= 0) {
		int lines = 0;

		while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0) {
			rec[n] = 0;
			printf("# kernel: %s", rec);
			lines++;
		}
		kt_check(lines == 0, "no kernel message during the %d INTs (%d)", 256, lines);
	}

	/* Interrupts still arrive: the local timer counts on. */
	loc0 = timer_interrupts();
	usleep(200000);
	loc1 = timer_interrupts();
	kt_check(loc0 >= 0 && loc1 > loc0, "the local timer still interrupts (LOC %ld -> %ld)",
		 loc0, loc1);
	return kt_done();
}
