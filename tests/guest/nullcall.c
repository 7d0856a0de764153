// SPDX-License-Identifier: GPL-2.0
/*
 * A NULL function pointer called by kernel code on behalf of this
 * process: LKDTM's EXEC_NULL, through debugfs.  Run by nullcall.sh from
 * /bin, from /trusted, and from /trusted with the direct-call sled at
 * address 0 ("sled": asked for with ARCH_KML_SLED).  In every case the
 * kernel must oops and kill this process, as without KML: no mapping at
 * 0, or the sled's landing trampoline refusing a call whose RSP is in the
 * kernel half; never a system call.  The host judges the log
 * (tests/harness/run-tests.sh); reaching the end of main() is a failure.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kml.h"
#include "kt.h"

int main(int argc, char **argv)
{
	int sled = argc > 1 && !strcmp(argv[1], "sled");
	const char *what = argc > 2 ? argv[2] : "?";
	int fd = open("/sys/kernel/debug/provoke-crash/DIRECT", O_WRONLY);

	if (fd < 0) {
		printf("KMLNULL: %s: no LKDTM (CONFIG_LKDTM, debugfs)\n", what);
		return 1;
	}
	if (sled && kml_direct_sled()) {
		/*
		 * A getpid through the sled, so that its page is present: the
		 * kernel's NULL call must find it there, not fault it in.
		 */
		sled = kt_call_rax(SYS_getpid) == getpid() ? 2 : 1;
	}
	printf("KMLNULL: %s: KernelMode %d, sled %s\n", what, kt_kernel_mode(),
	       sled == 2 ? "mapped and used" : sled ? "not working" : "none");
	fflush(stdout);
	if (write(fd, "EXEC_NULL", 9) < 0)
		perror("write");
	printf("KMLNULL: %s: survived\n", what);
	return 1;
}
