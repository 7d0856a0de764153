#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# "make calibrate": the cycle model's cost table for this machine's CPU.
#   build/cycles/measured.tsv   what user mode can time here (tests/cost/calibrate.c)
#   build/cycles/local.tsv      complete: that, bench/cycles/literature.tsv
#                               for the rest, and the plain instruction's
#                               cost derived from the measured getpid()
#   build/cycles/xeon-2026-11.tsv  the same for the reference calibration
#                               (bench/cycles/xeon-2026-11.tsv)
# Takes seconds.  TSC ticks stand for cycles: on a CPU that boosts above
# its nominal frequency they are not core cycles (the table says so).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_cmd gcc python3
C=$KML_TOP/tests/cost
O=$BUILD/cycles
mkdir -p "$O" "$BUILD/cost"
cal=$BUILD/cost/calibrate
if [ ! -x "$cal" ] || [ "$C/calibrate.c" -nt "$cal" ]; then
	# Static and below 4 GiB: the far JMP/CALL probes use m16:32.
	gcc -O2 -Wall -Wextra -Werror -static -no-pie -o "$cal" "$C/calibrate.c" ||
		die "building tests/cost/calibrate.c failed"
fi
step "timing the instruction classes user mode can run ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo))"
"$cal" > "$O/measured.tsv.tmp" || die "calibrate failed"
mv "$O/measured.tsv.tmp" "$O/measured.tsv"
python3 "$KML_TOP/scripts/costs.py" table "$O/measured.tsv" "$KML_TOP/bench/cycles/literature.tsv" > "$O/local.tsv"
for t in "$KML_TOP"/bench/cycles/xeon-*.tsv; do
	python3 "$KML_TOP/scripts/costs.py" table "$t" "$KML_TOP/bench/cycles/literature.tsv" > "$O/$(basename "$t")"
done
say "cost table for this CPU: ${O#"$KML_TOP"/}/local.tsv (cycles per instruction of each class):"
awk -F'\t' '/^# cpu/ { print "    cpu: " $2 } !/^#/ { printf "    %-18s %8s  %s\n", $1, $2, substr($3, 1, 60) }' "$O/local.tsv" >&2
