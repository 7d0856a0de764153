#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The main job of "make run": boot the KML kernel under -icount shift=0
# (guest TSC = executed instructions) and show the same program run from
# /bin and from /trusted: its privilege level and what a getpid costs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
log=$BUILD/logs/demo.log
SUITE=demo ICOUNT=1 QUIET=1 TIMEOUT=${TIMEOUT:-300} LOG=$log CPU=${CPU:-max} PTI=${PTI:-on} \
	bash "$KML_TOP/scripts/qemu-run.sh" || die "the demo boot failed; log: $log"
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
cat <<TXT

Figures are guest TSC ticks under QEMU -icount shift=0, where one tick is
one executed instruction: path lengths, not hardware time.
This build is expected to run /trusted programs at CPL $expect.
==============================================================
TXT
if grep -qE 'Kernel panic|Oops|BUG:|WARNING:' "$log"; then
	die "the kernel reported a problem during the demo; log: $log"
fi
say "full serial log: $log"
