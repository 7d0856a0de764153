#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Judge one guest run from its serial log.
# Usage: check-log.sh LOG LABEL QEMU_EXIT_STATUS [--plan FILE] [--no-results]
#                     [--upto PATTERN [--no-end]]
#
# Prints one line per result ("PASS  label  test (mode)"), the output of
# each failed test, and every kernel problem found in the log, then a
# summary line for the aggregator:
#   SUMMARY passed=N failed=N xfail=N skipped=N
# Each of these counts as a failure:
#  - a kernel complaint: panic, oops, BUG:, kernel BUG at, WARNING:, a
#    double fault, RCU stalls (normal and expedited), soft and hard
#    lockups, a task blocked too long, UBSAN and KASAN reports, an
#    unchecked MSR access, lockdep complaints (its INFO: lines), on any
#    line, a result marker's included;
#  - a signal sent to a program for a fault at a kernel-half IP ("traps:"
#    and "segfault" lines) outside the KML entry code that runs on the
#    program's stack (the direct-call prologue and exits, between
#    entry_SYSCALL_64_kml and entry_kml_text_end of KML_SYSTEM_MAP, the
#    kernel's System.map, and the landing trampolines' page, at
#    0xfffffffffeff0000 by construction: KML_DIRECT_TRAMP in
#    arch/x86/kml/kml.c; without the map, any kernel-half IP);
#  - a missing end marker (triple fault, reset, hang);
#  - results that do not match the plan: the guest's announced count,
#    and with --plan FILE ("KMLTEST: PLAN-ITEM test mode" lines the host
#    computed, tests/harness/plan.sh) a missing, extra, repeated or
#    unknown result;
#  - a result status other than PASS, SKIP and XFAIL.
# --no-results: a boot that prints no results (make bench, LTP): only the
# kernel and the end marker are judged.  --upto PATTERN: only the log up
# to the first line matching PATTERN is judged for kernel complaints (a
# boot that ends in a panic on purpose, tests/guest/overflow.sh, which
# also has no end marker: --no-end).
# Exit status 0 iff nothing failed.
set -uo pipefail
log=$1 label=$2 qrc=${3:-0}
shift 3 2>/dev/null || shift $#
plan_file= no_results=0 upto= no_end=0
while [ $# -gt 0 ]; do
	case $1 in
	--no-end) no_end=1; shift ;;
	--plan) plan_file=$2; shift 2 ;;
	--no-results) no_results=1; shift ;;
	--upto) upto=$2; shift 2 ;;
	*) echo "check-log.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
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
		[ "$status" = FAIL ] || detail="unknown status '$status': $detail"
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

# Kernel complaints, on any line (one may land in the middle of a result
# marker).  "traps:" and "segfault" lines are user-mode faults that tests
# provoke on purpose, judged below by their IP.
judged=$clean
if [ -n "$upto" ]; then
	judged=$(printf '%s\n' "$clean" | awk -v p="$upto" '$0 ~ p { exit } { print }')
fi
complaints='Kernel panic|Oops|BUG:|[Kk]ernel BUG at|WARNING:|double fault|detected stall|detected expedited stall|soft lockup|hard LOCKUP|blocked for more than|UBSAN:|KASAN:|unchecked MSR access|INFO: (trying to register non-static key|possible (recursive|circular|irq lock)|inconsistent lock state|lockdep)|unable to handle (page fault|kernel)'
problems=$(printf '%s\n' "$judged" | grep -nE "$complaints" | head -20)
if [ -n "$problems" ]; then
	while IFS= read -r l; do
		fail=$((fail + 1))
		printf 'FAIL  %s  kernel: log line %s\n' "$label" "$l"
	done <<< "$problems"
	printf '%s\n' "$judged" | grep -A25 -m1 -E "$complaints" | sed 's/^/        | /'
fi

# A signal for a fault at a kernel-half IP: kernel code faulted and was
# taken for a program's (a KML frame misjudged), unless the IP is in the
# KML entry code that runs on the program's stack.
lo= hi=
if [ -n "${KML_SYSTEM_MAP:-}" ] && [ -f "$KML_SYSTEM_MAP" ]; then
	lo=$(awk '$3 == "entry_SYSCALL_64_kml" { print $1 }' "$KML_SYSTEM_MAP")
	hi=$(awk '$3 == "entry_kml_text_end" { print $1 }' "$KML_SYSTEM_MAP")
fi
while IFS= read -r l; do
	[ -n "$l" ] || continue
	ip=$(printf '%s\n' "$l" | sed -nE 's/.*traps: .* ip:([0-9a-f]+) .*/\1/p; s/.*segfault at .* ip ([0-9a-f]+) .*/\1/p')
	[ ${#ip} = 16 ] || continue
	case $ip in [89a-f]*) ;; *) continue ;; esac
	if [ -n "$lo" ] && [ -n "$hi" ] &&
	   [ "$(printf '%s\n%s\n' "$lo" "$ip" | sort | head -1)" = "$lo" ] &&
	   [ "$(printf '%s\n%s\n' "$ip" "$hi" | sort | head -1)" = "$ip" ] && [ "$ip" != "$hi" ]; then
		continue	# in the KML entry code: the program's own fault
	fi
	if [ -n "$lo" ] && [ "${ip:0:13}" = fffffffffeff0 ]; then
		continue	# in the landing trampolines' page: the same
	fi
	fail=$((fail + 1))
	printf 'FAIL  %s  kernel: a signal for a fault at kernel-half IP %s: %s\n' "$label" "$ip" "$l"
done < <(printf '%s\n' "$judged" | grep -E 'traps: .* ip:|segfault at .* ip ')

# No pipe into grep -q here: under pipefail, grep -q exiting at the first
# match gives the writer SIGPIPE and the pipeline fails on a long log.
if [ $no_end = 0 ] && ! grep -qx 'KMLTEST-END' <<< "$clean"; then
	fail=$((fail + 1))
	if [ "$qrc" = 124 ]; then
		printf 'FAIL  %s  guest: hung, no end marker within the time-out\n' "$label"
	else
		printf 'FAIL  %s  guest: stopped before the end marker (QEMU exit %s: panic, triple fault or reset)\n' "$label" "$qrc"
	fi
	printf '%s\n' "$clean" | tail -15 | sed 's/^/        | /'
fi

if [ $no_results = 0 ]; then
	plan=$(printf '%s\n' "$clean" | sed -n 's/^KMLTEST: PLAN \([0-9]*\).*/\1/p' | head -1)
	got=$(printf '%s\n' "$clean" | grep -cE '^KMLTEST: RESULT ')
	if [ -z "$plan" ]; then
		fail=$((fail + 1))
		printf 'FAIL  %s  harness: the suite announced no plan\n' "$label"
	elif [ "$got" != "$plan" ]; then
		fail=$((fail + 1))
		printf 'FAIL  %s  harness: %s results for a plan of %s\n' "$label" "$got" "$plan"
	fi
	# The host's plan: every planned (test, mode) once, nothing else.
	if [ -n "$plan_file" ]; then
		out=$(awk '
			FNR == NR { if ($1 == "KMLTEST:" && $2 == "PLAN-ITEM") { want[$3 " " $4]++; order[n++] = $3 " " $4 }; next }
			/^KMLTEST: RESULT / { k = $3 " " $4; got[k]++; if (!(k in want)) print "a result the plan does not have: " k }
			END {
				for (i = 0; i < n; i++) {
					k = order[i]
					if (!(k in got)) print "no result for planned " k
					else if (got[k] > want[k]) print got[k] " results for " k
				}
				if (n == 0) print "the host plan is empty"
			}' "$plan_file" <(printf '%s\n' "$clean"))
		while IFS= read -r l; do
			[ -n "$l" ] || continue
			fail=$((fail + 1))
			printf 'FAIL  %s  harness: %s\n' "$label" "$l"
		done <<< "$out"
	fi
fi
echo "SUMMARY passed=$pass failed=$fail xfail=$xfail skipped=$skip"
[ $fail = 0 ]
