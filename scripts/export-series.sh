#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Export the project (overlay files + patches/series) as a numbered
# git format-patch series against the pristine 6.12 tree, prove that
# "git am" of it onto a pristine tree gives exactly the tree that
# "make kernel" builds, and run the kernel's checkpatch.pl on it.
# Output: out/patches/ (or $PATCH_OUT).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_cmd git perl
OUT=${PATCH_OUT:-$KML_TOP/out/patches}
REPO=$BUILD/export/linux
AUTHOR="Kernel Mode Linux developers <kml@localhost>"

bash "$KML_TOP/scripts/prepare-tree.sh"

g() { git -C "$REPO" -c user.name="Kernel Mode Linux developers" -c user.email=kml@localhost \
	-c advice.detachedHead=false "$@"; }
tar_id=$(cat "$BUILD/pristine/.stamp")
if [ "$(cat "$BUILD/export/.stamp" 2>/dev/null)" != "$tar_id" ]; then
	step "making a git repository of the pristine tree (once)"
	rm -rf "$BUILD/export"
	mkdir -p "$BUILD/export"
	cp -a "$PRISTINE" "$REPO"
	g init -q
	g add -A -f .
	g commit -q -m "Linux $KERNEL_VERSION (Debian linux-source-6.12 $KERNEL_DEB_VERSION)"
	g tag pristine
	echo "$tar_id" > "$BUILD/export/.stamp"
fi
g am --abort >/dev/null 2>&1 || true
g checkout -q -f pristine
g clean -q -fdx
g branch -q -f kml pristine
g checkout -q kml

step "committing the overlay files"
files=$(cat "$SRC/.kml/overlay.list")
for f in $files; do
	mkdir -p "$REPO/$(dirname "$f")"
	cp "$KML_TOP/$f" "$REPO/$f"
done
# shellcheck disable=SC2086
g add -f $files
g commit -q -s --author="$AUTHOR" -F - <<MSG
kml: Add the Kernel Mode Linux files

Add the new files of Kernel Mode Linux: Kconfig.kml (the
CONFIG_KERNEL_MODE_LINUX option), kernel/kml/ (the kml= boot parameter
and the boot report), arch/x86/kml/ when present, and
Documentation/kml.rst.  Nothing includes them yet; the following patches
hook them into the build.
MSG

step "applying patches/series with git am"
while read -r p; do
	g am -q --keep-cr "$SRC/.kml/applied/$p" >/dev/null 2>&1 || {
		g am --abort >/dev/null 2>&1 || true
		die "git am failed on $p: it must be a mail-format patch (From:, Subject:, body, ---, diff)"
	}
done < "$SRC/.kml/applied/order"

step "git format-patch to $OUT"
rm -rf "$OUT"
g format-patch -q --cover-letter -o "$OUT" pristine..kml
cover=$(ls "$OUT"/0000-cover-letter.patch)
n=$(ls "$OUT" | grep -vc '^0000-')
subject=$(sed -n 's/^Subject: //p' "$KML_TOP/patches/cover-letter" | sed "s|0/N|0/$n|")
blurb=$(sed '1,/^$/d' "$KML_TOP/patches/cover-letter")
python3 - "$cover" "$subject" "$blurb" <<'PY'
import sys
path, subject, blurb = sys.argv[1:4]
s = open(path).read()
s = s.replace("*** SUBJECT HERE ***", subject.split("] ", 1)[-1])
s = s.replace("*** BLURB HERE ***", blurb)
open(path, "w").write(s)
PY

step "verifying: git am of the exported series onto a pristine tree"
g checkout -q -B verify pristine
for p in $(ls "$OUT"/*.patch | grep -v '/0000-'); do
	g am -q "$p" >/dev/null 2>&1 || { g am --abort || true; die "the exported $(basename "$p") does not apply with git am"; }
done
got=$(g rev-parse 'HEAD^{tree}')
idx=$(mktemp)
rm -f "$idx"
want=$(cd "$SRC" && GIT_INDEX_FILE=$idx git --git-dir="$REPO/.git" --work-tree="$SRC" add -A -f -- . ':(exclude).kml' &&
	GIT_INDEX_FILE=$idx git --git-dir="$REPO/.git" --work-tree="$SRC" write-tree)
rm -f "$idx"
if [ "$got" != "$want" ]; then
	g diff --stat "$got" "$want" >&2 || true
	die "the series applied with git am differs from the tree make kernel builds ($SRC)"
fi
say "identical trees: git am result = make kernel tree = $got"
g checkout -q kml

step "checkpatch.pl"
errors=0
for p in $(ls "$OUT"/*.patch | grep -v '/0000-'); do
	res=$(perl "$PRISTINE/scripts/checkpatch.pl" --no-tree --color=never "$p" 2>&1 || true)
	printf '%s: %s\n' "$(basename "$p")" "$(printf '%s\n' "$res" | grep -E '^total:' | head -1)"
	printf '%s\n' "$res" | { grep -E '^(ERROR|WARNING|CHECK):' || true; } | sed 's/^/    /'
	e=$(printf '%s\n' "$res" | sed -n 's/^total: \([0-9]*\) errors.*/\1/p')
	errors=$((errors + ${e:-1}))
done
[ "$errors" = 0 ] || die "checkpatch found $errors errors"
say "series: $OUT ($n patches + cover letter)"
ls "$OUT"
