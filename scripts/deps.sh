#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install everything the project needs on a fresh Debian 12 machine.
# Usage: scripts/deps.sh [--check]   (--check: exit 1 if something is missing)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# libcapstone-dev: the x86 decoder of the libkml rewriter (libkml/rewrite.c).
PKGS="qemu-system-x86 busybox-static gcc make flex bison bc libelf-dev
libssl-dev cpio ccache xz-utils git patch perl python3 rsync kmod
gdb gdbserver strace libc6-dev gzip libcapstone-dev gnuplot-nox
python3-sphinx"

missing() {
	local p out=
	for p in $PKGS linux-source-6.12; do
		grep -q 'ok installed' <<< "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" ||
			out="$out $p"
	done
	echo "$out"
}

if [ "${1:-}" = --check ]; then
	m=$(missing)
	[ -z "$m" ] && [ -f "$KERNEL_TARBALL" ] && exit 0
	say "missing packages:$m"
	exit 1
fi

m=$(missing)
if [ -z "$m" ] && [ -f "$KERNEL_TARBALL" ]; then
	say "all dependencies are installed"
	exit 0
fi
[ "$(id -u)" = 0 ] || die "installing packages needs root (missing:$m)"

step "apt-get update"
apt-get update -qq || die "apt-get update failed"

# The kernel source is pinned.  If the pinned version has gone from the
# archive, take the newest 6.12 and say so loudly: the series is then
# checked against it by 'make kernel'.
src_pkg="linux-source-6.12=$KERNEL_DEB_VERSION"
if ! grep -qF "$KERNEL_DEB_VERSION" <<< "$(apt-cache madison linux-source-6.12)"; then
	avail=$(apt-cache madison linux-source-6.12 | awk '{print $3; exit}')
	[ -n "$avail" ] || die "no linux-source-6.12 package in the apt sources"
	cat >&2 <<MSG
[kml] ##################################################################
[kml] WARNING: linux-source-6.12 $KERNEL_DEB_VERSION is not available.
[kml] WARNING: falling back to $avail; the series is verified against it
[kml] WARNING: when 'make kernel' applies it.  Results are NOT for the
[kml] WARNING: pinned version.
[kml] ##################################################################
MSG
	src_pkg="linux-source-6.12=$avail"
fi

step "apt-get install"
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	--allow-downgrades $PKGS "$src_pkg" ||
	die "apt-get install failed (packages: $PKGS $src_pkg)"
[ -f "$KERNEL_TARBALL" ] || die "$KERNEL_TARBALL missing after install"
say "dependencies installed"
