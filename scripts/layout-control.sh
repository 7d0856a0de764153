#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# "make layout-control": what the direct mode's extra mappings cost by
# themselves.  The rewriter adds the direct-call page at address 0 to a
# direct-mode process; until 2026-12-07 it also kept the site cache
# (/etc/kml-rewrite.cache) mapped, which it now maps only while it works
# ("c" stays as a measure of one more mapping).  One boot of the KML
# kernel under -icount shift=0 with the cost plugin runs kbench in its
# three KML modes, then kbench.shim (the direct mode's program) from
# /bin, in ring 3 where the rewriter does nothing: plain ("none") and with
# those mappings made by kbench itself ("0", "c", "0c"; KBENCH_LAYOUT in
# tests/bench/kbench.c).
# Same kernel, same program, no KML path: whatever "0" costs beyond
# "none" is the page's, and kml-direct beyond "0" is KML's.
#
# Prints instructions and modeled cycles (Xeon table) per operation.  The
# boot has "norandmaps", as make bench's have: one layout per program.
# Environment: BENCH_ONLY (default fork_exit,fork_exec,fork_exec_dyn,mmap,
# pagefault), PTI (off), BENCH_BATCHES (3), LOG
# (build/logs/layout-control.log).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_cmd qemu-system-x86_64 python3
BENCH_ONLY=${BENCH_ONLY:-fork_exit,fork_exec,fork_exec_dyn,mmap,pagefault}
PTI=${PTI:-off}
BENCH_BATCHES=${BENCH_BATCHES:-3}
LOG=${LOG:-$BUILD/logs/layout-control.log}
KERNEL=$(KCONFIG=tiny DEBUG=0 bash "$KML_TOP/scripts/build-kernel.sh" | tail -1)
INITRD=$(bash "$KML_TOP/scripts/mkinitramfs.sh" | tail -1)
export INITRD
bash "$KML_TOP/scripts/build-cost.sh" || die "building the cost plugin failed"
mkdir -p "$(dirname "$LOG")"
costs=$LOG.costs syms=$(dirname "$KERNEL")/../../../System.map
step "one boot: kbench in the KML modes, kbench.shim in ring 3 with and without the mappings"
SUITE=bench KERNEL=$KERNEL ICOUNT=1 QUIET=1 TIMEOUT=${TIMEOUT:-1500} LOG=$LOG SMP=1 PTI=$PTI \
	APPEND="norandmaps kmltest.bench_only=$BENCH_ONLY kmltest.redis_n=0 kmltest.sql_n=0 kmltest.costs=1 kmltest.bench_batches=$BENCH_BATCHES kmltest.bench_control=1" \
	COSTS=$costs COSTS_SYMS=$syms \
	bash "$KML_TOP/scripts/qemu-run.sh"
# Every control ran in ring 3 and made no direct call; the direct mode made some.
tr -d '\r' < "$LOG" | awk '
	/^KMLBENCH-CHECK: / {
		split($3, c, "="); split($4, d, "=")
		if ($2 ~ /^shim-layout/ && (c[2] != 3 || d[2] != 0)) bad = bad " " $2
		if ($2 == "kml-direct" && d[2] <= 0) bad = bad " " $2
		n++
	}
	END {
		if (n != 7) { print "layout-control: expected 7 modes, got " n > "/dev/stderr"; exit 1 }
		if (bad != "") { print "layout-control: not run as named:" bad > "/dev/stderr"; exit 1 }
	}' || die "the boot did not run the modes it names ($LOG)"
ref=$(find "$KML_TOP/bench/cycles" -name 'xeon-*.tsv' | sort | tail -1)
table=$BUILD/cycles/layout-control.tsv
mkdir -p "$BUILD/cycles"
python3 "$KML_TOP/scripts/costs.py" table "$ref" "$KML_TOP/bench/cycles/literature.tsv" > "$table"
python3 "$KML_TOP/scripts/costs.py" counts "$LOG" "$LOG.costs" --csv "$LOG.csv" > /dev/null
step "per operation, pti=$PTI: instructions, modeled cycles ($(basename "$ref"))"
python3 "$KML_TOP/scripts/costs.py" model "$LOG.csv" "$table" |
	awk -F, 'NR > 1 { printf "%-14s %-18s %12.0f %12.0f\n", $2, $3, $4, $5 }'
