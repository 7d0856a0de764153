#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A stand-in LTP install for checking the LTP plumbing of "make test"
# where no LTP is installed (Debian 12 does not package it).  Not LTP:
# three programs that exit with LTP's status codes.
#   tests/harness/ltp-fixture.sh DIR
# makes DIR/testcases/bin/{kfix_pass,kfix_conf,kfix_cpl,kfix_sh} and
# DIR/fixture.list; kfix_cpl reports TFAIL when it runs at CPL 0, so its
# result differs between the modes and the harness must count it as a
# failure; kfix_sh is a shell script (as many LTP tests are), which must
# run in kernel mode from /trusted too.
set -euo pipefail
dir=${1:?usage: ltp-fixture.sh DIR}
mkdir -p "$dir/testcases/bin"
src=$(mktemp -d)
cat > "$src/fix.c" <<'C'
#include <stdio.h>
int main(void)
{
	unsigned short cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	printf("%s: CPL %d\n", PROG, cs & 3);
	return STATUS;
}
C
gcc -O2 -static -DPROG='"kfix_pass"' -DSTATUS=0 -o "$dir/testcases/bin/kfix_pass" "$src/fix.c"
gcc -O2 -static -DPROG='"kfix_conf"' -DSTATUS=32 -o "$dir/testcases/bin/kfix_conf" "$src/fix.c"
gcc -O2 -static -DPROG='"kfix_cpl"' -DSTATUS='(cs & 3) == 0' -o "$dir/testcases/bin/kfix_cpl" "$src/fix.c"
rm -rf "$src"
cat > "$dir/testcases/bin/kfix_sh" <<'SH'
#!/bin/sh
echo "kfix_sh: $(grep KernelMode /proc/$$/status)"
SH
chmod 755 "$dir/testcases/bin/kfix_sh"
printf '%s\n' "# tag command" "fix_pass kfix_pass" "fix_conf kfix_conf" "fix_cpl kfix_cpl" \
	"fix_sh kfix_sh" > "$dir/fixture.list"
echo "$dir/fixture.list"
