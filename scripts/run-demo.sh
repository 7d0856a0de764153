#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The main job of "make run": boot the KML kernel under -icount shift=0
# (guest TSC = executed instructions) with the cost plugin, and show the
# same program run from /bin and from /trusted: its privilege level, and
# what a getpid, a read and a write cost in instructions and in modeled
# cycles.  pti=off by default, as on a CPU that needs no PTI (ours):
# PTI=on shows what a CPU that needs it pays.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
log=$BUILD/logs/demo.log
# The cost plugin counts the costly instructions of each path; make
# calibrate's table and the build machines' Xeon turn them into modeled
# cycles (Documentation/kml.rst, "What a real CPU pays").
bash "$KML_TOP/scripts/build-cost.sh" || die "building the cost plugin failed"
[ -f "$BUILD/cycles/local.tsv" ] || bash "$KML_TOP/scripts/calibrate.sh" >/dev/null ||
	die "make calibrate failed"
SUITE=demo ICOUNT=1 QUIET=1 TIMEOUT=${TIMEOUT:-300} LOG=$log CPU=${CPU:-max} PTI=${PTI:-off} \
	COSTS=$log.costs bash "$KML_TOP/scripts/qemu-run.sh" || die "the demo boot failed; log: $log"
expect=$KML_EXPECT_TRUSTED_CPL
echo
echo "=================== Kernel Mode Linux demo ==================="
tr -d '\r' < "$log" | sed -n 's/^KMLDEMO-KERNEL: /kernel /p'
cat <<TXT
One binary, kt-demo, installed twice: /bin/kt-demo and /trusted/kt-demo
(root-owned, not writable by group or others).  Each copy reports the
privilege level it runs at (CPL 3 = user mode, CPL 0 = kernel mode) and
the instructions a getpid, a 1-byte read of /dev/zero and a 1-byte
write to /dev/null take with the SYSCALL instruction and, where the
program runs in kernel mode, through libkml's direct call; and an empty
function call.  "best batch" is the lowest mean of 20 batches, which
leaves most timer interrupts out.

TXT
tr -d '\r' < "$log" | awk '
function fig(k) { return sprintf("%6.1f (best batch %6.1f)", v[k "_ticks"], v[k "_best"]) }
/^KMLDEMO:/ {
	delete v
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	printf "  %s: CPL %s, empty function call %.1f\n", v["exe"], v["cpl"], v["call_ticks"]
	printf "    SYSCALL      getpid %s  read %s  write %s\n", fig("getpid"), fig("read"), fig("write")
	if (v["direct"] == 1)
		printf "    direct call  getpid %s  read %s  write %s\n",
		       fig("direct_getpid"), fig("direct_read"), fig("direct_write")
	n++
	if (n == 1) first = v["getpid_ticks"]
	if (n == 2) { last = v["getpid_ticks"]; direct = v["direct_getpid_ticks"] }
}
END {
	if (n != 2 || first <= 0) { print "  the demo did not report both runs: see the log"; exit 1 }
	printf "\n  From /trusted a getpid takes %.2fx the instructions it takes from /bin", last / first
	if (direct > 0) printf " (%.2fx through the direct call)", direct / first
	printf ".\n"
}' || die "demo output incomplete; log: $log"
ref=$(ls "$BUILD"/cycles/xeon-*.tsv | tail -1)
cat <<TXT

What a real CPU pays, per call: instructions (path length), and modeled
cycles, a model (Documentation/kml.rst, "What a real CPU pays"): each
instruction of a costly class (IRETQ, SYSRET, SWAPGS, WRMSR, CLI, LSL...),
counted exactly by the cost plugin, at that class's cost, every other at
one calibrated cost; first with the table of our build machines'
$(awk -F'\t' '/^# cpu/ {print $2; exit}' "$ref"), then with this
machine's ($(awk -F'\t' '/^# cpu/ {print $2; exit}' "$BUILD/cycles/local.tsv"), make calibrate).
The second line of each path lists the costly instructions it ran.

TXT
python3 "$KML_TOP/scripts/costs.py" demo "$log" "$log.costs" "$ref" "$BUILD/cycles/local.tsv" ||
	die "the cost counts of the demo do not add up; log: $log"
cat <<TXT

Instructions are guest TSC ticks under QEMU -icount shift=0, where one
tick is one executed instruction.  Modeled cycles are no measurement of
this machine or any other: make bench ACCEL=kvm measures on a CPU with KVM.
This build is expected to run /trusted programs at CPL $expect.
==============================================================
TXT
bash "$KML_TOP/tests/harness/check-log.sh" "$log" demo 0 --no-results >/dev/null ||
	die "the kernel reported a problem during the demo; log: $log"
say "full serial log: $log"
