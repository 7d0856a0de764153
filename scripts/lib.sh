# SPDX-License-Identifier: GPL-2.0
# Common settings and helpers for the KML build scripts.  Sourced, not run.

KML_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KERNEL_VERSION=6.12.117
KERNEL_DEB_VERSION=6.12.117-1~deb12u1
KERNEL_TARBALL=/usr/src/linux-source-6.12.tar.xz

BUILD=${BUILD:-$KML_TOP/build}
PRISTINE=$BUILD/pristine/linux-source-6.12	# unpacked tarball, never modified
SRC=$BUILD/src				# pristine + overlay + series
OBJ=$BUILD/obj${KCONFIG:+-$KCONFIG}	# out-of-tree kernel objects (O=)
OVERLAY_DIRS="arch/x86/kml kernel/kml"

# The CPL that programs under /trusted must run at with this series; the
# guest tests check it (a kml=off boot always expects 3).
KML_EXPECT_TRUSTED_CPL=${KML_EXPECT_TRUSTED_CPL:-0}
OVERLAY_FILES="Kconfig.kml Documentation/kml.rst include/linux/kml.h arch/x86/include/asm/kml.h"

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/kml-ccache}
export CCACHE_BASEDIR=$KML_TOP
export CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}

say() { printf '[kml] %s\n' "$*" >&2; }
die() { printf '[kml] ERROR: %s\n' "$*" >&2; exit 1; }
step() { printf '\n[kml] === %s\n' "$*" >&2; }
# elf_files DIR [SKIP]...: the ELF files under DIR, sorted; directories
# named SKIP are left out, and always the rewriter's patched copies
# (kml-rewrite.cache.d: the same objects again, but patched).
elf_files() {
	local f d=$1 skip=(-name kml-rewrite.cache.d -prune -o)
	shift
	for f in "$@"; do
		skip+=(-name "$f" -prune -o)
	done
	find "$d" "${skip[@]}" -type f -print | LC_ALL=C sort | while read -r f; do
		if [ "$(head -c4 "$f" | od -An -c | tr -d ' ')" = 177ELF ]; then
			printf '%s\n' "$f"
		fi
	done
}

# peer_source VAR GLOB WHAT: the source of an outside suite: $VAR if set,
# else the newest tarball matching GLOB among the shared peers, beside
# this checkout or beside the repository it was cloned from; printed as
# an absolute path.  Dies, naming VAR, when there is none.
peer_source() {
	local src=${!1:-} origin d t
	if [ -z "$src" ]; then
		origin=$(git -C "$KML_TOP" config --get remote.origin.url 2>/dev/null || true)
		for d in "$KML_TOP/../shared/peers" ${origin:+"$origin/../shared/peers"}; do
			t=$(ls "$d"/$2 2>/dev/null | tail -1 || true)
			[ -n "$t" ] && { src=$t; break; }
		done
	fi
	[ -n "$src" ] && [ -e "$src" ] ||
		die "no $3 source: set $1 to its tree or tarball (none in ../shared/peers)"
	echo "$(cd "$(dirname "$src")" && pwd)/$(basename "$src")"
}

# need_pkgs WHY PKG...: install the Debian packages that are missing
# (root), saying what for.
need_pkgs() {
	local why=$1 p miss=
	shift
	for p in "$@"; do
		grep -q 'ok installed' <<< "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" ||
			miss="$miss $p"
	done
	[ -z "$miss" ] && return 0
	[ "$(id -u)" = 0 ] || die "$why needs:$miss (run as root to install them)"
	step "apt-get install$miss ($why)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $miss \
		>/dev/null || die "apt-get install failed:$miss"
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			die "'$c' is missing: run 'make deps' (installs everything with apt-get)"
	done
}
