// SPDX-License-Identifier: GPL-2.0
/*
 * Report the privilege level this program runs at and check it against
 * what the suite expects for this mode (KMLTEST_EXPECT_CPL).  Also check
 * that the CPL seen from CS agrees with the RPL of SS, and that a child
 * created by fork runs at the same level.
 */
#include <sys/wait.h>
#include <unistd.h>
#include "kt.h"

int main(void)
{
	const char *e = getenv("KMLTEST_EXPECT_CPL");
	unsigned short ss;
	int cpl = kt_cpl(), st;
	pid_t pid;

	printf("# mode %s: running at CPL %d\n", kt_mode(), cpl);
	kt_check(e != NULL, "KMLTEST_EXPECT_CPL is set");
	if (e)
		kt_check(cpl == atoi(e), "CPL %d is the expected %s", cpl, e);
	__asm__ volatile("mov %%ss, %0" : "=r"(ss));
	kt_check((ss & 3) == cpl, "SS RPL %d matches CPL", ss & 3);

	pid = fork();
	if (pid == 0)
		_exit(kt_cpl() == cpl ? 0 : 1);
	kt_check(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		 WEXITSTATUS(st) == 0, "forked child runs at the same CPL");
	return kt_done();
}
