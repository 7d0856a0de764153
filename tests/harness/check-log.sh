#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Judge one guest run from its serial log.
# Usage: check-log.sh LOG LABEL QEMU_EXIT_STATUS
#
# Prints one line per result ("PASS  label  test (mode)"), the output of
# each failed test, and every kernel problem found in the log, then a
# summary line for the aggregator:
#   SUMMARY passed=N failed=N xfail=N skipped=N
# A kernel panic, oops, BUG:, WARNING:, RCU stall, a missing end marker
# (triple fault, reset, hang) and results missing from the announced plan
# each count as a failure.  Exit status 0 iff nothing failed.
set -uo pipefail
log=$1 label=$2 qrc=${3:-0}
[ -f "$log" ] || { echo "FAIL  $label  harness: no log file $log"; echo "SUMMARY passed=0 failed=1 xfail=0 skipped=0"; exit 1; }

# Serial output may carry CRs.
clean=$(tr -d '\r' < "$log")
pass=0 fail=0 xfail=0 skip=0
nmi_noise='NMI received for unknown reason|Dazed and confused|unknown_nmi_error'

while read -r _ _ name mode status detail; do
	case $status in
	PASS) pass=$((pass + 1)); printf 'PASS  %s  %s (%s)\n' "$label" "$name" "$mode" ;;
	SKIP) skip=$((skip + 1)); printf 'SKIP  %s  %s (%s): %s\n' "$label" "$name" "$mode" "$detail" ;;
	XFAIL) xfail=$((xfail + 1)); printf 'XFAIL %s  %s (%s): expected failure: %s\n' "$label" "$name" "$mode" "$detail" ;;
	*)
		fail=$((fail + 1))
		printf 'FAIL  %s  %s (%s): %s\n' "$label" "$name" "$mode" "$detail"
		# The test's own output, between its BEGIN and RESULT lines,
		# without the reports of the NMIs that the stress and
		# every-insn boots inject (they would push it out of the tail).
		printf '%s\n' "$clean" | awk -v n="$name" -v m="$mode" '
			$0 == "KMLTEST: BEGIN " n " " m { on = 1; next }
			on && index($0, "KMLTEST: RESULT " n " " m) == 1 { exit }
			on { print "        | " $0 }' | grep -vE "$nmi_noise" | tail -40
		;;
	esac
done < <(printf '%s\n' "$clean" | grep -E '^KMLTEST: RESULT ')

# "traps: prog[pid] general protection fault ... in prog[...]" lines are
# user-mode faults that the tests provoke on purpose: not kernel problems.
problems=$(printf '%s\n' "$clean" | grep -nE 'Kernel panic|Oops|BUG:|WARNING:|kernel BUG at|double fault|Unable to handle|detected stall' | grep -v '^[0-9]*:KMLTEST' | head -20)
if [ -n "$problems" ]; then
	while IFS= read -r l; do
		fail=$((fail + 1))
		printf 'FAIL  %s  kernel: log line %s\n' "$label" "$l"
	done <<< "$problems"
	printf '%s\n' "$clean" | grep -A25 -m1 -E 'Kernel panic|Oops|BUG:|WARNING:' | sed 's/^/        | /'
fi

plan=$(printf '%s\n' "$clean" | sed -n 's/^KMLTEST: PLAN \([0-9]*\).*/\1/p' | head -1)
got=$(printf '%s\n' "$clean" | grep -cE '^KMLTEST: RESULT ')
# No pipe into grep -q here: under pipefail, grep -q exiting at the first
# match gives the writer SIGPIPE and the pipeline fails on a long log.
if ! grep -qx 'KMLTEST-END' <<< "$clean"; then
	fail=$((fail + 1))
	if [ "$qrc" = 124 ]; then
		printf 'FAIL  %s  guest: hung, no end marker within the time-out\n' "$label"
	else
		printf 'FAIL  %s  guest: stopped before the end marker (QEMU exit %s: panic, triple fault or reset)\n' "$label" "$qrc"
	fi
	printf '%s\n' "$clean" | tail -15 | sed 's/^/        | /'
fi
if [ -z "$plan" ]; then
	fail=$((fail + 1))
	printf 'FAIL  %s  harness: the suite announced no plan\n' "$label"
elif [ "$got" != "$plan" ]; then
	fail=$((fail + 1))
	printf 'FAIL  %s  harness: %s results for a plan of %s\n' "$label" "$got" "$plan"
fi
echo "SUMMARY passed=$pass failed=$fail xfail=$xfail skipped=$skip"
[ $fail = 0 ]
