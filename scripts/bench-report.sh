#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The reports of "make bench", from its results (RESULTS, default
# bench/results: latest.csv, latest.md, latest.png):
#   bench/README.md   bench/method.md, then the full tables and the chart
#   README.md         one table between its bench markers: modeled cycles
#                     per operation on the reference cost table, pti=off,
#                     for the benchmarks a newcomer asks about first
# scripts/bench.sh runs it at the end; it can be run alone to redo the
# reports from the results in git.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
RESULTS=${RESULTS:-$KML_TOP/bench/results}
csv=$RESULTS/latest.csv
md=$RESULTS/latest.md
[ -f "$csv" ] && [ -f "$md" ] || die "no results in $RESULTS (make bench)"

# bench/README.md
out=$KML_TOP/bench/README.md
{
	cat "$KML_TOP/bench/method.md"
	cat "$md"
	[ -f "$RESULTS/latest.png" ] &&
		printf '\n![speedup over stock](%s)\n' "$(realpath --relative-to="$KML_TOP/bench" "$RESULTS/latest.png")"
} > "$out.tmp"
mv "$out.tmp" "$out"
say "wrote $out"

# The front page's table.
ref=$(ls "$KML_TOP"/bench/cycles/xeon-*.tsv 2>/dev/null | tail -1)
[ -n "$ref" ] || die "no reference cost table in bench/cycles"
refname=$(basename "$ref" .tsv)
refcpu=$(awk -F'\t' '/^# cpu/ {print $2; exit}' "$ref")
[ -n "$refcpu" ] || refcpu=$refname
# "Measured <date> by `make bench`: Linux <stock> (stock)" / "and <kml>
# (KML), QEMU <version>, TCG on <cpu>, ..."
when=$(sed -n '1s/^Measured \(.*\) by `make bench`.*/\1/p' "$md")
qemu=$(sed -n '2s/.*QEMU \([^ ,]*\).*/\1/p' "$md")
kver=$(sed -n '2s/^and \([^ ]*\) (KML).*/\1/p' "$md")
table=$(awk -F, -v metric="modeled_cycles_per_op@$refname" '
	NR > 1 && $3 == "off" && $4 == metric { v[$1, $2] = $5 }
	function f(x) { return x == "" ? "n/a" : sprintf("%.0f", x) }
	function sp(s, x) { return (s == "" || x == "" || x <= 0) ? "n/a" : sprintf("%.2fx", s / x) }
	END {
		n = split("null read write stat pipe unix tcp sig_catch pagefault mmap ctxsw fork_exit fork_exec_dyn redis_get sql_point_select", b, " ")
		print "| operation | stock | KML, /bin | KML, /trusted | /trusted, direct call | speedup /trusted | speedup direct |"
		print "|---|---:|---:|---:|---:|---:|---:|"
		for (i = 1; i <= n; i++) {
			if (!((b[i], "stock") in v)) continue
			s = v[b[i], "stock"]
			printf "| %s | %s | %s | %s | %s | %s | %s |\n", b[i], f(s), f(v[b[i], "kml-normal"]),
				f(v[b[i], "kml-trusted"]), f(v[b[i], "kml-direct"]),
				sp(s, v[b[i], "kml-trusted"]), sp(s, v[b[i], "kml-direct"])
		}
	}' "$csv")
readme=$KML_TOP/README.md
grep -q '<!-- bench:begin -->' "$readme" || die "README.md has no bench markers"
tmp=$(mktemp)
{
	echo "Modeled cycles per operation, \`pti=off\`, priced with the cost table"
	echo "of $refcpu; measured $when by \`make bench\` (Linux $kver, QEMU $qemu)."
	echo "A model, not a hardware measurement: the costly instructions are"
	echo "counted exactly under QEMU, then priced. Speedup = stock / mode."
	echo
	echo "$table"
	echo
	echo "All figures (\`pti=on\`, instructions, counts, kernel share, TCG wall time,"
	echo "this machine's cost table) and how they are made: [bench/README.md](bench/README.md)."
} > "$tmp"
awk -v t="$tmp" '
	/<!-- bench:begin -->/ { print; print ""; while ((getline l < t) > 0) print l; print ""; skip = 1; next }
	/<!-- bench:end -->/ { skip = 0 }
	!skip' "$readme" > "$readme.tmp" && mv "$readme.tmp" "$readme"
rm -f "$tmp"
say "updated the results table in README.md"
