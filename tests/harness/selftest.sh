#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Self-test of check-log.sh on synthetic serial logs: a checker that let an
# oops, a warning, a reset or a hang through would make every guest result
# meaningless.  Prints TAP; exit status 0 iff every case is judged right.
set -uo pipefail
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 bad=0

# case_ NAME QEMU_RC WANT_EXIT WANT_SUMMARY < log
case_() {
	local name=$1 qrc=$2 want_rc=$3 want=$4 out rc
	cat > "$tmp/log"
	out=$(bash "$here/check-log.sh" "$tmp/log" self "$qrc")
	rc=$?
	n=$((n + 1))
	if [ "$rc" = "$want_rc" ] && grep -qx "SUMMARY $want" <<< "$out"; then
		echo "ok $n - check-log: $name"
	else
		bad=$((bad + 1))
		echo "not ok $n - check-log: $name (exit $rc, want $want_rc; want SUMMARY $want)"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
}

ok2='KMLTEST: PLAN 2
KMLTEST: BEGIN a normal
KMLTEST: RESULT a normal PASS ok
KMLTEST: BEGIN a trusted
KMLTEST: RESULT a trusted PASS ok'

case_ "clean run passes" 0 0 "passed=2 failed=0 xfail=0 skipped=0" <<LOG
$ok2
KMLTEST-END
LOG
case_ "a failed test fails" 0 1 "passed=1 failed=1 xfail=0 skipped=0" <<LOG
KMLTEST: PLAN 2
KMLTEST: RESULT a normal PASS ok
KMLTEST: BEGIN a trusted
not ok 3 - something
KMLTEST: RESULT a trusted FAIL exit status 1
KMLTEST-END
LOG
case_ "a kernel WARNING fails the run" 0 1 "passed=2 failed=1 xfail=0 skipped=0" <<LOG
$ok2
[    3.1] WARNING: CPU: 0 PID: 1 at kernel/fork.c:100 copy_process+0x1/0x2
KMLTEST-END
LOG
case_ "an oops fails the run" 0 1 "passed=2 failed=2 xfail=0 skipped=0" <<LOG
$ok2
[    3.1] BUG: kernel NULL pointer dereference, address: 0000000000000008
[    3.1] Oops: 0002 [#1] SMP PTI
KMLTEST-END
LOG
case_ "a kernel general protection fault fails the run" 0 1 "passed=2 failed=1 xfail=0 skipped=0" <<LOG
$ok2
[    3.1] Oops: general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] SMP PTI
KMLTEST-END
LOG
case_ "a user-mode trap message is not a kernel problem" 0 0 "passed=2 failed=0 xfail=0 skipped=0" <<LOG
$ok2
[    3.1] traps: kt-escalate[273] general protection fault ip:418dab sp:7ffd5731e610 error:38 in kt-escalate[18dab,401000+7a000]
KMLTEST-END
LOG
case_ "a reset before the end marker fails" 0 1 "passed=2 failed=1 xfail=0 skipped=0" <<LOG
$ok2
LOG
case_ "a hang fails" 124 1 "passed=1 failed=2 xfail=0 skipped=0" <<LOG
KMLTEST: PLAN 2
KMLTEST: RESULT a normal PASS ok
LOG
case_ "fewer results than planned fails" 0 1 "passed=1 failed=1 xfail=0 skipped=0" <<LOG
KMLTEST: PLAN 2
KMLTEST: RESULT a normal PASS ok
KMLTEST-END
LOG
case_ "no plan fails" 0 1 "passed=0 failed=1 xfail=0 skipped=0" <<LOG
KMLTEST-END
LOG
case_ "an expected failure is listed, not failed" 0 0 "passed=1 failed=0 xfail=1 skipped=0" <<LOG
KMLTEST: PLAN 2
KMLTEST: RESULT a normal PASS ok
KMLTEST: RESULT a trusted XFAIL needs feature X
KMLTEST-END
LOG
case_ "a long log with an early end marker passes (no SIGPIPE race)" 0 0 "passed=2 failed=0 xfail=0 skipped=0" < <(printf '%s\nKMLTEST-END\n' "$ok2"; for i in $(seq 1 40000); do echo "reboot noise line $i"; done)
case_ "serial CRs are ignored" 0 0 "passed=2 failed=0 xfail=0 skipped=0" < <(printf '%s\nKMLTEST-END\n' "$ok2" | sed 's/$/\r/')

echo "1..$n"
[ $bad = 0 ]
