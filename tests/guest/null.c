// SPDX-License-Identifier: GPL-2.0
/*
 * NULL stays NULL: a process that did not ask for the direct-call sled
 * (ARCH_KML_SLED) has nothing mapped at address 0, from /trusted as from
 * /bin.  /proc/self/maps and PROCMAP_QUERY find no mapping there, reading
 * or calling address 0 gives SIGSEGV, system calls given a NULL pointer
 * fail with EFAULT, and calls to stray addresses (past where the sled
 * would end, in the top page) give SIGSEGV, not a system call.  In modes
 * shim and rewrite at CPL 0 the rewriter asked for the sled: the page is
 * there; on a CPU with protection keys it is execute-only, so reads and
 * NULL arguments still fault (SEGV_PKUERR, EFAULT), and without them only
 * the page's presence is checked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "kt.h"

/* PROCMAP_QUERY (Linux 6.11, include/uapi/linux/fs.h); Debian 12's headers predate it. */
struct kt_procmap_query {
	uint64_t size, query_flags, query_addr;
	uint64_t vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
	uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
	uint64_t vma_name_addr, build_id_addr;
};
#define KT_PROCMAP_QUERY _IOWR('f', 17, struct kt_procmap_query)

static sigjmp_buf jb;
static volatile int got_sig, got_code;
static void *volatile got_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_code = si->si_code;
	got_addr = si->si_addr;
	siglongjmp(jb, 1);
}


/* An address the compiler cannot see through. */
static void *addr(unsigned long a)
{
	void *p;

	__asm__("mov %1, %0" : "=r"(p) : "r"(a));
	return p;
}

/* The signal and fault address of reading one byte at @a, 0 if none. */
static int read_at(unsigned long a)
{
	got_sig = 0;
	got_addr = NULL;
	if (!sigsetjmp(jb, 1))
		(void)*(volatile char *)addr(a);
	return got_sig;
}

/*
 * The signal of "call *%rax" to @a with RAX = @a (a rewritten site's
 * form), and RAX as it came back if there was none.
 */
static int call_at(unsigned long a, long *ret)
{
	got_sig = 0;
	got_addr = NULL;
	if (!sigsetjmp(jb, 1))
		*ret = kt_call_rax(a);
	return got_sig;
}

/* errno after a call that returned @ret; 0 if it succeeded. */
static int fault_errno(long ret)
{
	return ret == -1 ? errno : 0;
}

/* The mapping at address 0 in /proc/self/maps: 1 if any. */
static int maps_at_zero(void)
{
	char line[256];
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "00000000-", 9))
			found = 1;
	if (f)
		fclose(f);
	return found;
}

/* PROCMAP_QUERY for the VMA covering address 0: 0 found, else errno. */
static int query_zero(void)
{
	struct kt_procmap_query q;
	int fd = open("/proc/self/maps", O_RDONLY), err;

	if (fd < 0)
		return errno;
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	err = ioctl(fd, KT_PROCMAP_QUERY, &q) ? errno : 0;
	close(fd);
	return err;
}

int main(void)
{
	const char *e = getenv("KMLTEST_EXPECT_CPL"), *m = kt_mode();
	int sled = e && atoi(e) == 0 && (!strcmp(m, "shim") || !strcmp(m, "rewrite"));
	static const unsigned long stray[] = { 0, 8, 0x800, 0xff0, -16UL, -4096UL };
	static char altstack[65536];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa;
	unsigned int i;
	int fd, sig, q, en;
	long r;

	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGTRAP, &sa, NULL);

	q = query_zero();
	if (sled) {
		kt_check(maps_at_zero(), "mode %s: the rewriter asked for the sled, the page is at 0",
			 m);
		kt_check(q == 0, "PROCMAP_QUERY finds it (%s)", strerror(q));
		if (!kt_ospke()) {
			printf("# no protection keys: the page is readable (Documentation/kml.rst)\n");
			return kt_done();
		}
		sig = read_at(0);
		kt_check(sig == SIGSEGV && got_code == SEGV_PKUERR && got_addr == NULL,
			 "with protection keys the page is execute-only: reading address 0 gives "
			 "SIGSEGV, SEGV_PKUERR (signal %d, code %d)", sig, got_code);
		sig = read_at(0xfe0);
		kt_check(sig == SIGSEGV && got_code == SEGV_PKUERR,
			 "reading the page's header faults too (signal %d, code %d)", sig, got_code);
	} else {
		kt_check(!maps_at_zero(), "/proc/self/maps shows nothing at address 0");
		kt_check(q == ENOENT, "PROCMAP_QUERY finds no mapping covering address 0 (%s)",
			 strerror(q));
		sig = read_at(0);
		kt_check(sig == SIGSEGV && got_addr == NULL, "reading address 0 gives SIGSEGV at 0 "
			 "(signal %d, address %p)", sig, got_addr);
		sig = read_at(0xfe0);
		kt_check(sig == SIGSEGV, "reading address 0xfe0 gives SIGSEGV (signal %d)", sig);
	}

	fd = memfd_create("kt-null", 0);
	en = fd < 0 ? -1 : fault_errno(write(fd, addr(0), 1));
	kt_check(en == EFAULT, "write() from a NULL buffer fails with EFAULT (%s)", strerror(en));
	en = fault_errno(pwrite(fd, addr(0), 16, 0));
	kt_check(en == EFAULT, "pwrite() from a NULL buffer fails with EFAULT (%s)", strerror(en));
	close(fd);
	fd = open("/dev/zero", O_RDONLY);
	en = fault_errno(read(fd, addr(0), 1));
	kt_check(en == EFAULT, "read() into NULL fails with EFAULT (%s)", strerror(en));
	close(fd);
	en = fault_errno(syscall(SYS_lstat, addr(0), addr(0)));
	kt_check(en == EFAULT, "lstat(NULL) fails with EFAULT (%s)", strerror(en));
	en = fault_errno(syscall(SYS_uname, addr(0)));
	kt_check(en == EFAULT, "uname(NULL) fails with EFAULT (%s)", strerror(en));

	if (sled)
		return kt_done();	/* calls below 4096 would enter the sled */
	for (i = 0; i < sizeof(stray) / sizeof(stray[0]); i++) {
		r = 0;
		sig = call_at(stray[i], &r);
		kt_check(sig == SIGSEGV, "a call to %#lx (RAX the same) gives SIGSEGV, not a "
			 "system call (signal %d, RAX %#lx)", stray[i], sig, sig ? 0 : r);
	}
	return kt_done();
}
