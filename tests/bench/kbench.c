// SPDX-License-Identifier: GPL-2.0
/*
 * kbench: microbenchmarks in the spirit of lmbench, for "make bench".
 *
 *   kbench [-t ms] [-b batches] MODE [BENCH...]
 *
 * For each benchmark (all when none is named) it picks an operation count
 * n that takes about -t milliseconds of CLOCK_MONOTONIC (default 20), then
 * times -b batches (default 5) of n operations and prints one line
 *
 *   KMLBENCH: <bench> <MODE> ops=<n> ticks=<med>,<min>,<max> ns=<med>,<min>,<max>
 *
 * with the guest TSC ticks and CLOCK_MONOTONIC nanoseconds per operation
 * (median, lowest and highest batch).  Under "qemu -icount shift=0" a
 * TSC tick is one executed instruction; under plain TCG the nanoseconds
 * are the wall time of the emulation.  The host (scripts/bench.sh) keeps
 * the figure that fits the boot.  The program does nothing KML-specific:
 * where it runs from and how it was linked decide the mode.
 *
 * "kbench -c" prints the privilege level it runs at (CS & 3).
 *
 * Every timed region is also marked for the cost plugin (tests/cost,
 * kml-mark.h: NOPs on a CPU).  With -m, kbench prints after each run of
 * a benchmark, the warm-up and calibration runs included, how to weigh
 * the regions it marked:
 *
 *   KMLCOSTRUN: <bench> <MODE> <cal|batch> ops=<n> w=<w1>,...
 *
 * so that the host can turn the plugin's counts into counts per
 * operation (scripts/costs.py).
 *
 * fork_exec runs kb-nop (nop.c, static) from the directory kbench is in,
 * so that every mode execs the same small program; fork_exec_dyn runs
 * kb-nop-dyn, the same linked with libc.so: ld.so and libc's start-up, and
 * in kml-direct mode (the host lists the rewriter in /etc/ld.so.preload)
 * the rewriter's search of every object it loads.
 *
 * KBENCH_LAYOUT (scripts/layout-control.sh) gives a program outside KML
 * the mappings that the rewriter adds to a direct-mode process, so that
 * the same kernel measures what they cost with no KML path involved: "0"
 * a page at address 0 with its page present (the direct-call page; root
 * and vm.mmap_min_addr=0), "c" the site cache /etc/kml-rewrite.cache,
 * mapped as the rewriter mapped it for the whole run until it kept it
 * only while it works (now only "0" is the direct mode's layout).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include "kml-mark.h"

#define FILE_PATH "/etc/passwd"
#define NSELECT 10
#define PF_CHUNK 4096L		/* pages mapped at a time by "pagefault" */

struct cost {
	double ticks, ns;
	double cpu_ns;		/* the thread's own CPU time (-v) */
	long csw;		/* its context switches (-v) */
};

struct clk {
	uint64_t tsc;
	struct timespec ts;
	struct timespec cpu;
	long csw;
};

static struct clk now(void)
{
	struct clk c;

	clock_gettime(CLOCK_MONOTONIC, &c.ts);
	c.tsc = __rdtsc();
	return c;
}

/* The marked regions of the current run and their weights (see top). */
#define MAX_REGIONS 64
static double region_w[MAX_REGIONS];
static int regions;
static int mark_runs;
static int verbose;

/*
 * The thread's CPU time and context switches, read outside the TSC and
 * CLOCK_MONOTONIC window: -v compares them per batch with the TSC, which
 * under -icount counts every instruction the vCPU ran, interrupts and
 * other tasks included.
 */
static void thread_clock(struct clk *c)
{
	struct rusage ru;

	if (!verbose)
		return;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c->cpu);
	getrusage(RUSAGE_THREAD, &ru);
	c->csw = ru.ru_nvcsw + ru.ru_nivcsw;
}

static double ts_ns(struct timespec a, struct timespec b)
{
	return (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
}

/* The start of a timed region: its clock, then the cost marker. */
static struct clk start(void)
{
	struct clk t = { 0 }, c;

	thread_clock(&t);
	c = now();
	c.cpu = t.cpu;
	c.csw = t.csw;

	kml_mark_begin();
	if (regions < MAX_REGIONS)
		region_w[regions] = 1;
	regions++;
	return c;
}

static struct cost since(struct clk a)
{
	kml_mark_end();

	struct clk b = now();
	struct cost c;

	thread_clock(&b);
	c.ticks = (double)(b.tsc - a.tsc);
	c.ns = ts_ns(a.ts, b.ts);
	c.cpu_ns = ts_ns(a.cpu, b.cpu);
	c.csw = b.csw - a.csw;
	return c;
}

static void die(const char *what)
{
	fprintf(stderr, "kbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

#define CHECK(x) do { if ((x) < 0) die(#x); } while (0)

/* Times @stmt run @n times. */
#define TIMED(n, stmt) do {					\
	struct clk t0_ = start();				\
	for (long i_ = 0; i_ < (n); i_++) {			\
		stmt;						\
	}							\
	return since(t0_);					\
} while (0)

static char buf[64];
static int fd_zero, fd_null, fd_file;
static char nop_path[4096], nop_dyn_path[4096];

/* A peer process that echoes one byte per round trip until EOF. */
static int peer_in = -1, peer_out = -1;
static pid_t peer_pid;

static void peer_echo(int in, int out)
{
	char c;

	while (read(in, &c, 1) == 1)
		if (write(out, &c, 1) != 1)
			break;
	_exit(0);
}

static void peer_stop(void)
{
	if (peer_in >= 0)
		close(peer_in);
	if (peer_out >= 0 && peer_out != peer_in)
		close(peer_out);
	peer_in = peer_out = -1;
	if (peer_pid > 0)
		waitpid(peer_pid, NULL, 0);
	peer_pid = 0;
}

static void round_trip(void)
{
	char c = 'x';

	if (write(peer_out, &c, 1) != 1 || read(peer_in, &c, 1) != 1)
		die("round trip");
}

static void pipe_setup(void)
{
	int to[2], from[2];

	CHECK(pipe(to));
	CHECK(pipe(from));
	peer_pid = fork();
	CHECK(peer_pid);
	if (!peer_pid) {
		close(to[1]);
		close(from[0]);
		peer_echo(to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	peer_out = to[1];
	peer_in = from[0];
}

static void unix_setup(void)
{
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	peer_pid = fork();
	CHECK(peer_pid);
	if (!peer_pid) {
		close(sv[0]);
		peer_echo(sv[1], sv[1]);
	}
	close(sv[1]);
	peer_in = peer_out = sv[0];
}

static void tcp_setup(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int one = 1, l, s;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(l);
	CHECK(bind(l, (struct sockaddr *)&a, sizeof(a)));
	CHECK(listen(l, 1));
	CHECK(getsockname(l, (struct sockaddr *)&a, &len));
	peer_pid = fork();
	CHECK(peer_pid);
	if (!peer_pid) {
		s = accept(l, NULL, NULL);
		CHECK(s);
		close(l);
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		peer_echo(s, s);
	}
	close(l);
	s = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(s);
	CHECK(connect(s, (struct sockaddr *)&a, sizeof(a)));
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	peer_in = peer_out = s;
}

static struct cost b_null(long n) { TIMED(n, getpid()); }
static struct cost b_read(long n) { TIMED(n, (void)!read(fd_zero, buf, 1)); }
static struct cost b_write(long n) { TIMED(n, (void)!write(fd_null, buf, 1)); }

static struct cost b_stat(long n)
{
	struct stat st;

	TIMED(n, stat(FILE_PATH, &st));
}

static struct cost b_fstat(long n)
{
	struct stat st;

	TIMED(n, fstat(fd_file, &st));
}

static struct cost b_open(long n) { TIMED(n, close(open(FILE_PATH, O_RDONLY))); }
static struct cost b_round_trip(long n) { TIMED(n, round_trip()); }

static volatile sig_atomic_t caught;

static void on_usr1(int sig)
{
	caught++;
}

static struct cost b_sig_install(long n)
{
	struct sigaction sa = { .sa_handler = on_usr1 };

	TIMED(n, sigaction(SIGUSR1, &sa, NULL));
}

static struct cost b_sig_catch(long n)
{
	struct sigaction sa = { .sa_handler = on_usr1 };

	CHECK(sigaction(SIGUSR1, &sa, NULL));
	TIMED(n, kill(getpid(), SIGUSR1));
}

static void fork_wait(const char *exec)
{
	pid_t p = fork();
	int st;

	CHECK(p);
	if (!p) {
		if (exec)
			execl(exec, exec, (char *)NULL);
		_exit(0);
	}
	if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st))
		die("child");
}

static struct cost b_fork_exit(long n) { TIMED(n, fork_wait(NULL)); }
static struct cost b_fork_exec(long n) { TIMED(n, fork_wait(nop_path)); }
static struct cost b_fork_exec_dyn(long n) { TIMED(n, fork_wait(nop_dyn_path)); }

/* Write-touch fresh anonymous pages: one fault each, the mapping excluded. */
static struct cost b_pagefault(long n)
{
	struct cost c = { 0 }, part;
	long done = 0, k, i;
	char *p;

	while (done < n) {
		k = n - done < PF_CHUNK ? n - done : PF_CHUNK;
		p = mmap(NULL, k * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap");
		struct clk t0 = start();

		for (i = 0; i < k; i++)
			p[i * 4096] = 1;
		part = since(t0);
		c.ticks += part.ticks;
		c.ns += part.ns;
		c.cpu_ns += part.cpu_ns;
		c.csw += part.csw;
		munmap(p, k * 4096);
		done += k;
	}
	return c;
}

static void map_unmap(void)
{
	void *p = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	munmap(p, 16 * 4096);
}

static struct cost b_mmap(long n) { TIMED(n, map_unmap()); }

/*
 * Context switch, as lmbench's lat_ctx with two processes and no working
 * set: a token passed through pipes, less the cost of passing it to
 * oneself (a write and a read on one pipe, twice per round trip); one
 * round trip is two switches.
 */
static struct cost b_ctxsw(long n)
{
	struct cost rt, self;
	int p[2];
	char c = 'x';
	long rounds = (n + 1) / 2;

	{
		struct clk t0 = start();

		for (long i = 0; i < rounds; i++)
			round_trip();
		rt = since(t0);
	}
	CHECK(pipe(p));
	{
		struct clk t0 = start();

		for (long i = 0; i < 2 * rounds; i++)
			if (write(p[1], &c, 1) != 1 || read(p[0], &c, 1) != 1)
				die("self pipe");
		self = since(t0);
	}
	close(p[0]);
	close(p[1]);
	rt.ticks = (rt.ticks - self.ticks) * n / (2.0 * rounds);
	rt.ns = (rt.ns - self.ns) * n / (2.0 * rounds);
	rt.cpu_ns = rt.cpu_ns * n / (2.0 * rounds);
	/* the same weights for the cost counts of the two regions */
	if (regions == 2) {
		region_w[0] = n / (2.0 * rounds);
		region_w[1] = -n / (2.0 * rounds);
	}
	return rt;
}

static int sel_fds[NSELECT];

static void select_setup(void)
{
	for (int i = 0; i < NSELECT; i++) {
		sel_fds[i] = open(FILE_PATH, O_RDONLY);
		CHECK(sel_fds[i]);
	}
}

static void select_teardown(void)
{
	for (int i = 0; i < NSELECT; i++)
		close(sel_fds[i]);
}

static void select_once(void)
{
	struct timeval tv = { 0, 0 };
	fd_set r;
	int max = 0;

	FD_ZERO(&r);
	for (int i = 0; i < NSELECT; i++) {
		FD_SET(sel_fds[i], &r);
		if (sel_fds[i] > max)
			max = sel_fds[i];
	}
	if (select(max + 1, &r, NULL, NULL, &tv) != NSELECT)
		die("select");
}

static struct cost b_select(long n) { TIMED(n, select_once()); }

static struct cost b_clock(long n)
{
	struct timespec ts;

	TIMED(n, clock_gettime(CLOCK_MONOTONIC, &ts));
}

struct bench {
	const char *name;
	struct cost (*run)(long n);
	void (*setup)(void);
	void (*teardown)(void);
	const char *what;
};

static const struct bench benches[] = {
	{ "null", b_null, NULL, NULL, "getpid()" },
	{ "read", b_read, NULL, NULL, "read 1 byte of /dev/zero" },
	{ "write", b_write, NULL, NULL, "write 1 byte to /dev/null" },
	{ "stat", b_stat, NULL, NULL, "stat " FILE_PATH },
	{ "fstat", b_fstat, NULL, NULL, "fstat an open file" },
	{ "open_close", b_open, NULL, NULL, "open+close " FILE_PATH },
	{ "pipe", b_round_trip, pipe_setup, peer_stop, "pipe round trip, 2 processes" },
	{ "unix", b_round_trip, unix_setup, peer_stop, "AF_UNIX stream round trip" },
	{ "tcp", b_round_trip, tcp_setup, peer_stop, "TCP loopback round trip" },
	{ "sig_install", b_sig_install, NULL, NULL, "sigaction" },
	{ "sig_catch", b_sig_catch, NULL, NULL, "kill self, catch the signal" },
	{ "fork_exit", b_fork_exit, NULL, NULL, "fork, child exits, wait" },
	{ "fork_exec", b_fork_exec, NULL, NULL, "fork, exec a program that exits, wait" },
	{ "fork_exec_dyn", b_fork_exec_dyn, NULL, NULL,
	  "the same, the program linked with libc.so (and the rewriter in kml-direct)" },
	{ "pagefault", b_pagefault, NULL, NULL, "write fault on a fresh anonymous page" },
	{ "mmap", b_mmap, NULL, NULL, "mmap+munmap 64 KiB anonymous" },
	{ "ctxsw", b_ctxsw, pipe_setup, peer_stop, "context switch, 2 processes (lat_ctx)" },
	{ "select", b_select, select_setup, select_teardown, "select on 10 ready fds" },
	{ "clock_gettime", b_clock, NULL, NULL, "clock_gettime(CLOCK_MONOTONIC), vDSO" },
};

#define NBENCH (sizeof(benches) / sizeof(benches[0]))

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Runs @b over @n operations; with -m, says how to weigh its regions. */
static struct cost run_once(const struct bench *b, const char *mode, long n, int batch)
{
	struct cost c;
	int i;

	regions = 0;
	c = b->run(n);
	if (regions > MAX_REGIONS) {
		fprintf(stderr, "kbench: %s: %d marked regions, at most %d\n", b->name,
			regions, MAX_REGIONS);
		exit(1);
	}
	if (mark_runs) {
		printf("KMLCOSTRUN: %s %s %s ops=%ld w=", b->name, mode, batch ? "batch" : "cal", n);
		for (i = 0; i < regions; i++)
			printf("%s%.6g", i ? "," : "", region_w[i]);
		putchar('\n');
		fflush(stdout);
	}
	return c;
}

static void run_bench(const struct bench *b, const char *mode, double target_ns, int batches)
{
	double ticks[64], ns[64];
	struct cost c;
	long n = 1;
	int i;

	if (b->setup)
		b->setup();
	/* warm up, then grow n until one batch takes a quarter of the target */
	run_once(b, mode, 1, 0);
	for (;;) {
		c = run_once(b, mode, n, 0);
		if (c.ns >= target_ns / 4 || n >= (1L << 30))
			break;
		n *= 2;
	}
	if (c.ns > 0 && c.ns < target_ns)
		n = (long)(n * target_ns / c.ns) + 1;
	for (i = 0; i < batches; i++) {
		c = run_once(b, mode, n, 1);
		ticks[i] = c.ticks / n;
		ns[i] = c.ns / n;
		if (verbose)	/* ctxsw: its first region's CPU time */
			printf("KMLBATCH: %s %s %d ops=%ld ticks=%.1f ns=%.1f cpu_ns=%.1f csw=%ld\n",
			       b->name, mode, i, n, ticks[i], ns[i], c.cpu_ns / n, c.csw);
	}
	if (b->teardown)
		b->teardown();
	qsort(ticks, batches, sizeof(double), cmp_double);
	qsort(ns, batches, sizeof(double), cmp_double);
	printf("KMLBENCH: %s %s ops=%ld ticks=%.1f,%.1f,%.1f ns=%.1f,%.1f,%.1f\n",
	       b->name, mode, n, ticks[batches / 2], ticks[0], ticks[batches - 1],
	       ns[batches / 2], ns[0], ns[batches - 1]);
	fflush(stdout);
}

/* The direct mode's extra mappings, in a program that is not KML's. */
static void layout(const char *which)
{
	struct stat st;
	char *p;
	int fd;

	if (strchr(which, '0')) {
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		/* MAP_FIXED_NOREPLACE: there or nowhere */
		if (p == MAP_FAILED)
			die("KBENCH_LAYOUT: mmap at 0 (vm.mmap_min_addr?)");
		p[0] = 1;
		if (mprotect(p, 4096, PROT_EXEC))
			die("KBENCH_LAYOUT: mprotect");
	}
	if (strchr(which, 'c')) {
		fd = open("/etc/kml-rewrite.cache", O_RDONLY);
		if (fd < 0 || fstat(fd, &st) ||
		    mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED)
			die("KBENCH_LAYOUT: /etc/kml-rewrite.cache");
		close(fd);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: kbench [-m] [-v] [-t ms] [-b batches] MODE [BENCH...] | kbench -l | kbench -c\n");
	exit(2);
}

int main(int argc, char **argv)
{
	double target_ms = 20;
	int batches = 5, opt;
	ssize_t len;
	char *slash;

	while ((opt = getopt(argc, argv, "t:b:lcmv")) != -1) {
		switch (opt) {
		case 'm':
			mark_runs = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 't':
			target_ms = atof(optarg);
			break;
		case 'b':
			batches = atoi(optarg);
			break;
		case 'c': {
			unsigned short cs;

			__asm__ volatile("mov %%cs, %0" : "=r"(cs));
			printf("%d\n", cs & 3);
			return 0;
		}
		case 'l':
			for (size_t i = 0; i < NBENCH; i++)
				printf("%-14s %s\n", benches[i].name, benches[i].what);
			return 0;
		default:
			usage();
		}
	}
	if (optind >= argc || batches < 1 || batches > 64 || target_ms <= 0)
		usage();
	len = readlink("/proc/self/exe", nop_path, sizeof(nop_path) - 16);
	if (len < 0)
		die("readlink /proc/self/exe");
	nop_path[len] = 0;
	slash = strrchr(nop_path, '/');
	strcpy(slash ? slash + 1 : nop_path, "kb-nop");
	strcpy(nop_dyn_path, nop_path);
	strcat(nop_dyn_path, "-dyn");
	fd_zero = open("/dev/zero", O_RDONLY);
	fd_null = open("/dev/null", O_WRONLY);
	fd_file = open(FILE_PATH, O_RDONLY);
	if (fd_zero < 0 || fd_null < 0 || fd_file < 0)
		die("open");
	signal(SIGPIPE, SIG_IGN);
	if (getenv("KBENCH_LAYOUT"))
		layout(getenv("KBENCH_LAYOUT"));

	const char *mode = argv[optind++];

	for (size_t i = 0; i < NBENCH; i++) {
		int want = optind >= argc;

		for (int j = optind; j < argc; j++)
			want |= !strcmp(argv[j], benches[i].name);
		if (want)
			run_bench(&benches[i], mode, target_ms * 1e6, batches);
	}
	return 0;
}
