#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the guest suite on every machine configuration of MATRIX and print
# the total as the last line: "N passed, N failed".
#
#   MATRIX="cpu,pti,smp[,kernel parameter] ..."
#       default: max,on,2 max,off,1 qemu64,on,1 qemu64,off,2 max,on,1,kml=off
#   BOOT_TIMEOUT=seconds      per boot (default 600)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/lib.sh"
MATRIX=${MATRIX:-"max,on,2 max,off,1 qemu64,on,1 qemu64,off,2 max,on,1,kml=off"}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-600}

step "self-test of the log checker"
bash "$top/tests/harness/selftest.sh" || die "the log checker is broken; guest results would mean nothing"

tp=0 tf=0 tx=0 ts=0
xfails=
for m in $MATRIX; do
	IFS=, read -r cpu pti smp param <<< "$m"
	label="$cpu/pti=$pti/smp$smp${param:+/$param}"
	log=$BUILD/logs/test-$cpu-pti$pti-smp$smp${param:+-$param}.log
	step "guest suite on $label"
	start=$(date +%s)
	# kml=off: /trusted programs must run exactly as normal ones
	expect=${KML_EXPECT_TRUSTED_CPL:-3}
	[ "$param" = kml=off ] && expect=3
	KML_EXPECT_TRUSTED_CPL=$expect APPEND="$param" CPU=$cpu PTI=$pti SMP=$smp SUITE=test QUIET=1 TIMEOUT=$BOOT_TIMEOUT LOG=$log \
		bash "$top/scripts/qemu-run.sh"
	qrc=$?
	out=$(bash "$top/tests/harness/check-log.sh" "$log" "$label" "$qrc")
	printf '%s\n' "$out" | grep -v '^SUMMARY'
	eval "$(printf '%s\n' "$out" | sed -n 's/^SUMMARY //p')"
	say "$label: $passed passed, $failed failed, $xfail expected failures, $skipped skipped in $(( $(date +%s) - start ))s (log: $log)"
	tp=$((tp + passed)) tf=$((tf + failed)) tx=$((tx + xfail)) ts=$((ts + skipped))
	xfails="$xfails$(printf '%s\n' "$out" | grep '^XFAIL' || true)"
done

echo
if [ -n "$xfails" ]; then
	echo "Expected failures (tests/guest/xfail.list):"
	printf '%s\n' "$xfails" | sed 's/^/  /'
else
	echo "Expected failures: none listed (tests/guest/xfail.list)"
fi
[ $ts -gt 0 ] && echo "Skipped: $ts"
echo "$tp passed, $tf failed"
[ $tf = 0 ]
