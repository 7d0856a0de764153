// SPDX-License-Identifier: GPL-2.0
/*
 * Registers across system calls, as the x86-64 system call ABI defines
 * them: everything but RAX, RCX and R11 survives a system call, and what
 * the kernel writes into a task's saved registers during a system call
 * takes effect when it returns:
 *  - getpid() (nothing to do) and a blocking-free write() keep every
 *    register;
 *  - fork(): the child starts with the parent's registers;
 *  - rt_sigreturn(): a signal handler that edits its ucontext changes the
 *    registers of the interrupted code;
 *  - ptrace: at a PTRACE_EVENT_FORK stop (inside fork()) the tracer reads
 *    the tracee's registers and writes new ones, which fork() returns with.
 * KML's fast system call exit does not reload the callee-saved registers,
 * so each of the writers above must send that exit down the generic path.
 * (A ptrace stop also schedules the tracee out, which by itself forces the
 * generic exit through TIF_NEED_FPU_LOAD; the rt_sigreturn check is the
 * one that fails if the writers do not.)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>
#include "kt.h"

/* Registers in and out of kt_syscall_regs(); rax is the number/result. */
struct kt_regs {
	unsigned long rax, rdi, rsi, rdx, r10, r8, r9;
	unsigned long rbx, rbp, r12, r13, r14, r15;
	unsigned long rcx, r11;
};

void kt_syscall_regs(struct kt_regs *io);

/*
 * Load every register from *io, SYSCALL, store every register back into
 * *io.  The callee-saved registers of the C caller are kept on the stack.
 */
__asm__(
	".text\n"
	".globl kt_syscall_regs\n"
	".type kt_syscall_regs, @function\n"
	"kt_syscall_regs:\n\t"
	"push %rbx\n\tpush %rbp\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n\t"
	"push %rdi\n\t"
	"mov 0(%rdi), %rax\n\t"
	"mov 16(%rdi), %rsi\n\t"
	"mov 24(%rdi), %rdx\n\t"
	"mov 32(%rdi), %r10\n\t"
	"mov 40(%rdi), %r8\n\t"
	"mov 48(%rdi), %r9\n\t"
	"mov 56(%rdi), %rbx\n\t"
	"mov 64(%rdi), %rbp\n\t"
	"mov 72(%rdi), %r12\n\t"
	"mov 80(%rdi), %r13\n\t"
	"mov 88(%rdi), %r14\n\t"
	"mov 96(%rdi), %r15\n\t"
	"mov 8(%rdi), %rdi\n\t"
	"syscall\n\t"
	"push %rdi\n\t"
	"mov 8(%rsp), %rdi\n\t"
	"mov %rax, 0(%rdi)\n\t"
	"mov %rsi, 16(%rdi)\n\t"
	"mov %rdx, 24(%rdi)\n\t"
	"mov %r10, 32(%rdi)\n\t"
	"mov %r8, 40(%rdi)\n\t"
	"mov %r9, 48(%rdi)\n\t"
	"mov %rbx, 56(%rdi)\n\t"
	"mov %rbp, 64(%rdi)\n\t"
	"mov %r12, 72(%rdi)\n\t"
	"mov %r13, 80(%rdi)\n\t"
	"mov %r14, 88(%rdi)\n\t"
	"mov %r15, 96(%rdi)\n\t"
	"mov %rcx, 104(%rdi)\n\t"
	"mov %r11, 112(%rdi)\n\t"
	"pop %rax\n\t"
	"mov %rax, 8(%rdi)\n\t"
	"pop %rdi\n\t"
	"pop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %rbp\n\tpop %rbx\n\t"
	"ret\n"
	".size kt_syscall_regs, .-kt_syscall_regs\n");

static const char *names[] = {
	"rax", "rdi", "rsi", "rdx", "r10", "r8", "r9",
	"rbx", "rbp", "r12", "r13", "r14", "r15",
};

/* Distinct values; the syscall's own arguments go in afterwards. */
static void fill(struct kt_regs *r, unsigned long nr, unsigned long seed)
{
	unsigned long *w = (unsigned long *)r;
	size_t i;

	for (i = 0; i < sizeof(*r) / sizeof(*w); i++)
		w[i] = seed + 0x1111111111ul * (i + 1);
	r->rax = nr;
}

/* Registers [from, 13) of @got equal those of @want; names the first that differs. */
static const char *differs(const struct kt_regs *got, const struct kt_regs *want, int from)
{
	const unsigned long *g = (const unsigned long *)got;
	const unsigned long *w = (const unsigned long *)want;
	int i;

	for (i = from; i < 13; i++)
		if (g[i] != w[i])
			return names[i];
	return NULL;
}

static void check_kept(const char *what, const struct kt_regs *got,
		       const struct kt_regs *want)
{
	const char *bad = differs(got, want, 1);

	kt_check(!bad, "%s keeps every register but rax/rcx/r11 (first bad: %s)",
		 what, bad ? bad : "none");
}

static struct kt_regs handler_regs;

static void edit_handler(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	greg_t *g = uc->uc_mcontext.gregs;

	g[REG_RBX] = handler_regs.rbx;
	g[REG_RBP] = handler_regs.rbp;
	g[REG_R12] = handler_regs.r12;
	g[REG_R13] = handler_regs.r13;
	g[REG_R14] = handler_regs.r14;
	g[REG_R15] = handler_regs.r15;
	g[REG_R8] = handler_regs.r8;
}

static void test_plain(void)
{
	struct kt_regs r, want;
	char c = 'x';
	int i, ok = 1;

	for (i = 0; i < 1000 && ok; i++) {
		fill(&r, SYS_getpid, 0x100 + i);
		want = r;
		kt_syscall_regs(&r);
		ok = !differs(&r, &want, 1) && r.rax == (unsigned long)getpid();
	}
	kt_check(ok, "getpid x1000 keeps every register and returns the pid");
	fill(&r, SYS_write, 0x200);
	r.rdi = open("/dev/null", O_WRONLY);
	r.rsi = (unsigned long)&c;
	r.rdx = 1;
	want = r;
	kt_syscall_regs(&r);
	kt_check(r.rax == 1, "write to /dev/null returns 1 (got %ld)", (long)r.rax);
	check_kept("write", &r, &want);
	close(want.rdi);
}

static void test_fork(void)
{
	struct kt_regs r, want;
	int st;

	fill(&r, SYS_fork, 0x300);
	want = r;
	kt_syscall_regs(&r);
	if (r.rax == 0)
		_exit(differs(&r, &want, 1) ? 1 : 0);
	kt_check((long)r.rax > 0, "fork returns a pid");
	check_kept("fork (parent)", &r, &want);
	waitpid(r.rax, &st, 0);
	kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		 "fork child starts with the parent's registers (status %#x)", st);
}

static void test_sigreturn(void)
{
	struct sigaction sa = { .sa_sigaction = edit_handler, .sa_flags = SA_SIGINFO };
	struct kt_regs r, want;
	const char *bad;

	sigaction(SIGUSR1, &sa, NULL);
	fill(&handler_regs, 0, 0x5000);
	fill(&r, SYS_kill, 0x400);
	r.rdi = getpid();
	r.rsi = SIGUSR1;
	want = r;
	want.rbx = handler_regs.rbx;
	want.rbp = handler_regs.rbp;
	want.r12 = handler_regs.r12;
	want.r13 = handler_regs.r13;
	want.r14 = handler_regs.r14;
	want.r15 = handler_regs.r15;
	want.r8 = handler_regs.r8;
	kt_syscall_regs(&r);
	bad = differs(&r, &want, 1);
	kt_check(r.rax == 0 && !bad,
		 "a handler's ucontext edits reach the interrupted code (first bad: %s)",
		 bad ? bad : "none");
	signal(SIGUSR1, SIG_DFL);
}

/*
 * The tracee forks under PTRACE_O_TRACEFORK; at the fork event stop the
 * tracer checks the registers it reads and replaces the callee-saved ones.
 */
static void test_ptrace_event(void)
{
	struct user_regs_struct u;
	struct kt_regs r, want, child_want;
	pid_t pid, w;
	int st, read_ok = 0, set_ok = 0, events = 0;

	fill(&r, SYS_fork, 0x600);
	child_want = r;
	want = r;
	want.rbx = 0xb0b0b0b0b0ul;
	want.rbp = 0xbebebebebeul;
	want.r12 = 0x1212121212ul;
	want.r15 = 0x1515151515ul;
	pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		kt_syscall_regs(&r);
		if (r.rax == 0)	/* the grandchild: a copy taken before the stop */
			_exit(differs(&r, &child_want, 1) ? 3 : 0);
		waitpid(r.rax, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			_exit(4);
		_exit(differs(&r, &want, 1) ? 2 : 0);
	}
	waitpid(pid, &st, 0);
	ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACEFORK);
	ptrace(PTRACE_CONT, pid, 0, 0);
	for (;;) {
		w = waitpid(-1, &st, __WALL);
		if (w < 0)
			break;
		if (w != pid) {	/* the auto-attached grandchild: let it go */
			if (WIFSTOPPED(st))
				ptrace(PTRACE_DETACH, w, 0, 0);
			continue;
		}
		if (!WIFSTOPPED(st))
			break;
		if ((st >> 8) == (SIGTRAP | (PTRACE_EVENT_FORK << 8))) {
			events++;
			ptrace(PTRACE_GETREGS, pid, 0, &u);
			read_ok = u.rbx == r.rbx && u.rbp == r.rbp && u.r12 == r.r12 &&
				  u.r13 == r.r13 && u.r14 == r.r14 && u.r15 == r.r15 &&
				  u.rdi == r.rdi && u.r9 == r.r9;
			u.rbx = want.rbx;
			u.rbp = want.rbp;
			u.r12 = want.r12;
			u.r15 = want.r15;
			set_ok = ptrace(PTRACE_SETREGS, pid, 0, &u) == 0;
			ptrace(PTRACE_CONT, pid, 0, 0);
		} else {
			ptrace(PTRACE_CONT, pid, 0, WSTOPSIG(st) == SIGTRAP ? 0 : WSTOPSIG(st));
		}
	}
	kt_check(events == 1, "one PTRACE_EVENT_FORK stop (got %d)", events);
	kt_check(read_ok, "the tracer reads the tracee's registers inside fork()");
	kt_check(set_ok, "PTRACE_SETREGS at the event stop succeeds");
	kt_check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		 "fork() returns with the tracer's registers, the new child with the old ones (exit %d)",
		 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(void)
{
	printf("# regs: mode %s, CPL %d\n", kt_mode(), kt_cpl());
	test_plain();
	test_fork();
	test_sigreturn();
	test_ptrace_event();
	return kt_done();
}
