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
the instructions a getpid system call and an empty function call take.

TXT
tr -d '\r' < "$log" | awk '
/^KMLDEMO:/ {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	printf "  %-18s CPL %s   getpid: %7.1f instructions   empty call: %5.1f\n",
	       v["exe"], v["cpl"], v["getpid_ticks"], v["call_ticks"]
	n++
	if (n == 1) first = v["getpid_ticks"]
	if (n == 2) last = v["getpid_ticks"]
}
END {
	if (n != 2 || first <= 0) { print "  the demo did not report both runs: see the log"; exit 1 }
	printf "\n  From /trusted a getpid takes %.2fx the instructions it takes from /bin.\n", last / first
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
