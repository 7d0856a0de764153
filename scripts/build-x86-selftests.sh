#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the kernel's own tools/testing/selftests/x86 (64-bit tests) from
# the prepared tree, against the UAPI headers of the built kernel, into
# $BUILD/x86-selftests.  The list there names every 64-bit test of the
# kernel's Makefile, built or not: the guest suite runs each, and one that
# did not build fails unless tests/guest/skip.list skips it ("x86/NAME:*:"
# with the reason); the host plans all of them (tests/harness/plan.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_cmd gcc make
OBJ=$BUILD/obj-tiny
OUTDIR=$BUILD/x86-selftests
ST=$SRC/tools/testing/selftests/x86
[ -d "$ST" ] || die "no $ST: run 'make kernel' first"
[ -f "$OBJ/.config" ] || die "no configured kernel in $OBJ: run 'make kernel' first"

hdr=$BUILD/uapi-headers
if [ ! -f "$hdr/include/linux/version.h" ] || [ "$OBJ/.config" -nt "$hdr/include/linux/version.h" ]; then
	make -s -C "$SRC" O="$OBJ" headers_install INSTALL_HDR_PATH="$hdr" >&2 ||
		die "headers_install failed"
fi

# The kernel's own Makefile builds the 64-bit tests (TARGETS_C_BOTHBITS and
# TARGETS_C_64BIT_ONLY) with their extra files and flags; the 32-bit ones
# need IA32 emulation, which the test kernel does not have.  -k: a test
# that does not build here is left out and reported.
mkdir -p "$OUTDIR"
make -C "$ST" -k OUTPUT="$OUTDIR" KHDR_INCLUDES="-isystem $hdr/include" all_64 \
	> "$OUTDIR/build.log" 2>&1 || say "some x86 selftests did not build (see $OUTDIR/build.log)"
# Every 64-bit test the Makefile knows: the two that need a 32-bit
# toolchain to be built (TARGETS_C_32BIT_NEEDED) included.
tests=$(make -s -C "$ST" -f - print-tests <<'MK'
include Makefile
print-tests:
	@echo $(TARGETS_C_BOTHBITS) $(TARGETS_C_64BIT_ONLY) $(TARGETS_C_32BIT_NEEDED)
MK
)
: > "$OUTDIR/list"
built=0
for t in $tests; do
	echo "${t}_64" >> "$OUTDIR/list"
	if [ -x "$OUTDIR/${t}_64" ]; then
		built=$((built + 1))
	else
		say "x86 selftest ${t}_64 did not build: the suite fails it unless skip.list skips it"
	fi
done
say "x86 selftests: $built of $(wc -l < "$OUTDIR/list") built in $OUTDIR"
