// SPDX-License-Identifier: GPL-2.0
/*
 * Direct calls through libkml (libkml/kml.h).  From /trusted the process
 * finds the kernel's direct-call entry in its auxiliary vector and
 * kml_syscall*() call it, and it asks for the sled at address 0 for the
 * "call *%rax" checks; from /bin the same calls fall back to SYSCALL and
 * must behave the same.  Checks: results, every register and the red zone kept, invalid
 * numbers, the direct_calls counter, a 1 kHz signal storm during a tight
 * loop, SA_RESTART and restart_syscall, ptrace single-stepping through a
 * whole call, vfork and clone3 on a new stack, loopback UDP (softirqs on
 * the IRQ stack, run from inside the call) under interrupts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include "kml.h"
#include "kt.h"
#include "kt-regs.h"

/* The direct-call page at address 0. */
#define KML_PAGE_SIZE 4096UL

static int direct_expected(void)
{
	const char *e = getenv("KMLTEST_EXPECT_CPL");

	return e && atoi(e) == 0 && kt_cpl() == 0;
}

/* The [kml] page at 0: read-only, or execute-only with protection keys. */
static int maps_has_kml_page(void)
{
	const char *want = kt_ospke() ? "00000000-00001000 --xp" : "00000000-00001000 r-xp";
	char line[256];
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "[kml]") && !strncmp(line, want, 22))
			found = 1;
	if (f)
		fclose(f);
	return found;
}

/*
 * The entry the page's last 32 bytes name (arch/x86/kml/kml.c, struct
 * kml_direct_header: "KMLDCALL", then hex digits written as 0x40 + digit),
 * 0 if they do not.
 */
static unsigned long page_header_entry(void)
{
	const volatile unsigned char *h;
	unsigned long v = 0;
	int i;

	__asm__("mov %1, %0" : "=r"(h) : "i"(0xfe0));
	for (i = 0; i < 8; i++)
		if (h[i] != (unsigned char)"KMLDCALL"[i])
			return 0;
	for (i = 16; i < 32; i++) {
		if ((h[i] & 0xf0) != 0x40)
			return 0;
		v = v << 4 | (h[i] & 0xf);
	}
	return v;
}

/*
 * A raw "call *%rax" with number n, as at a rewritten SYSCALL site, with
 * every other register loaded from in[] (rbx, rbp, r12-r15, rdi, rdx, rcx,
 * r8-r11, rsi).  kt_raw_rsp is RSP just before the call.
 */
long kt_raw_call(long n, const unsigned long *in);
unsigned long kt_raw_rsp;
__asm__(
	".text\n"
	".globl kt_raw_call\n"
	"kt_raw_call:\n\t"
	"push %rbx\n\tpush %rbp\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n\t"
	"mov %rdi, %rax\n\t"
	"mov 0(%rsi), %rbx\n\tmov 8(%rsi), %rbp\n\tmov 16(%rsi), %r12\n\t"
	"mov 24(%rsi), %r13\n\tmov 32(%rsi), %r14\n\tmov 40(%rsi), %r15\n\t"
	"mov 48(%rsi), %rdi\n\tmov 56(%rsi), %rdx\n\tmov 64(%rsi), %rcx\n\t"
	"mov 72(%rsi), %r8\n\tmov 80(%rsi), %r9\n\tmov 88(%rsi), %r10\n\t"
	"mov 96(%rsi), %r11\n\tmov 104(%rsi), %rsi\n\t"
	"lea -128(%rsp), %rsp\n\t"
	"mov %rsp, kt_raw_rsp(%rip)\n\t"
	"call *%rax\n\t"
	"lea 128(%rsp), %rsp\n\t"
	"pop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %rbp\n\tpop %rbx\n\t"
	"ret\n");

/*
 * A direct getpid through "call *%rax" with a known RCX: out[0] gets RCX
 * after the call, out[1] R11, out[2] the return address.
 */
void kt_rcx_r11(unsigned long *out);
__asm__(
	".text\n"
	".globl kt_rcx_r11\n"
	"kt_rcx_r11:\n\t"
	"mov %rdi, %r8\n\t"
	"mov $39, %eax\n\t"
	"movabs $0x1234567887654321, %rcx\n\t"
	"lea -128(%rsp), %rsp\n\t"
	"call *%rax\n"
	"1:\tlea 128(%rsp), %rsp\n\t"
	"mov %rcx, 0(%r8)\n\t"
	"mov %r11, 8(%r8)\n\t"
	"lea 1b(%rip), %rdx\n\t"
	"mov %rdx, 16(%r8)\n\t"
	"ret\n");

/* A direct call of number nr whose return address is the global kt_step_ret. */
long kt_step_call(long direct, long nr);
__asm__(
	".text\n"
	".globl kt_step_call\n"
	".globl kt_step_ret\n"
	"kt_step_call:\n\t"
	"mov %rsi, %rax\n\t"
	"test %rdi, %rdi\n\t"
	"jz 1f\n\t"
	"lea -128(%rsp), %rsp\n\t"
	"call *%rax\n"
	"kt_step_ret:\n\t"
	"lea 128(%rsp), %rsp\n\t"
	"ret\n"
	"1:\tsyscall\n"
	".globl kt_step_ret_syscall\n"
	"kt_step_ret_syscall:\n\t"
	"ret\n");
extern char kt_step_ret[], kt_step_ret_syscall[];

/* clone3(args) on a new stack; the child exits with 42 at once. */
long kt_clone3_exit(struct clone_args *args, long size, long direct);
__asm__(
	".text\n"
	".globl kt_clone3_exit\n"
	"kt_clone3_exit:\n\t"
	"mov $435, %eax\n\t"
	"test %rdx, %rdx\n\t"
	"jz 1f\n\t"
	"lea -128(%rsp), %rsp\n\t"
	"call *%rax\n\t"
	"lea 128(%rsp), %rsp\n\t"
	"jmp 2f\n"
	"1:\tsyscall\n"
	"2:\ttest %rax, %rax\n\t"
	"jz 3f\n\t"
	"ret\n"
	"3:\tmov $42, %edi\n\t"		/* child, on its own stack */
	"mov $60, %eax\n\t"
	"test %rdx, %rdx\n\t"
	"jz 4f\n\t"
	"call *%rax\n"
	"4:\tsyscall\n\t"
	"ud2\n");

static volatile sig_atomic_t ticks;

static void on_tick(int sig)
{
	ticks++;
}

static void set_timer(long usec)
{
	struct itimerval it = { { 0, usec }, { 0, usec } };

	setitimer(ITIMER_REAL, &it, NULL);
}

static void handle(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigaction(sig, &sa, NULL);
}

static void test_storm(void)
{
	long i, bad = 0, badregs = 0, r, n = 100000;
	long pid = getpid();

	ticks = 0;
	handle(SIGALRM, on_tick, SA_RESTART);
	set_timer(1000);
	for (i = 0; i < n; i++) {
		if (kml_syscall0(SYS_getpid) != pid)
			bad++;
		if ((i & 15) == 0 && (kt_regs_call(kml_direct, &r) || r != pid))
			badregs++;
	}
	set_timer(0);
	kt_check(bad == 0 && badregs == 0,
		 "%ld getpid calls under a 1 kHz SIGALRM storm: %ld wrong results, %ld register/red-zone corruptions (%d signals)",
		 n, bad, badregs, (int)ticks);
	kt_check(ticks > 0, "the storm delivered signals during the loop (%d)", (int)ticks);
}

/*
 * Loopback UDP through direct calls.  A sendto() hands the datagram to
 * the loopback device, whose receive side runs as a softirq when the call
 * re-enables bottom halves: on this CPU's IRQ stack, called from inside
 * the system call.  A 1 kHz timer makes interrupts land there too.
 */
static void test_softirq(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	long i, bad = 0, r, n = 20000;
	unsigned char out[64], in[64];
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (void *)&a, sizeof(a)) || getsockname(s, (void *)&a, &len)) {
		kt_check(0, "a loopback UDP socket (%s)", strerror(errno));
		return;
	}
	ticks = 0;
	handle(SIGALRM, on_tick, SA_RESTART);
	set_timer(1000);
	for (i = 0; i < n; i++) {
		memset(out, (int)i, sizeof(out));
		out[0] = (unsigned char)(i >> 8);
		r = kml_syscall6(SYS_sendto, s, (long)out, sizeof(out), 0, (long)&a, sizeof(a));
		if (r != sizeof(out)) {
			bad++;
			continue;
		}
		r = kml_syscall6(SYS_recvfrom, s, (long)in, sizeof(in), 0, 0, 0);
		if (r != sizeof(in) || memcmp(in, out, sizeof(in)))
			bad++;
	}
	set_timer(0);
	close(s);
	kt_check(bad == 0 && ticks > 0,
		 "%ld loopback UDP datagrams sent and received by direct calls under a 1 kHz timer: %ld lost or wrong (%d signals)",
		 n, bad, (int)ticks);
}

/* A read blocked in a direct call, interrupted by handled signals. */
static void test_restart(int flags, long want)
{
	int p[2], status;
	char c = 0;
	long r;
	pid_t w;

	if (pipe(p))
		return;
	w = fork();
	if (w == 0) {
		usleep(300000);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		_exit(0);
	}
	ticks = 0;
	handle(SIGALRM, on_tick, flags);
	set_timer(20000);
	r = kml_syscall3(SYS_read, p[0], (long)&c, 1);
	set_timer(0);
	waitpid(w, &status, 0);
	kt_check(r == want && ticks > 0,
		 "blocking read %s SA_RESTART: result %ld (want %ld) after %d signals",
		 flags ? "with" : "without", r, want, (int)ticks);
	close(p[0]);
	close(p[1]);
}

static volatile sig_atomic_t usr1;

static void on_usr1(int sig)
{
	usr1++;
}

/*
 * A call made with RFLAGS.NT set (the program's business: POPF sets it at
 * any CPL).  SYSCALL masks NT (MSR_SYSCALL_MASK); a direct call must clear
 * it itself, or the kernel runs the call with NT set and its IRET, on an
 * exit that delivers a signal, raises #GP: the program died of SIGSEGV
 * at its call.  The call sends the process a handled signal, so that
 * exit is the one taken.  In a child: a failure is a signal.
 */
static void test_nt_flag(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		unsigned long entry = kml_direct_entry, flags;
		long r = SYS_kill, self = getpid();

		handle(SIGUSR1, on_usr1, 0);
		register long a1 __asm__("rdi") = self;
		register long a2 __asm__("rsi") = SIGUSR1;

		__asm__ volatile("pushfq\n\t"
				 "orq $0x4000, (%%rsp)\n\t"	/* NT */
				 "popfq\n\t"
				 KML_DIRECT_CALL "\n\t"
				 "pushfq\n\t"
				 "popq %2\n\t"
				 "pushq $0x202\n\t"
				 "popfq"
				 : "+a"(r), "+c"(entry), "=r"(flags), "+r"(a1), "+r"(a2)
				 : : KML_CLOBBERS, "rdx", "r8", "r9", "r10");
		_exit(r == 0 && usr1 == 1 ? 0 : 2);
	}
	waitpid(pid, &status, 0);
	kt_check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		 "a call made with RFLAGS.NT set that delivers a signal returns (status %#x: %s)",
		 status, WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exit");
}

/* Waits up to 10 s until task @pid is in system call @nr; 1 if it was. */
static int wait_in_syscall(pid_t pid, long nr)
{
	char path[64], buf[64];
	int i, fd;
	ssize_t r;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	for (i = 0; i < 10000; i++) {
		fd = open(path, O_RDONLY);
		r = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (r > 0) {
			buf[r] = 0;
			if (atol(buf) == nr)
				return 1;
		}
		usleep(1000);
	}
	return 0;
}

/* nanosleep stopped and continued: restarted through restart_syscall. */
static void test_restart_block(void)
{
	struct timespec t0, t1, req = { 0, 400000000 };
	int status, in_sleep, stopped;
	pid_t c;

	c = fork();
	if (c == 0) {
		long r;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = kml_syscall2(SYS_nanosleep, (long)&req, 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		_exit(r == 0 && (t1.tv_sec - t0.tv_sec) * 1000000000L +
		      (t1.tv_nsec - t0.tv_nsec) >= 400000000L ? 0 : 1);
	}
	/* Not left to luck: the stop lands while the child sleeps in it. */
	in_sleep = wait_in_syscall(c, SYS_nanosleep);
	kill(c, SIGSTOP);
	stopped = waitpid(c, &status, WUNTRACED) == c && WIFSTOPPED(status);
	usleep(100000);
	kill(c, SIGCONT);
	waitpid(c, &status, 0);
	kt_check(in_sleep && stopped && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		 "nanosleep stopped (%s, %s) and continued completes its full time "
		 "(restart_syscall)", in_sleep ? "while in it" : "NOT seen in it",
		 stopped ? "stop reported" : "NO stop reported");
}

/*
 * Single-step a whole call of number nr: getpid, 1000, which is no system
 * call and lands on the int3 filler of the page past the sled, or -1,
 * which faults on the unmapped top page of the address space.
 */
static void test_single_step(long nr)
{
	char what[32];
	unsigned long want;
	struct user_regs_struct regs;
	long steps = 0, sled = 0, kernel = 0, other_stops = 0;
	int status, reached = 0;
	pid_t c;

	if (nr == SYS_getpid)
		snprintf(what, sizeof(what), "getpid");
	else
		snprintf(what, sizeof(what), "number %ld", nr);
	c = fork();
	if (c == 0) {
		long r;

		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		r = kt_step_call(kml_direct, nr);
		_exit(r == (nr == SYS_getpid ? getpid() : -ENOSYS) ? 0 : 1);
	}
	want = nr == SYS_getpid ? (unsigned long)c : (unsigned long)-ENOSYS;
	waitpid(c, &status, 0);
	while (steps < 200000) {
		if (ptrace(PTRACE_SINGLESTEP, c, 0, 0))
			break;
		waitpid(c, &status, 0);
		if (!WIFSTOPPED(status))
			break;
		if (WSTOPSIG(status) != SIGTRAP) {
			other_stops++;
			break;
		}
		steps++;
		ptrace(PTRACE_GETREGS, c, 0, &regs);
		/* The page at 0, or the top page a negative number calls. */
		if (regs.rip < KML_PAGE_SIZE || regs.rip >= -KML_PAGE_SIZE)
			sled++;
		else if (regs.rip >= 0x800000000000UL)
			kernel++;
		if (regs.rip == (unsigned long)(kml_direct ? kt_step_ret : kt_step_ret_syscall)) {
			reached = regs.rax == want;
			break;
		}
	}
	kt_check(reached, "%s: single-stepped to the return address of the call, rax = %s (%ld steps)",
		 what, nr == SYS_getpid ? "pid" : "-ENOSYS", steps);
	kt_check(kernel == 0, "%s: no step stopped inside the kernel entry (%ld did)", what, kernel);
	if (kml_direct)
		kt_check(sled > 0, "%s: steps went through the direct-call page or the top page (%ld)",
			 what, sled);
	ptrace(PTRACE_CONT, c, 0, 0);
	waitpid(c, &status, 0);
	kt_check(other_stops == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		 "%s: the stepped child finished normally", what);
}

static void test_vfork(void)
{
	int status = 0;
	long pid;

	pid = kml_syscall0(SYS_vfork);
	if (pid == 0)
		kml_syscall1(SYS_exit, 7);
	waitpid(pid, &status, 0);
	kt_check(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 7,
		 "vfork through the call: the parent returns after the child used the stack");
}

static void test_clone3(void)
{
	static char stack[65536] __attribute__((aligned(16)));
	struct clone_args args;
	int status = 0;
	long pid;

	memset(&args, 0, sizeof(args));
	args.flags = CLONE_VM;
	args.exit_signal = SIGCHLD;
	args.stack = (uintptr_t)stack;
	args.stack_size = sizeof(stack);
	pid = kt_clone3_exit(&args, sizeof(args), kml_direct);
	if (pid > 0)
		waitpid(pid, &status, 0);
	kt_check(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 42,
		 "clone3 on a new stack: the child runs on it and exits (pid %ld)", pid);
}

/*
 * Numbers that are not system calls, made as a rewritten site makes them:
 * "call *%rax".  Inside the page (below 4096) they must give -ENOSYS like
 * SYSCALL: through the sled, and past it because the kernel sends the
 * fault there to the entry.  So must -4096 to -1, whose call faults on the
 * top page of the address space, which is never mapped (-1 is the usual
 * invalid number).  Anywhere else either that or a signal that
 * stops the program before anything has changed: every register but RIP
 * as it was at the call (RSP at most one return address lower) and the
 * memory every register points to untouched.  Without the page (ring 3)
 * every one faults.
 */
static sigjmp_buf raw_env;
static volatile int raw_sig;
static gregset_t raw_gregs;
static unsigned char raw_mem[16 * 256];

static void on_raw_fault(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)si;
	raw_sig = sig;
	memcpy(raw_gregs, uc->uc_mcontext.gregs, sizeof(raw_gregs));
	siglongjmp(raw_env, 1);
}

/* 0 if the outcome of number n was right, else a short reason. */
static const char *raw_check(long n, int direct)
{
	static const int reg[] = { REG_RBX, REG_RBP, REG_R12, REG_R13, REG_R14,
				   REG_R15, REG_RDI, REG_RDX, REG_RCX, REG_R8,
				   REG_R9, REG_R10, REG_R11, REG_RSI };
	unsigned long in[14];
	unsigned int i;
	long r = 0;

	memset(raw_mem, 0x5a, sizeof(raw_mem));
	for (i = 0; i < 14; i++)
		in[i] = (unsigned long)raw_mem + 256 * i + 128;
	raw_sig = 0;
	if (!sigsetjmp(raw_env, 1))
		r = kt_raw_call(n, in);
	for (i = 0; i < sizeof(raw_mem); i++)
		if (raw_mem[i] != 0x5a)
			return "memory changed";
	if (direct && raw_sig &&
	    ((unsigned long)n < KML_PAGE_SIZE || (unsigned long)n >= -KML_PAGE_SIZE))
		return "signal instead of -ENOSYS";
	if (!raw_sig)
		return r != -ENOSYS ? "returned, but not -ENOSYS" : NULL;
	if (raw_sig != SIGILL && raw_sig != SIGTRAP && raw_sig != SIGSEGV &&
	    raw_sig != SIGBUS)
		return "unexpected signal";
	if ((unsigned long)raw_gregs[REG_RAX] != (unsigned long)n)
		return "rax changed";
	for (i = 0; i < 14; i++)
		if ((unsigned long)raw_gregs[reg[i]] != in[i])
			return "a register changed";
	if ((unsigned long)raw_gregs[REG_RSP] != kt_raw_rsp &&
	    (unsigned long)raw_gregs[REG_RSP] != kt_raw_rsp - 8)
		return "rsp changed";
	return NULL;
}

static void test_bad_numbers(void)
{
	static const long far[] = { 4096, 4097, 8191, 65536, 1L << 20, 0x40000000 + 39,
				    -1, -2, -ENOSYS, -4095, -4096, -4097, 1L << 47,
				    (long)(1UL << 63) };
	static char altstack[65536];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa, old[4];
	static const int sigs[] = { SIGILL, SIGTRAP, SIGSEGV, SIGBUS };
	unsigned int i, bad = 0, tried = 0;
	const char *why, *first_why = NULL;
	long n, first = 0;

	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_raw_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old[i]);
	/* 335 is uretprobe: SIGILL for any caller but the uprobe trampoline. */
	for (n = 336; n < 4096 + (long)(sizeof(far) / sizeof(far[0])); n++) {
		long num = n < 4096 ? n : far[n - 4096];

		if (num >= 424 && num <= 462)	/* the system calls there */
			continue;
		tried++;
		why = raw_check(num, kml_direct);
		if (why && !bad++) {
			first = num;
			first_why = why;
		}
		if (why && bad <= 32)
			printf("# number %ld: %s (signal %d)\n", num, why, raw_sig);
	}
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	if (kml_direct)
		kt_check(bad == 0, "%u numbers that are no system call, by call *%%rax: -ENOSYS below %lu "
			 "(the sled ends at %lu) and from -%lu to -1, else a signal with registers and "
			 "memory intact (%u wrong, first %ld: %s)", tried, KML_PAGE_SIZE,
			 kml_direct_limit, KML_PAGE_SIZE, bad, first,
			 first_why ? first_why : "-");
	else
		kt_check(bad == 0, "%u numbers that are no system call, by call *%%rax without the page: "
			 "a signal with registers and memory intact (%u wrong, first %ld: %s)",
			 tried, bad, first, first_why ? first_why : "-");
	kt_check(kml_syscall0(1000) == -ENOSYS && kml_syscall0(-1) == -ENOSYS &&
		 kml_syscall0(4095) == -ENOSYS, "libkml: numbers 1000, 4095 and -1 give -ENOSYS");
}

int main(int argc, char **argv)
{
	int want = direct_expected();
	unsigned long before, after;
	long r, mask, n;
	int p[2];
	char c;

	/* kt-direct getppid N: N direct calls of getppid, for strace.sh */
	if (argc == 3 && !strcmp(argv[1], "getppid")) {
		for (n = atoi(argv[2]); n > 0; n--)
			kml_syscall0(SYS_getppid);
		printf("direct=%d\n", kml_direct);
		return 0;
	}
	kt_check(kml_direct == want, "direct calls %savailable (%s mode, CPL %d)",
		 want ? "" : "not ", kt_mode(), kt_cpl());
	{
		/* The rewriter (modes shim and rewrite) asks for the sled itself. */
		int asked = want && (!strcmp(kt_mode(), "shim") || !strcmp(kt_mode(), "rewrite"));
		unsigned long sled;

		kt_check(maps_has_kml_page() == asked, "/proc/self/maps %s the [kml] page at 0 "
			 "before this program asks for it", asked ? "shows" : "does not show");
		sled = kml_direct_sled();
		kt_check((sled != 0) == want, "ARCH_KML_SLED %s (sled of %lu numbers)",
			 want ? "maps the sled" : "is refused", sled);
		kt_check(maps_has_kml_page() == want, "/proc/self/maps %s the [kml] page at 0",
			 want ? "shows" : "does not show");
		kt_check(kml_direct_sled() == kml_direct_limit, "asking twice changes nothing");
		if (want && !kt_ospke())	/* else execute-only: tests/guest/null.c */
			kt_check(page_header_entry() == kml_direct_entry,
				 "the page's header names the entry of the auxiliary vector (%#lx, %#lx)",
				 page_header_entry(), kml_direct_entry);
	}
	kt_check(kml_syscall0(SYS_getpid) == getpid(), "getpid");
	if (pipe(p) == 0) {
		kt_check(kml_syscall3(SYS_write, p[1], (long)"k", 1) == 1 &&
			 read(p[0], &c, 1) == 1 && c == 'k', "write of one byte");
		close(p[0]);
		close(p[1]);
	}
	kt_check(kml_syscall3(SYS_write, 12345, (long)"k", 1) == -EBADF, "an error comes back as -errno");
	errno = 0;
	kt_check(syscall(SYS_getppid) == getppid() && syscall(SYS_close, 12345) == -1 &&
		 errno == EBADF, "libkml syscall() replacement sets errno");
	{
		/* Not 335: uretprobe, in 6.12.117, with CONFIG_UPROBES. */
		static const long unused[] = { 336, 350, 400, 423, 463, 470, 500, 540, 559 };
		unsigned int i, ok = 0;

		for (i = 0; i < sizeof(unused) / sizeof(unused[0]); i++)
			ok += kml_syscall0(unused[i]) == -ENOSYS;
		kt_check(ok == i, "unused numbers from 336 to 559 give -ENOSYS (%u of %u)", ok, i);
	}
	if (want) {
		unsigned long out[3];

		kt_rcx_r11(out);
		kt_check(out[1] == 0x202 &&
			 (out[0] == out[2] || out[0] == 0x1234567887654321UL),
			 "after a direct call R11 = the saved flags (%#lx), RCX = the return "
			 "address or, from the generic exit, its value at the call", out[1]);
	}
	mask = kt_regs_call(kml_direct, &r);
	kt_check(mask == 0 && r == getpid(),
		 "all registers but rax/rcx/r11, and the red zone, kept (changed: %#lx)", mask);

	before = kt_direct_calls();
	for (n = 0; n < 1000; n++)
		kml_syscall0(SYS_getpid);
	after = kt_direct_calls();
	if (want)
		kt_check(after - before >= 1000, "/sys/kernel/kml/direct_calls counts them (+%lu)",
			 after - before);

	test_storm();
	test_softirq();
	test_restart(SA_RESTART, 1);
	test_restart(0, -EINTR);
	test_restart_block();
	test_single_step(SYS_getpid);
	test_single_step(1000);
	test_single_step(-1);
	test_vfork();
	test_clone3();
	test_bad_numbers();
	test_nt_flag();
	return kt_done();
}
