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

# case_ NAME QEMU_RC WANT_EXIT WANT_SUMMARY [check-log options] < log
case_() {
	local name=$1 qrc=$2 want_rc=$3 want=$4 out rc
	shift 4
	cat > "$tmp/log"
	out=$(bash "$here/check-log.sh" "$tmp/log" self "$qrc" "$@")
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
busybox[48]: segfault at 0 ip 0000000000401000 sp 00007ffe2dc6aa90 error 6 in busybox[401000+1000]
KMLTEST-END
LOG
# Every kernel complaint, alone after a clean run, fails it.
for c in "Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b" \
	 "kernel BUG at mm/slub.c:451!" \
	 "Kernel BUG at arch/x86/kml/kml.c:100" \
	 "traps: PANIC: double fault, error_code: 0x0" \
	 "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:" \
	 "rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 1-... } 21003 jiffies s: 113 root: 0x2/." \
	 "watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [kt-spread:120]" \
	 "Watchdog detected hard LOCKUP on cpu 1" \
	 "INFO: task kt-ptstop:88 blocked for more than 30 seconds." \
	 "UBSAN: shift-out-of-bounds in arch/x86/kml/kml.c:123:4" \
	 "BUG: KASAN: slab-out-of-bounds in kml_user_regs+0x12/0x40" \
	 "unchecked MSR access error: WRMSR to 0xc0000102 (tried to write 0x0) at rIP: 0xffffffff81001234" \
	 "INFO: trying to register non-static key." \
	 "WARNING: possible circular locking dependency detected" \
	 "BUG: unable to handle page fault for address: ffffffffffffefff"; do
	case_ "kernel complaint: ${c:0:48}" 0 1 "passed=2 failed=1 xfail=0 skipped=0" <<LOG
$ok2
$c
KMLTEST-END
LOG
done
case_ "a WARNING on the line of a result marker fails" 0 1 "passed=2 failed=1 xfail=0 skipped=0" <<LOG
KMLTEST: PLAN 2
KMLTEST: RESULT a normal PASS ok
KMLTEST: RESULT a trusted PASS okWARNING: CPU: 1 PID: 9 at kernel/fork.c:100 copy_process+0x1/0x2
KMLTEST-END
LOG
# A signal at a kernel-half IP: a kernel fault taken for a program's.
# Inside the KML entry code that runs on the program's stack (System.map)
# it is the program's own.
printf 'ffffffff81600000 T entry_SYSCALL_64_kml\nffffffff81600400 T entry_kml_text_end\n' > "$tmp/System.map"
case_ "a segfault at a kernel-half IP fails the run" 0 1 "passed=2 failed=1 xfail=0 skipped=0" <<LOG
$ok2
busybox[48]: segfault at ffa000000012bf58 ip ffffffff812a36ec sp ffa000000012bf50 error 7 likely on CPU 0 (core 0, socket 0)
KMLTEST-END
LOG
case_ "a trap at a kernel-half IP fails the run" 0 1 "passed=2 failed=1 xfail=0 skipped=0" <<LOG
$ok2
[    3.1] traps: kt-gs[273] general protection fault ip:ffffffff81001234 sp:7ffd5731e610 error:0
KMLTEST-END
LOG
KML_SYSTEM_MAP=$tmp/System.map case_ "a trap in the KML entry code is the program's" 0 0 "passed=2 failed=0 xfail=0 skipped=0" <<LOG
$ok2
[    3.1] traps: sigreturn_64[273] general protection fault ip:ffffffff81600069 sp:8badf00d5aadc0de error:0
KMLTEST-END
LOG
KML_SYSTEM_MAP=$tmp/System.map case_ "a trap in the landing trampolines is the program's" 0 0 "passed=2 failed=0 xfail=0 skipped=0" <<LOG
$ok2
[    3.1] traps: sigreturn_64[899] trap invalid opcode ip:fffffffffeff0141 sp:8badf00d5aadc0de error:0
KMLTEST-END
LOG
KML_SYSTEM_MAP=$tmp/System.map case_ "a trap in the page after the trampolines is not" 0 1 "passed=2 failed=1 xfail=0 skipped=0" <<LOG
$ok2
[    3.1] traps: sigreturn_64[899] trap invalid opcode ip:fffffffffeff1141 sp:8badf00d5aadc0de error:0
KMLTEST-END
LOG
KML_SYSTEM_MAP=$tmp/System.map case_ "a trap past the KML entry code is not" 0 1 "passed=2 failed=1 xfail=0 skipped=0" <<LOG
$ok2
[    3.1] traps: sigreturn_64[273] general protection fault ip:ffffffff81600400 sp:8badf00d5aadc0de error:0
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
case_ "more results than planned fails" 0 1 "passed=3 failed=1 xfail=0 skipped=0" <<LOG
$ok2
KMLTEST: RESULT b normal PASS ok
KMLTEST-END
LOG
case_ "an unknown status fails" 0 1 "passed=1 failed=1 xfail=0 skipped=0" <<LOG
KMLTEST: PLAN 2
KMLTEST: RESULT a normal PASS ok
KMLTEST: RESULT a trusted MAYBE who knows
KMLTEST-END
LOG
case_ "a panic alone (no results after it) fails" 0 1 "passed=2 failed=2 xfail=0 skipped=0" <<LOG
$ok2
Kernel panic - not syncing: Fatal exception
LOG
# The host's plan (tests/harness/plan.sh): missing, extra, repeated.
printf 'KMLTEST: PLAN-ITEM a normal\nKMLTEST: PLAN-ITEM a trusted\n' > "$tmp/plan"
case_ "results that match the host's plan pass" 0 0 "passed=2 failed=0 xfail=0 skipped=0" --plan "$tmp/plan" <<LOG
$ok2
KMLTEST-END
LOG
case_ "a planned result missing and an unplanned one fail, whatever the guest's plan" 0 1 "passed=2 failed=2 xfail=0 skipped=0" --plan "$tmp/plan" <<LOG
KMLTEST: PLAN 2
KMLTEST: RESULT a normal PASS ok
KMLTEST: RESULT b trusted PASS ok
KMLTEST-END
LOG
case_ "the guest's PLAN 0 against the host's plan fails" 0 1 "passed=0 failed=2 xfail=0 skipped=0" --plan "$tmp/plan" <<LOG
KMLTEST: PLAN 0
KMLTEST-END
LOG
case_ "a result twice fails" 0 1 "passed=2 failed=2 xfail=0 skipped=0" --plan "$tmp/plan" <<LOG
KMLTEST: PLAN 2
KMLTEST: RESULT a normal PASS ok
KMLTEST: RESULT a normal PASS ok
KMLTEST-END
LOG
# Boots without results (bench, LTP), and one that ends in a panic on
# purpose (overflow): the kernel and the end marker are still judged.
case_ "no results: a clean boot passes" 0 0 "passed=0 failed=0 xfail=0 skipped=0" --no-results <<LOG
KMLBENCH: null stock ops=10 ticks=1,1,1 ns=1,1,1
KMLTEST-END
LOG
case_ "no results: a WARNING fails" 0 1 "passed=0 failed=1 xfail=0 skipped=0" --no-results <<LOG
WARNING: CPU: 0 PID: 1 at kernel/fork.c:100 copy_process+0x1/0x2
KMLTEST-END
LOG
case_ "up to a marker: the planned panic after it is not judged" 0 0 "passed=0 failed=0 xfail=0 skipped=0" --no-results --no-end --upto '^lkdtm: Performing' <<LOG
KMLOVERFLOW: /bin/busybox, KernelMode 0
lkdtm: Performing direct entry EXHAUST_STACK
BUG: TASK stack guard page was hit at ffffc90000157ff8
Kernel panic - not syncing: Fatal exception
LOG
case_ "up to a marker: a KASAN report before it fails" 0 1 "passed=0 failed=1 xfail=0 skipped=0" --no-results --no-end --upto '^lkdtm: Performing' <<LOG
BUG: KASAN: slab-out-of-bounds in kml_user_regs+0x12/0x40
lkdtm: Performing direct entry EXHAUST_STACK
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
