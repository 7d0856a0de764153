#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the cost instrument on the host (tests/cost): the QEMU plugin
# build/cost/kml-costs.so and the classifier's test build/cost/classify-test.
# "--test" also runs the test (TAP); its exit status is the test's.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_cmd gcc
C=$KML_TOP/tests/cost
O=$BUILD/cost
mkdir -p "$O"
CFLAGS="-O2 -g -Wall -Wextra -Werror"
stale() {	# output inputs...
	local out=$1 f
	shift
	[ -e "$out" ] || return 0
	for f in "$@"; do [ "$f" -nt "$out" ] && return 0; done
	return 1
}
if stale "$O/kml-costs.so" "$C/kml-costs.c" "$C/insn-class.h"; then
	# shellcheck disable=SC2086
	gcc $CFLAGS -shared -fPIC -o "$O/kml-costs.so" "$C/kml-costs.c" -lpthread ||
		die "building the cost plugin failed"
fi
if stale "$O/classify-test" "$C/classify-test.c" "$C/insn-class.h"; then
	# shellcheck disable=SC2086
	gcc $CFLAGS -o "$O/classify-test" "$C/classify-test.c" ||
		die "building the classifier test failed"
fi
[ "${1:-}" = --test ] && exec "$O/classify-test"
exit 0
