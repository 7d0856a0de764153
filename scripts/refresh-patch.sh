#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regenerate the diff of a hook patch from the working tree build/src,
# keeping its mail header (From:, Subject:, body, ---).
#
#   scripts/refresh-patch.sh patches/NNNN-name.patch [new/file/in/kernel ...]
#
# Workflow: edit the existing kernel files in build/src, then refresh the
# patch that owns them.  Files already in the patch are always included;
# name further files to add them.  A kernel file may belong to one patch
# of the series only, so that each diff is against the pristine file.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
patch=${1:?usage: refresh-patch.sh patches/NAME.patch [file ...]}
shift
[ -f "$patch" ] || die "$patch does not exist (create it with a header first)"
name=$(basename "$patch")
files=$( { sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$patch"; printf '%s\n' "$@"; } | sed '/^$/d' | sort -u)
[ -n "$files" ] || die "no files: name the kernel files this patch changes"
for f in $files; do
	[ -e "$PRISTINE/$f" ] || die "$f is not a file of the pristine kernel: new files belong in the overlay"
	for other in "$KML_TOP"/patches/*.patch; do
		[ "$(basename "$other")" = "$name" ] && continue
		grep -q "^+++ b/$f\b" "$other" && die "$f is already changed by $(basename "$other")"
	done
done
tmp=$(mktemp)
sed '/^--- a\//,$d; /^diff --git /,$d' "$patch" > "$tmp"
for f in $files; do
	diff -up --label "a/$f" --label "b/$f" "$PRISTINE/$f" "$SRC/$f" >> "$tmp" || [ $? = 1 ]
done
mv "$tmp" "$patch"
say "refreshed $patch: $(echo $files)"
