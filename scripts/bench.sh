#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# "make bench": benchmarks, not tests.  Boots the stock 6.12 kernel (the
# same configuration without the series) and the KML kernel, under
# -icount shift=0 (guest TSC = executed instructions: path lengths) with
# the cost plugin (tests/cost/kml-costs.c: the costly instruction classes
# per operation, and from them modeled cycles, scripts/costs.py) and
# under plain TCG (wall time of the emulation, not hardware time), with
# pti=on and pti=off, and runs tests/bench/bench.sh in each: kbench's 19
# microbenchmarks, redis, and lmbench when given.  The headline figure is
# modeled cycles per operation: counts times the cost table of "make
# calibrate" (this CPU; build/cycles/local.tsv), and also with the
# reference table of our build machines' Xeon (bench/cycles/xeon-*.tsv).
# Writes
#   bench/results/latest.csv   benchmark,mode,pti,metric,value
#   bench/results/latest.md    the tables
#   bench/results/latest.png   speedups over stock (gnuplot)
# and, through scripts/bench-report.sh, bench/README.md (method, tables,
# chart) and the table on README.md's front page.
#
# Environment:
#   PTIS="on off"     the pti settings to run
#   BENCH_MS=20       milliseconds (guest clock) per kbench batch
#   BENCH_BATCHES=5   batches per figure (median, min, max)
#   ACCEL=kvm         real hardware: the wall-time boots run under KVM
#                     instead of plain TCG, and their figure is guest TSC
#                     ticks per operation (kvm_tsc_ticks_per_op: cycles at
#                     the TSC's nominal rate, on this machine's CPU), the
#                     check of the model.  Needs /dev/kvm and VMX or SVM;
#                     our build machines have neither (nested
#                     virtualisation is off), so it is untried there.
#   TCG_BOOTS=3       plain-TCG boots per kernel and pti (interleaved): the
#                     wall figure is the median of their medians, with the
#                     lowest and highest batch of all of them
#   BENCH_ONLY=a,b    only these kbench benchmarks ("none": no kbench)
#   REDIS_N=2000      requests per redis test (0: no redis)
#   SQL_N=10000       MariaDB with sysbench (Debian's; scripts/build-sql.sh):
#                     OLTP point-select transactions per run, read-write
#                     a tenth of it (0: no MariaDB)
#   LMBENCH=dir       lmbench's bin directory (make lmbench builds one from
#                     the peers tarball): run its lat_* and bw_* programs
#                     too, from /opt/lmbench and /trusted/lmbench; every
#                     one must give a figure in every mode but kml-direct
#   CPU=max           QEMU CPU model
#   CYCLES=file       the cost table of the headline (default: make
#                     calibrate's build/cycles/local.tsv, made if missing)
#   RESULTS=dir       where the results go (default bench/results)
#   README=0          leave README.md and bench/README.md alone
#   REUSE_LOGS=1      do not boot where a finished log of this run exists
#                     (for working on the reports; results may be stale)
#   BENCH_TAG=name    in the boots' log names (build/logs/bench-name-...),
#                     so that runs of different sets keep their own logs
#   RANDMAPS=1        keep address-space randomisation on (default: the
#                     boots get "norandmaps", so that every run of a
#                     program has the same layout)
#   BENCH_APPEND=...  more kernel parameters for every boot
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_cmd qemu-system-x86_64 awk
PTIS=${PTIS:-on off}
BENCH_MS=${BENCH_MS:-20}
BENCH_BATCHES=${BENCH_BATCHES:-5}
BENCH_ONLY=${BENCH_ONLY:-}
REDIS_N=${REDIS_N:-2000}
SQL_N=${SQL_N:-10000}
CPU=${CPU:-max}
TCG_BOOTS=${TCG_BOOTS:-3}
RANDMAPS=${RANDMAPS:-0}
ACCEL=${ACCEL:-tcg}
case $ACCEL in
tcg) wall=tcg ;;
kvm)
	wall=kvm
	[ -w /dev/kvm ] || die "ACCEL=kvm: no writable /dev/kvm here (load kvm_intel or kvm_amd; in a VM, nested virtualisation must be on)"
	grep -qwE 'vmx|svm' /proc/cpuinfo || die "ACCEL=kvm: this CPU shows neither vmx nor svm"
	;;
*) die "ACCEL must be tcg or kvm" ;;
esac
RESULTS=${RESULTS:-$KML_TOP/bench/results}
BENCH_TAG=${BENCH_TAG:+-$BENCH_TAG}
MODES="stock kml-normal kml-trusted kml-direct"
t_start=$(date +%s)

if ! command -v gnuplot >/dev/null; then
	step "apt-get install gnuplot-nox"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnuplot-nox ||
		die "installing gnuplot failed"
fi
if [ "$REDIS_N" != 0 ] && { ! [ -x /usr/bin/redis-server ] || ! [ -x /usr/bin/redis-benchmark ]; }; then
	step "apt-get install redis-server redis-tools"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		redis-server redis-tools || die "installing redis failed"
	# Debian starts the service where it can; the host does not need it.
	pkill -x redis-server 2>/dev/null || true
fi
[ -z "${LMBENCH:-}" ] || [ -x "$LMBENCH/lat_syscall" ] ||
	die "LMBENCH=$LMBENCH has no lat_syscall: give lmbench's bin directory"

if [ "$SQL_N" != 0 ]; then
	SQL=$(bash "$KML_TOP/scripts/build-sql.sh" | tail -1)
	export SQL
fi

step "building the KML kernel and the stock kernel (same config, no series)"
KML_KERNEL=$(KCONFIG=tiny DEBUG=0 bash "$KML_TOP/scripts/build-kernel.sh" | tail -1)
STOCK_KERNEL=$(KCONFIG=stock DEBUG=0 bash "$KML_TOP/scripts/build-kernel.sh" | tail -1)
step "building the image and the cost plugin"
INITRD=$(bash "$KML_TOP/scripts/mkinitramfs.sh" | tail -1)
export INITRD
bash "$KML_TOP/scripts/build-cost.sh" || die "building the cost plugin failed"
[ -n "${CYCLES:-}" ] || [ -f "$BUILD/cycles/local.tsv" ] || bash "$KML_TOP/scripts/calibrate.sh"
bash "$KML_TOP/scripts/calibrate.sh" >/dev/null 2>&1 || true
CYCLES=${CYCLES:-$BUILD/cycles/local.tsv}
[ -f "$CYCLES" ] || die "no cost table at $CYCLES (make calibrate)"
REF_CYCLES=$(ls "$BUILD"/cycles/xeon-*.tsv 2>/dev/null | tail -1)
cycles_cpu=$(awk -F'\t' '/^# cpu/ {print $2; exit}' "$CYCLES")
ref_cpu=$([ -n "$REF_CYCLES" ] && awk -F'\t' '/^# cpu/ {print $2; exit}' "$REF_CYCLES")

kver=$(cat "$(dirname "$KML_KERNEL")/../../../include/config/kernel.release")
skver=$(cat "$(dirname "$STOCK_KERNEL")/../../../include/config/kernel.release")
qver=$(qemu-system-x86_64 --version | head -1 | sed 's/^QEMU emulator version //')
host_cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)

append="kmltest.bench_ms=$BENCH_MS kmltest.bench_batches=$BENCH_BATCHES kmltest.redis_n=$REDIS_N kmltest.sql_n=$SQL_N"
[ -n "$BENCH_ONLY" ] && append="$append kmltest.bench_only=$BENCH_ONLY"
# One address-space layout per program: without it, where ASLR puts the
# stack, the heap and mmap's base decides how many page tables a fork
# copies, and fork+exit moved by up to 7% between two runs of one mode.
[ "$RANDMAPS" = 1 ] || append="$append norandmaps"
[ -n "${BENCH_APPEND:-}" ] && append="$append $BENCH_APPEND"
# A boot's limit: lmbench alone takes about 14 minutes per mode under
# TCG (its network tests most of it), and the KML kernel has two modes.
boot_timeout=${TIMEOUT:-1500}
[ -n "${LMBENCH:-}" ] && boot_timeout=${TIMEOUT:-4800}
# kernel:pti:clock, clock being icount or tcgN (the Nth plain-TCG boot)
runs=()
for pti in $PTIS; do
	runs+=("stock:$pti:icount" "kml:$pti:icount")
	for b in $(seq 1 "$TCG_BOOTS"); do
		runs+=("stock:$pti:$wall$b" "kml:$pti:$wall$b")
	done
done

# One boot; its KMLBENCH lines are echoed as they arrive (progress).
boot() {	# index kernel pti clock
	local i=$1 k=$2 pti=$3 clock=$4 kernel=$KML_KERNEL ic=0 rc accel=tcg
	[ "$k" = stock ] && kernel=$STOCK_KERNEL
	[ "$clock" = icount ] && ic=1
	[ "${clock#kvm}" != "$clock" ] && accel=kvm
	local log=$BUILD/logs/bench$BENCH_TAG-$k-pti$pti-$clock.log costs= app=$append
	# The instruction-counting boots also count the costly classes.
	[ $ic = 1 ] && costs=$log.costs app="$append kmltest.costs=1"
	if [ "${REUSE_LOGS:-0}" = 1 ] && grep -q KMLTEST-END "$log" 2>/dev/null; then
		say "[$i/${#runs[@]}] reusing $log"
		return
	fi
	step "[$i/${#runs[@]}] $k kernel, pti=$pti, $clock ($(( $(date +%s) - t_start )) s so far)"
	: > "$log"
	SUITE=bench KERNEL=$kernel ICOUNT=$ic ACCEL=$accel QUIET=1 TIMEOUT=$boot_timeout LOG=$log CPU=$CPU \
		SMP=1 PTI=$pti APPEND="$app" COSTS=$costs COSTS_SYMS=${costs:+$(dirname "$kernel")/../../../System.map} \
		bash "$KML_TOP/scripts/qemu-run.sh" &
	local qpid=$!
	tail -n +1 -f --pid=$qpid "$log" 2>/dev/null | tr -d '\r' | awk -v ic=$ic '
		/^KMLBENCH: / {
			split($5, t, "=|,"); split($6, w, "=|,")
			if (ic) printf "    %-14s %-12s %12.1f instructions/op\n", $2, $3, t[2]
			else printf "    %-14s %-12s %12.1f ns/op (min %.1f, max %.1f)\n", $2, $3, w[2], w[3], w[4]
			fflush()
		}
		/^KMLBENCH-(REDIS|LMBENCH|SQL): / { print "    " $0; fflush() }' || true
	rc=0
	wait $qpid || rc=$?
	[ $rc = 0 ] || die "the $k pti=$pti $clock boot failed (status $rc); log: $log"
	grep -q KMLTEST-END "$log" || die "the $k pti=$pti $clock boot did not finish; log: $log"
	if tr -d '\r' < "$log" | grep -qE 'Kernel panic|Oops|BUG:|WARNING:|general protection'; then
		die "the kernel reported a problem in the $k pti=$pti $clock boot; log: $log"
	fi
	bash "$KML_TOP/tests/harness/check-log.sh" "$log" "bench/$k/pti=$pti/$clock" 0 --no-results >/dev/null ||
		die "the log judge found a kernel complaint in the $k pti=$pti $clock boot; log: $log"
}

i=0
for r in "${runs[@]}"; do
	i=$((i + 1))
	IFS=: read -r k pti clock <<< "$r"
	boot $i "$k" "$pti" "$clock"
done

# Every mode must have run as its name says (privilege level, direct
# calls), and every kbench benchmark must be there in every mode.
step "checking and collecting the results"
mkdir -p "$RESULTS"
csv=$RESULTS/latest.csv
expect_list=$(tr ',' ' ' <<< "${BENCH_ONLY:-}")
[ -z "$expect_list" ] && expect_list=$("$BUILD/guest/kbench" -l | awk '{print $1}' | tr '\n' ' ')
[ "$expect_list" = none ] && expect_list=
# What tests/bench/bench.sh runs of lmbench, when it is given.
lm_expect=
[ -n "${LMBENCH:-}" ] && lm_expect="null read write stat fstat open sig_install sig_catch
fork_exit fork_exec pipe unix ctxsw select pagefault mmap bw_pipe bw_unix
bw_file_rd bw_mmap_rd tcp udp connect bw_tcp select_tcp"
{
	echo "benchmark,mode,pti,metric,value"
	for pti in $PTIS; do
	for k in stock kml; do
	for clock in icount $wall; do
		logs=("$BUILD/logs/bench$BENCH_TAG-$k-pti$pti-icount.log")
		[ $clock = $wall ] && logs=()
		[ $clock = $wall ] && for b in $(seq 1 "$TCG_BOOTS"); do
			logs+=("$BUILD/logs/bench$BENCH_TAG-$k-pti$pti-$wall$b.log")
		done
		cat "${logs[@]}" | tr -d '\r' |
		awk -v pti="$pti" -v ic=$([ "$clock" = icount ] && echo 1 || echo 0) -v kvm=$([ "$clock" = kvm ] && echo 1 || echo 0) \
		    -v cpl0="$KML_EXPECT_TRUSTED_CPL" -v expect="$expect_list" -v run="$k pti=$pti $clock" \
		    -v lmexpect="$(echo $lm_expect)" -v sqlexpect="$([ "$SQL_N" != 0 ] && echo point_select read_write)" \
		    -v boots=${#logs[@]} '
		function bad(msg) { print "[kml] ERROR: " run ": " msg > "/dev/stderr"; err = 1 }
		function median(list,    a, n, i, j, x) {
			n = split(list, a, " ")
			for (i = 2; i <= n; i++) {	# insertion sort, n is small
				x = a[i] + 0
				for (j = i - 1; j >= 1 && a[j] + 0 > x; j--) a[j + 1] = a[j]
				a[j + 1] = x
			}
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		/^KMLBENCH-CHECK: / {
			split($3, c, "="); split($4, d, "=")
			want = ($2 == "stock" || $2 == "kml-normal") ? 3 : cpl0
			if (c[2] != want) bad($2 " ran at CPL " c[2] ", not " want)
			if ($2 == "kml-direct" && d[2] <= 0) bad("kml-direct made no direct calls")
			if ($2 != "kml-direct" && d[2] != 0) bad($2 " made direct calls")
			modes[$2] = 1
		}
		/^KMLBENCH-IMAGES: / {
			split($3, m, "=")
			if ($2 != "kml-direct" && m[2] != 0) bad($2 " mapped patched copies")
		}
		/^KMLBENCH: / {
			split($5, t, "=|,"); split($6, w, "=|,")
			key = $2 SUBSEP $3
			if (!(key in cnt)) order[nk++] = key
			cnt[key]++
			med[key] = med[key] " " (ic || kvm ? t[2] : w[2])
			if (!(key in lo) || w[3] + 0 < lo[key]) lo[key] = w[3] + 0
			if (!(key in hi) || w[4] + 0 > hi[key]) hi[key] = w[4] + 0
		}
		# redis and MariaDB report rates (rate[]): operations per
		# second under TCG and KVM.
		/^KMLBENCH-REDIS: / {
			key = "redis_" $3 SUBSEP $2
			if (!(key in cnt)) order[nk++] = key
			cnt[key]++
			med[key] = med[key] " " (ic ? 1e9 / $4 : $4)
			rate[key] = 1
		}
		# MariaDB: transactions per second, so under -icount (1 ns per
		# instruction) 1e9 / tps instructions per transaction.
		/^KMLBENCH-SQL: / {
			split($5, tp, "=")
			key = "sql_" $3 SUBSEP $2
			if (!(key in cnt)) order[nk++] = key
			cnt[key]++
			if (tp[2] + 0 <= 0) bad($2 " sql " $3 ": no transactions per second")
			else med[key] = med[key] " " (ic ? 1e9 / tp[2] : tp[2])
			rate[key] = 1
		}
		/^KMLBENCH-LMBENCH: / {
			key = "lmbench_" $3 SUBSEP $2
			if (!(key in cnt)) order[nk++] = key
			cnt[key]++
			med[key] = med[key] " " $4 * 1000
			lm[key] = 1
		}
		END {
			for (i = 0; i < nk; i++) {
				key = order[i]
				split(key, kk, SUBSEP)
				if (cnt[key] != boots) bad(kk[1] " " kk[2] ": " cnt[key] " results from " boots " boots")
				if (ic) {
					printf "%s,%s,%s,instructions_per_op,%.1f\n", kk[1], kk[2], pti, median(med[key])
				} else if (kvm && !(key in rate)) {
					printf "%s,%s,%s,kvm_tsc_ticks_per_op,%.1f\n", kk[1], kk[2], pti, median(med[key])
				} else if (key in rate) {
					printf "%s,%s,%s,ops_per_s,%.1f\n", kk[1], kk[2], pti, median(med[key])
				} else {
					printf "%s,%s,%s,tcg_wall_ns_per_op,%.1f\n", kk[1], kk[2], pti, median(med[key])
					if (!(key in lm)) {
						printf "%s,%s,%s,tcg_wall_ns_per_op_min,%.1f\n", kk[1], kk[2], pti, lo[key]
						printf "%s,%s,%s,tcg_wall_ns_per_op_max,%.1f\n", kk[1], kk[2], pti, hi[key]
					}
				}
			}
			n = split(expect, e, " ")
			for (m in modes) for (j = 1; j <= n; j++)
				if (!((e[j], m) in cnt)) bad("no result for " e[j] " in mode " m)
			if (n && !length(modes)) bad("no benchmark ran")
			n = split(sqlexpect, e, " ")
			for (m in modes) for (j = 1; j <= n; j++)
				if (!(("sql_" e[j], m) in cnt)) bad("no MariaDB figure for " e[j] " in mode " m)
			n = split(lmexpect, e, " ")
			for (m in modes) for (j = 1; j <= n; j++)
				if (m != "kml-direct" && !(("lmbench_" e[j], m) in cnt))
					bad("no lmbench figure for " e[j] " in mode " m)
			exit err
		}' || die "the results of the $k pti=$pti $clock boots are incomplete or wrong"
	done
	# The costly instruction classes and modeled cycles (icount boots).
	python3 "$KML_TOP/scripts/costs.py" bench "$pti" "$k" "$BUILD/logs/bench$BENCH_TAG-$k-pti$pti-icount.log" \
		"$BUILD/logs/bench$BENCH_TAG-$k-pti$pti-icount.log.costs" "$CYCLES" $REF_CYCLES ||
		die "the cost counts of the $k pti=$pti icount boot do not add up"
	done
	done
} > "$csv.tmp"
mv "$csv.tmp" "$csv"
say "wrote $csv ($(( $(wc -l < "$csv") - 1 )) rows)"

# The Markdown tables.
md=$RESULTS/latest.md
{
	echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`make bench\`: Linux $skver (stock)"
	echo "and $kver (KML), QEMU $qver, TCG on $host_cpu, \`-cpu $CPU\`, 1 vCPU."
	echo "kbench: median of $BENCH_BATCHES batches of about $BENCH_MS ms (guest clock) each;"
	echo "TCG wall: the median of $TCG_BOOTS boots' medians (min-max: lowest and highest"
	echo "batch of all of them); redis: one run per boot, the median over the boots."
	echo "**Modeled cycles** (the headline) are a model, not a measurement: the"
	echo "instructions of each costly class per operation, counted exactly by the"
	echo "cost plugin under \`-icount\`, times that class's cost, and every other"
	echo "instruction at one calibrated cost (\`make calibrate\`; the tables name"
	echo "their CPU and sources; Documentation/kml.rst, \"What a real CPU pays\")."
	echo "Instructions are guest TSC ticks under \`-icount shift=0\` (deterministic"
	echo "path lengths). TCG wall times are emulation times, not hardware figures:"
	echo "TCG exaggerates CR3 switches (pti=on) and everything that flushes its TLB."
	echo "No figure here is a hardware cycle count. Speedup = stock / mode."
	echo
	awk -F, -v modes="$MODES" -v ptis="$PTIS" -v cpu="$cycles_cpu" -v refcpu="$ref_cpu" \
	    -v refname="$([ -n "$REF_CYCLES" ] && basename "$REF_CYCLES" .tsv)" '
	NR > 1 {
		v[$1, $2, $3, $4] = $5; if (!($1 in seen)) { seen[$1] = 1; b[nb++] = $1 }
		if ($4 ~ /^count_.*_per_op$/) {
			c = $4; sub(/^count_/, "", c); sub(/_per_op$/, "", c)
			if ($5 + 0 >= 0.05) cls[$1, $2, $3] = cls[$1, $2, $3] (cls[$1, $2, $3] == "" ? "" : ", ") c " " $5 + 0
		}
	}
	# The costly instructions per operation, as counted: one cell per mode.
	function costly(p,    i, j, m, nm, rows) {
		nm = split(modes, m, " ")
		rows = ""
		for (i = 0; i < nb; i++) {
			for (j = 1; j <= nm; j++)
				if ((b[i], m[j], p, "modeled_cycles_per_op") in v) break
			if (j > nm) continue
			rows = rows "| " b[i] " |"
			for (j = 1; j <= nm; j++)
				rows = rows " " ((b[i], m[j], p, "modeled_cycles_per_op") in v ? cls[b[i], m[j], p] : "n/a") " |"
			rows = rows "\n"
		}
		if (rows == "") return
		printf "#### Costly instructions per operation (counted; classes of 0.05 and more), pti=%s\n\n| benchmark |", p
		for (j = 1; j <= nm; j++) printf " %s |", m[j]
		printf "\n|---|"
		for (j = 1; j <= nm; j++) printf "---|"
		printf "\n%s\n", rows
	}
	function cell(x) { return x == "" ? "n/a" : x }
	function sp(s, x) { return (s == "" || x == "" || x <= 0) ? "n/a" : sprintf("%.2fx", s / x) }
	function table(metric, title, p,    i, j, m, nm, s, rows, sps) {
		nm = split(modes, m, " ")
		sps = metric != "ops_per_s" && metric != "kernel_share"
		rows = ""
		for (i = 0; i < nb; i++) {
			for (j = 1; j <= nm; j++)
				if ((b[i], m[j], p, metric) in v) break
			if (j > nm) continue
			rows = rows "| " b[i] " |"
			for (j = 1; j <= nm; j++) {
				s = v[b[i], m[j], p, metric]
				if (metric == "tcg_wall_ns_per_op" && s != "" && (b[i], m[j], p, metric "_min") in v)
					s = s " (" v[b[i], m[j], p, metric "_min"] "-" v[b[i], m[j], p, metric "_max"] ")"
				rows = rows " " cell(s) " |"
			}
			if (sps) {
				s = v[b[i], "stock", p, metric]
				rows = rows " " sp(s, v[b[i], "kml-trusted", p, metric]) " | " \
					sp(s, v[b[i], "kml-direct", p, metric]) " |"
			}
			rows = rows "\n"
		}
		if (rows == "") return
		printf "#### %s, pti=%s\n\n| benchmark |", title, p
		for (j = 1; j <= nm; j++) printf " %s |", m[j]
		if (sps) printf " trusted speedup | direct speedup |"
		printf "\n|---|"
		for (j = 1; j <= nm; j++) printf "---:|"
		if (sps) printf "---:|---:|"
		printf "\n%s\n", rows
	}
	END {
		np = split(ptis, pp, " ")
		for (k = 1; k <= np; k++) table("modeled_cycles_per_op", "Modeled cycles per operation (a model; cost table of " cpu ")", pp[k])
		if (refname != "")
			for (k = 1; k <= np; k++) table("modeled_cycles_per_op@" refname, "Modeled cycles per operation (a model; reference table of " refcpu ")", pp[k])
		for (k = 1; k <= np; k++) costly(pp[k])
		for (k = 1; k <= np; k++) table("instructions_per_op", "Instructions per operation (-icount shift=0)", pp[k])
		for (k = 1; k <= np; k++) table("kvm_tsc_ticks_per_op", "Guest TSC ticks per operation under KVM (hardware, this CPU)", pp[k])
		for (k = 1; k <= np; k++) table("tcg_wall_ns_per_op", "TCG wall ns per operation, median (min-max)", pp[k])
		for (k = 1; k <= np; k++) table("ops_per_s", "redis-benchmark requests and sysbench transactions per second (TCG wall)", pp[k])
		for (k = 1; k <= np; k++) table("kernel_share", "Share of the instructions that ran in the kernel (profile under -icount: system time)", pp[k])
	}' "$csv"
	echo "n/a: the mode does not exist on that kernel (stock has no KML; a stock"
	echo "kernel cannot run /trusted programs at CPL 0), or the run was not asked for."
	echo "lmbench (if given) has no direct mode: its binaries are run as they are."
	echo "Its rows are named lmbench_*; for its bw_* programs an operation is one MB"
	echo "moved (the figure is the inverse of its MB/s), so lower is better throughout."
	echo "MariaDB rows (sql_*): one sysbench run per mode and boot, server and client of"
	echo "the mode, one client thread, fixed seed; an operation is one transaction"
	echo "(point select: one query; read-write: 20), the client's start included."
} > "$md"
say "wrote $md"

# The chart: speedup over stock in modeled cycles, per benchmark and mode.
png=$RESULTS/latest.png
dat=$BUILD/bench-speedup.dat
awk -F, -v ptis="$PTIS" '
NR > 1 && $4 == "modeled_cycles_per_op" && $1 !~ /^lmbench_/ {
	v[$1, $2, $3] = $5; if (!($1 in seen)) { seen[$1] = 1; b[nb++] = $1 } }
END {
	np = split(ptis, pp, " ")
	for (k = 1; k <= np; k++) {
		printf "# pti=%s\n", pp[k]
		for (i = 0; i < nb; i++) {
			s = v[b[i], "stock", pp[k]]
			if (s == "") continue
			printf "%s", b[i]
			n = split("kml-normal kml-trusted kml-direct", m, " ")
			for (j = 1; j <= n; j++) {
				x = v[b[i], m[j], pp[k]]
				printf " %s", (x == "" || x <= 0) ? "NaN" : sprintf("%.3f", s / x)
			}
			printf "\n"
		}
		printf "\n\n"
	}
}' "$csv" > "$dat"
chart=
if ! grep -q '^[a-z]' "$dat"; then
	say "no modeled kbench or redis figures in both kernels: no chart"
else
	nptis=$(wc -w <<< "$PTIS")
	{
		echo "set terminal pngcairo size 1200,$((420 * nptis)) font 'sans,9'"
		echo "set output '$png'"
		echo "set style data histograms; set style histogram clustered gap 1"
		echo "set style fill solid 0.8 border -1; set boxwidth 0.9"
		echo "set termoption noenhanced; set xtics rotate by -40 nomirror; set grid ytics"
		echo "set ylabel 'speedup over stock (modeled cycles)'"
		echo "set key top right; set yrange [0:*]"
		echo "set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb 'black'"
		echo "set multiplot layout $nptis,1"
		idx=0
		for pti in $PTIS; do
			echo "set title 'KML $kver vs stock $skver, pti=$pti: modeled cycles (counts under QEMU $qver -icount, costs of $cycles_cpu), higher is better'"
			echo "plot '$dat' index $idx using 2:xtic(1) title 'kml-normal', '' index $idx using 3 title 'kml-trusted', '' index $idx using 4 title 'kml-direct'"
			idx=$((idx + 1))
		done
		echo "unset multiplot"
	} | gnuplot || die "gnuplot failed"
	say "wrote $png"
	chart=${RESULTS#"$KML_TOP"/}/latest.png
fi

# bench/README.md (method and every table) and README.md's table.
if [ "${README:-1}" != 0 ]; then
	RESULTS=$RESULTS bash "$KML_TOP/scripts/bench-report.sh"
fi
cat "$md"
say "make bench took $(( $(date +%s) - t_start )) s"
