#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build lmbench3's programs from source into $BUILD/lmbench/bin, for
# "make lmbench" (and "make bench LMBENCH=dir" with that directory).
#
#   LMBENCH_SRC=dir|tarball   the lmbench3 source: a tree, or a tarball
#                             (default: lmbench3-*.tar.xz of the shared
#                             peers directory, ../shared/peers beside the
#                             checkout or beside the repository it was
#                             cloned from)
#   --find                    only print where the source is (exit 1: none)
#
# Prints the bin directory last.  Seconds: lmbench is small.  Its old C
# needs -fcommon and -D_GNU_SOURCE, and lat_rpc needs libtirpc.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$(peer_source LMBENCH_SRC 'lmbench3-*.tar.xz' lmbench3)
if [ "${1:-}" = --find ]; then
	echo "$src"
	exit 0
fi

need_pkgs "lmbench's lat_rpc" libtirpc-dev

out=$BUILD/lmbench
stamp=$out/.kml-built-from
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$src" ] && [ "$stamp" -nt "$src" ] &&
   [ "$stamp" -nt "$0" ]; then
	say "lmbench already built from $src"
	echo "$out/bin"
	exit 0
fi
work=$BUILD/lmbench-src
rm -rf "$work" "$out"
mkdir -p "$work" "$out/bin" "$BUILD/logs"
if [ -d "$src" ]; then
	cp -a "$src/." "$work/"
else
	tar -C "$work" -xf "$src" || die "unpacking $src failed"
fi
# The tree has src/lat_syscall.c, at the top or one directory down.
srcdir=$(dirname "$(find "$work" -maxdepth 3 -path '*/src/lat_syscall.c' | head -1)")
[ -f "$srcdir/Makefile" ] || die "$src is not an lmbench source (no src/lat_syscall.c)"
log=$BUILD/logs/build-lmbench.log
step "building lmbench (log: $log)"
cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"
# Its Makefile's own driver (scripts/build) probes the compiler; the
# probes' results for Debian's gcc are given here instead.
make -C "$srcdir" -j"$(( $(nproc) + 1 ))" O="$out/bin" CC="$cc" \
	CFLAGS="-O2 -fcommon -D_GNU_SOURCE -DRUSAGE -I/usr/include/tirpc -w" \
	LDLIBS="-lm -ltirpc" all > "$log" 2>&1 || die "building lmbench failed (see $log)"
rm -f "$out"/bin/*.o "$out"/bin/*.a
for p in lat_syscall lat_sig lat_proc lat_pipe lat_unix lat_tcp lat_udp lat_connect \
	 lat_ctx lat_select lat_pagefault lat_mmap lat_fcntl bw_pipe bw_unix bw_tcp \
	 bw_file_rd bw_mmap_rd hello; do
	[ -x "$out/bin/$p" ] || die "lmbench built, but $out/bin/$p is missing (see $log)"
done
strip "$out"/bin/* 2>/dev/null || true
echo "$src" > "$stamp"
say "lmbench built: $(ls "$out/bin" | wc -l) programs in $out/bin"
echo "$out/bin"
