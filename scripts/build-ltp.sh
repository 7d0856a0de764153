#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build LTP's system call tests from source into $BUILD/ltp (installed and
# stripped), for make ltp and the LTP boot of make test.
#
#   LTP_SRC=dir|tarball   the LTP source: a tree, or a release tarball
#                         (default: ltp-*.tar.xz of the shared peers
#                         directory, ../shared/peers beside the checkout
#                         or beside the repository it was cloned from)
#   --find                only print where the source is (exit 1: none)
#
# Prints the install directory last.  Installs LTP's build dependencies
# with apt-get when they are missing (root).  About 4 minutes on 2 cores
# the first time; nothing when the install is newer than the source.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The source: LTP_SRC, else the newest LTP tarball among the peers.
src=$(peer_source LTP_SRC 'ltp-*.tar.xz' LTP)
# --find: only say where the source is.
if [ "${1:-}" = --find ]; then
	echo "$src"
	exit 0
fi

need_pkgs "building LTP" autoconf automake pkg-config libaio-dev libacl1-dev libattr1-dev \
	libcap-dev libnuma-dev libkeyutils-dev

# The tests of runtest/syscalls that are not under testcases/kernel/syscalls.
EXTRA="testcases/kernel/security/dirtyc0w testcases/kernel/security/dirtyc0w_shmem
testcases/kernel/security/dirtypipe testcases/kernel/security/prot_hsymlinks
testcases/kernel/ipc/msgstress testcases/kernel/ipc/pipeio"

out=$BUILD/ltp
stamp=$out/.kml-built-from
# The stamp names the source and what was built from it.
want="$src ($(echo $EXTRA | md5sum | cut -c1-8))"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ "$stamp" -nt "$src" ]; then
	say "LTP already built from $src"
	echo "$out"
	exit 0
fi

work=$BUILD/ltp-src
rm -rf "$work" "$out"
mkdir -p "$work" "$out"
if [ -d "$src" ]; then
	step "copying the LTP tree $src"
	cp -a "$src/." "$work/"
else
	step "unpacking $src"
	tar -C "$work" -xf "$src" || die "unpacking $src failed"
	# A release tarball holds one top directory.
	if [ ! -f "$work/configure.ac" ]; then
		top=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -1)
		[ -n "$top" ] && [ -f "$top/configure.ac" ] || die "$src is not an LTP source"
		work=$top
	fi
fi
jobs=${JOBS:-$(( $(nproc) + 1 ))}
log=$BUILD/logs/build-ltp.log
mkdir -p "$BUILD/logs"
step "building LTP's system call tests (log: $log)"
t0=$(date +%s)
(
	set -e
	cd "$work"
	make autotools
	# ccache, with the kernel's cache: a clean clone builds it again.
	cc=gcc
	command -v ccache >/dev/null && cc="ccache gcc"
	./configure --prefix="$out" CC="$cc"
	make -j"$jobs" -C lib
	make -j"$jobs" -C testcases/lib
	make -j"$jobs" -C testcases/kernel/syscalls
	# runtest/syscalls also runs these, which live elsewhere.
	for d in $EXTRA; do make -j"$jobs" -C "$d"; done
	# lib's install fails on the build-only gen_version, harmlessly.
	make -C lib install || true
	make -C testcases/lib install
	make -C testcases/kernel/syscalls install
	for d in $EXTRA; do make -C "$d" install; done
	make -C runtest install
) > "$log" 2>&1 || die "building LTP failed (see $log)"
# Stripped: 1.3 GB of debug information is 415 MB without it.
find "$out" -type f -perm -u+x -exec sh -c 'head -c4 "$1" | grep -q ELF && strip "$1"' _ {} \; 2>/dev/null || true
for t in getpid01 dirtypipe pipeio; do
	[ -x "$out/testcases/bin/$t" ] || die "LTP built, but $out/testcases/bin/$t is missing"
done
echo "$want" > "$stamp"
say "LTP built in $(( $(date +%s) - t0 ))s: $(du -sh "$out" | cut -f1) in $out"
echo "$out"
