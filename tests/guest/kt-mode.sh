# SPDX-License-Identifier: GPL-2.0
# Sourced first by every shell test of the suite: the shell that runs the
# test must run in the mode the suite ran it in (KMLTEST_EXPECT_CPL, set
# by suite.sh's run_test): KernelMode 1 in /proc/<pid>/status iff CPL 0.
# A shell left at CPL 3 where CPL 0 is promised (or the reverse) ends the
# test at once, failed: a PASS must prove the mode it ran in.
kt_km=$(/bin/busybox awk '/^KernelMode:/ { print $2 }' /proc/$$/status)
case ${KMLTEST_EXPECT_CPL:-unset} in
0) kt_want=1 ;;
3) kt_want=0 ;;
*)
	echo "not ok - KMLTEST_EXPECT_CPL is '${KMLTEST_EXPECT_CPL:-}': not run by the suite"
	exit 1 ;;
esac
if [ "$kt_km" != "$kt_want" ]; then
	echo "not ok - the test's shell runs with KernelMode '$kt_km', its mode ${KMLTEST_MODE:-?} promises CPL $KMLTEST_EXPECT_CPL"
	exit 1
fi
echo "ok - the test's shell runs with KernelMode $kt_km, as mode ${KMLTEST_MODE:-?} promises (CPL $KMLTEST_EXPECT_CPL)"
