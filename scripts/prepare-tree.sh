#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Bring $SRC to "pristine 6.12 + overlay + patches/series", touching only
# the files that change, so that the following kernel build is incremental.
#
#  - $PRISTINE is the unpacked linux-source-6.12 tarball; never modified.
#  - $SRC is a copy of it.  $SRC/.kml/ records what was applied: a copy of
#    each applied patch (in order) and the list of overlaid files.  A patch
#    that changed is reverse-applied with the patches after it, then the
#    new series is applied.  Overlay files are copied by checksum.
#  - Files edited in $SRC and captured with scripts/refresh-patch.sh are
#    recognised (they hold exactly pristine + the patch) and go back to
#    pristine before their patch is applied; edits that no patch holds
#    stop the script before it changes anything.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_cmd tar xz patch rsync cmp

# --- 1. pristine source --------------------------------------------------
[ -f "$KERNEL_TARBALL" ] || die "$KERNEL_TARBALL not found: run 'make deps'"
tar_id=$(stat -c '%s-%Y' "$KERNEL_TARBALL")
if [ "$(cat "$BUILD/pristine/.stamp" 2>/dev/null)" != "$tar_id" ]; then
	step "unpacking $KERNEL_TARBALL (once)"
	rm -rf "$BUILD/pristine" "$SRC"
	mkdir -p "$BUILD/pristine"
	tar -C "$BUILD/pristine" -xf "$KERNEL_TARBALL" || die "unpacking failed"
	[ -f "$PRISTINE/Makefile" ] || die "unexpected tarball layout (no $PRISTINE/Makefile)"
	echo "$tar_id" > "$BUILD/pristine/.stamp"
fi
ver=$(make -s -C "$PRISTINE" kernelversion 2>/dev/null)
if [ "$ver" != "$KERNEL_VERSION" ]; then
	say "#############################################################"
	say "WARNING: kernel source is $ver, the project is pinned to $KERNEL_VERSION"
	say "#############################################################"
fi

# --- 2. working tree ------------------------------------------------------
if [ "$(cat "$SRC/.kml/base" 2>/dev/null)" != "$tar_id" ]; then
	step "copying the pristine tree to $SRC"
	rm -rf "$SRC"
	cp -a "$PRISTINE" "$SRC"
	mkdir -p "$SRC/.kml/applied"
	: > "$SRC/.kml/overlay.list"
	echo "$tar_id" > "$SRC/.kml/base"
fi
state=$SRC/.kml

# --- 3. overlay -----------------------------------------------------------
new_list=$(mktemp)
trap 'rm -f "$new_list"' EXIT
(
	cd "$KML_TOP"
	for d in $OVERLAY_DIRS; do
		if [ -d "$d" ]; then find "$d" -type f ! -name '.*'; fi
	done
	for f in $OVERLAY_FILES; do
		if [ -f "$f" ]; then echo "$f"; fi
	done
) | sort > "$new_list"

while read -r f; do
	[ -e "$PRISTINE/$f" ] && die "overlay file $f would replace a file of the kernel; change it with a patch in patches/ instead"
	if ! cmp -s "$KML_TOP/$f" "$SRC/$f"; then
		mkdir -p "$(dirname "$SRC/$f")"
		cp "$KML_TOP/$f" "$SRC/$f"	# new mtime: make rebuilds it
		say "overlay: $f"
	fi
done < "$new_list"
# Files that left the overlay leave the tree too.
comm -23 "$state/overlay.list" "$new_list" | while read -r f; do
	rm -f "$SRC/$f"
	say "overlay: removed $f"
done
cp "$new_list" "$state/overlay.list"

# --- 4. patches/series ----------------------------------------------------
series=()
if [ -f "$KML_TOP/patches/series" ]; then
	while read -r line; do
		line=${line%%#*}
		line=$(echo "$line" | xargs)
		[ -n "$line" ] || continue
		[ -f "$KML_TOP/patches/$line" ] || die "patches/series names $line, which does not exist"
		series+=("$line")
	done < "$KML_TOP/patches/series"
fi
applied=()
[ -f "$state/applied/order" ] && mapfile -t applied < "$state/applied/order"

# Longest common prefix of identical patches.
keep=0
while [ $keep -lt ${#applied[@]} ] && [ $keep -lt ${#series[@]} ] &&
      [ "${applied[$keep]}" = "${series[$keep]}" ] &&
      cmp -s "$state/applied/${applied[$keep]}" "$KML_TOP/patches/${series[$keep]}"; do
	keep=$((keep + 1))
done

# The kernel files a patch changes (each belongs to one patch only).
patch_files() { sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$1"; }

# True if each file of patch $1 in $SRC is pristine or exactly pristine + $1:
# the state scripts/refresh-patch.sh leaves after files were edited in $SRC
# (the patch's other files may have been reverse-applied meanwhile).
tree_has_patch() {
	local tmp f ok=0
	tmp=$(mktemp -d)
	for f in $(patch_files "$1"); do
		mkdir -p "$tmp/$(dirname "$f")"
		cp "$PRISTINE/$f" "$tmp/$f"
	done
	patch -d "$tmp" -p1 -s -f --no-backup-if-mismatch < "$1" >/dev/null 2>&1 || ok=1
	for f in $(patch_files "$1"); do
		[ $ok = 0 ] && { cmp -s "$tmp/$f" "$SRC/$f" ||
			cmp -s "$PRISTINE/$f" "$SRC/$f"; } || ok=1
	done
	rm -rf "$tmp"
	return $ok
}

restore_pristine() {	# patch
	local f
	for f in $(patch_files "$1"); do
		cp "$PRISTINE/$f" "$SRC/$f"
	done
}

# Undo a changed patch.  If the files were edited in $SRC and hold
# exactly its new version (refresh-patch.sh was run), they go back to
# pristine.  That is checked first: reversing the old version would also
# succeed when the edit lies outside its hunks, and leave the edit behind.
# Otherwise the old version must reverse cleanly (checked first, so that
# a failure leaves the tree as it was).
for ((i = ${#applied[@]} - 1; i >= keep; i--)); do
	p=${applied[$i]}
	say "unapplying $p"
	if [ -f "$KML_TOP/patches/$p" ] && ! cmp -s "$KML_TOP/patches/$p" "$state/applied/$p" &&
		tree_has_patch "$KML_TOP/patches/$p"; then
		say "  $p: $SRC already holds its new version (refreshed); restoring pristine files"
		# Both file lists: a refresh may have added a file.
		restore_pristine "$state/applied/$p"
		restore_pristine "$KML_TOP/patches/$p"
	elif patch -d "$SRC" -p1 -R -s -f --dry-run --no-backup-if-mismatch \
		< "$state/applied/$p" >/dev/null 2>&1; then
		patch -d "$SRC" -p1 -R -s -f --no-backup-if-mismatch < "$state/applied/$p"
	else
		die "$p does not reverse-apply and $SRC holds edits that no patch has: $(patch_files "$state/applied/$p" | tr '\n' ' ')(refresh the patch, or remove $SRC)"
	fi
	rm -f "$state/applied/$p"
done
printf '%s\n' "${applied[@]:0:$keep}" | sed '/^$/d' > "$state/applied/order"

for ((i = keep; i < ${#series[@]}; i++)); do
	p=${series[$i]}
	if ! out=$(patch -d "$SRC" -p1 -f --dry-run --no-backup-if-mismatch < "$KML_TOP/patches/$p" 2>&1); then
		if tree_has_patch "$KML_TOP/patches/$p"; then
			# A new patch made with refresh-patch.sh from edits in $SRC.
			say "  $p: $SRC already holds it (refreshed); restoring pristine files"
			restore_pristine "$KML_TOP/patches/$p"
		else
			printf '%s\n' "$out" | sed 's/^/    /' >&2
			die "patch $p does not apply to linux $ver (see the failing file and hunk above)"
		fi
	fi
	patch -d "$SRC" -p1 -s -f --no-backup-if-mismatch < "$KML_TOP/patches/$p" ||
		die "patch $p failed to apply"
	cp "$KML_TOP/patches/$p" "$state/applied/$p"
	echo "$p" >> "$state/applied/order"
	say "applied $p"
done
say "tree ready: $SRC (${#series[@]} patches, $(wc -l < "$new_list") overlay files)"
