#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the guest suite on every machine configuration of MATRIX and print
# the total as the last line: "N passed, N failed".
#
#   MATRIX="cpu,pti,smp[,kernel parameter] ..."
#       default: max,on,2 max,off,1 qemu64,on,1 qemu64,off,2,kml_fastpath=off max,on,1,kml=off
#   DIRECT="cpu,pti,smp[,param] ..."   matrix boots that also run the C
#                             tests through the direct-call shim and the
#                             rewriter (kmltest.direct=1; default: the
#                             first and the kml_fastpath=off boot)
#   BOOT_TIMEOUT=seconds      per boot (default 600)
#   STRESS=seconds            mixed KML/normal stress on 2 vCPUs after the
#                             matrix (default 60; 0 skips it)
#   (always) one boot with kml_trusted_dir=/opt/kml (tests/guest/trusteddir.sh)
#   X86=1|0                   the kernel's tools/testing/selftests/x86 in
#                             both modes, one boot (default 1)
#   OVERFLOW=1|0              a kernel stack overflow (LKDTM EXHAUST_STACK)
#                             from /bin and from /trusted, one boot each,
#                             each ending in the stock report and a panic
#                             (default 1)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/lib.sh"
MATRIX=${MATRIX:-"max,on,2 max,off,1 qemu64,on,1 qemu64,off,2,kml_fastpath=off max,on,1,kml=off"}
DIRECT=${DIRECT:-"max,on,2 qemu64,off,2,kml_fastpath=off"}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-600}
STRESS=${STRESS:-60}
X86=${X86:-1}
OVERFLOW=${OVERFLOW:-1}

step "self-test of the log checker"
bash "$top/tests/harness/selftest.sh" || die "the log checker is broken; guest results would mean nothing"

tp=0 tf=0 tx=0 ts=0
xfails= skips=
runs=$MATRIX
runs="$runs dir"
[ "$X86" != 0 ] && runs="$runs x86"
[ "$STRESS" != 0 ] && runs="$runs stress"
for m in $runs; do
	suite=test timeout=$BOOT_TIMEOUT
	if [ "$m" = x86 ]; then
		suite=x86
		m="max,on,2"
	elif [ "$m" = dir ]; then
		# A configured trusted directory; an invalid value first.
		suite=dir
		m="max,on,1,kml_trusted_dir=relative/dir kml_trusted_dir=/opt/kml"
	elif [ "$m" = stress ]; then
		# KML and normal processes side by side on two CPUs.
		suite=stress timeout=$((STRESS + 300))
		m="max,on,2,kmltest.stress=$STRESS"
	fi
	IFS=, read -r cpu pti smp param <<< "$m"
	case " $DIRECT " in
	*" $m "*) [ $suite = test ] && param="${param:+$param }kmltest.direct=1" ;;
	esac
	label="$cpu/pti=$pti/smp$smp${param:+/$param}"
	[ $suite = stress ] && label="stress/$cpu/pti=$pti/smp$smp/${STRESS}s"
	[ $suite = x86 ] && label="x86-selftests/$cpu/pti=$pti/smp$smp"
	[ $suite = dir ] && label="trusted-dir/$cpu/pti=$pti/smp$smp"
	log=$BUILD/logs/$suite-$cpu-pti$pti-smp$smp${param:+-${param//[^a-z0-9=]/_}}.log
	step "guest $suite suite on $label"
	start=$(date +%s)
	# kml=off: /trusted programs must run exactly as normal ones
	expect=$KML_EXPECT_TRUSTED_CPL
	[ "$param" = kml=off ] && expect=3
	# The stress boot also gets an NMI every 250 ms (issue 3: NMIs that
	# hit KML programs, the IST stubs and the direct-call windows).
	nmi=
	[ $suite = stress ] && nmi=0.25
	KML_EXPECT_TRUSTED_CPL=$expect APPEND="$param" CPU=$cpu PTI=$pti SMP=$smp SUITE=$suite QUIET=1 TIMEOUT=$timeout LOG=$log \
		NMI_EVERY=$nmi bash "$top/scripts/qemu-run.sh"
	qrc=$?
	out=$(bash "$top/tests/harness/check-log.sh" "$log" "$label" "$qrc")
	if [ -n "$nmi" ]; then
		nn=$(tr -d '\r' < "$log" | grep -c "NMI received for unknown reason" || true)
		if [ "$nn" -gt 0 ]; then
			out="$out"$'\n'"PASS  $label  nmi (mixed): $nn NMI reports during the stress ($(cat "$log.nmi" 2>/dev/null))"
			out=$(printf '%s\n' "$out" | sed 's/^SUMMARY passed=\([0-9]*\)/SUMMARY passed=$((\1 + 1))/')
		else
			out="$out"$'\n'"FAIL  $label  nmi (mixed): no NMI reached the guest ($(cat "$log.nmi" 2>/dev/null))"
			out=$(printf '%s\n' "$out" | sed 's/failed=\([0-9]*\)/failed=$((\1 + 1))/')
		fi
	fi
	printf '%s\n' "$out" | grep -v '^SUMMARY'
	eval "$(printf '%s\n' "$out" | sed -n 's/^SUMMARY //p')"
	say "$label: $passed passed, $failed failed, $xfail expected failures, $skipped skipped in $(( $(date +%s) - start ))s (log: $log)"
	tp=$((tp + passed)) tf=$((tf + failed)) tx=$((tx + xfail)) ts=$((ts + skipped))
	xf=$(printf '%s\n' "$out" | grep '^XFAIL' || true)
	[ -n "$xf" ] && xfails="$xfails$xf"$'\n'
	sk=$(printf '%s\n' "$out" | grep '^SKIP' || true)
	[ -n "$sk" ] && skips="$skips$sk"$'\n'
done

# A kernel stack overflow must end as on the stock kernel: the #DF
# handler's "stack guard page was hit" report, then a panic; from /trusted
# too, where #PF goes through the KML IST stub (tests/guest/overflow.sh).
if [ "$OVERFLOW" != 0 ]; then
	for mode in normal trusted; do
		log=$BUILD/logs/overflow-$mode.log
		label="overflow/max/pti=on/smp1"
		km=0
		[ $mode = trusted ] && [ "$KML_EXPECT_TRUSTED_CPL" = 0 ] && km=1
		step "kernel stack overflow from $mode mode ($label)"
		CPU=max PTI=on SMP=1 SUITE=overflow-$mode QUIET=1 TIMEOUT=300 LOG=$log \
			bash "$top/scripts/qemu-run.sh"
		why=
		tr -d '\r' < "$log" > "$log.txt"
		grep -q "^KMLOVERFLOW: .*busybox, KernelMode $km" "$log.txt" ||
			why="the overflowing shell did not run with KernelMode $km"
		grep -q "stack guard page was hit" "$log.txt" || why="${why:+$why; }no 'stack guard page was hit' report"
		grep -q "Kernel panic" "$log.txt" || why="${why:+$why; }no panic"
		grep -q "KML IST stack" "$log.txt" && why="${why:+$why; }the KML IST stub panicked instead"
		grep -q "KMLOVERFLOW: still alive" "$log.txt" && why="${why:+$why; }the kernel survived"
		if [ -z "$why" ]; then
			printf 'PASS  %s  overflow (%s)\n' "$label" $mode
			tp=$((tp + 1))
		else
			printf 'FAIL  %s  overflow (%s): %s (log: %s)\n' "$label" $mode "$why" "$log"
			tf=$((tf + 1))
		fi
		rm -f "$log.txt"
	done
fi

echo
if [ -n "$xfails" ]; then
	echo "Expected failures (tests/guest/xfail.list):"
	printf '%s' "$xfails" | sed 's/^/  /'
else
	echo "Expected failures: none listed (tests/guest/xfail.list)"
fi
if [ -n "$skips" ]; then
	echo "Skipped ($ts; tests/guest/skip.list, or the test found its feature absent):"
	printf '%s' "$skips" | sed 's/^/  /'
fi
echo "$tp passed, $tf failed"
[ $tf = 0 ]
