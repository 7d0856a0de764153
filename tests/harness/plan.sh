#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The host's plan of a guest boot: the (test, mode) pairs the guest suite
# must report, one "KMLTEST: PLAN-ITEM test mode" line each, computed on
# the host from the same runner (tests/guest/suite.sh, KMLTEST_PLAN_ONLY=1)
# with the host's lists (tests/guest/*.list and the x86 selftests the
# build names, built or not) and the boot's kernel command line.  The
# judge (check-log.sh --plan) then fails a boot whose results differ, what
# the image holds or computes notwithstanding.
#   plan.sh SUITE "KERNEL COMMAND LINE"
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/lib.sh"
suite=$1 cmdline=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$top/tests/guest/xfail.list" "$top/tests/guest/skip.list" "$tmp/"
if [ -f "$BUILD/x86-selftests/list" ]; then
	cp "$BUILD/x86-selftests/list" "$tmp/x86.list"
else
	: > "$tmp/x86.list"
fi
# The runner writes the preload file of its rewrite modes: a file of
# ours, never the host's /etc/ld.so.preload (checked before and after).
[ -e /etc/ld.so.preload ] && pre=$(cat /etc/ld.so.preload) || pre=none
rc=0
KMLTEST_PLAN_ONLY=1 KMLTEST_DIR=$tmp KMLTEST_PRELOAD=$tmp/preload \
	KMLTEST_CMDLINE="$cmdline" sh "$top/tests/guest/suite.sh" "$suite" > "$tmp/out" || rc=$?
[ "$rc" = 0 ] || die "tests/guest/suite.sh $suite in plan-only mode exited with $rc: $(tail -1 "$tmp/out")"
grep '^KMLTEST: PLAN-ITEM ' "$tmp/out" || die "the plan of suite $suite is empty"
[ -e /etc/ld.so.preload ] && post=$(cat /etc/ld.so.preload) || post=none
[ "$pre" = "$post" ] || die "plan.sh changed the host's /etc/ld.so.preload"
