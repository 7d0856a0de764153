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

# The series: one commit per step of patches/export.map.  A hook patch is
# applied with git am, and the new files' lines that the map gives to it
# join its commit; a message step commits new lines only.
SPLIT="python3 $KML_TOP/scripts/split-series.py"
$SPLIT check "$KML_TOP" "$SRC/.kml/overlay.list" >/dev/null
hooks=$($SPLIT steps "$KML_TOP" | awk '$2 == "hook" { print $3 }')
[ "$hooks" = "$(cat "$SRC/.kml/applied/order")" ] ||
	die "patches/export.map must name every patch of patches/series once, in the series' order"
step "committing the series along patches/export.map"
while read -r sid kind arg; do
	if [ "$kind" = hook ]; then
		g am -q --keep-cr "$SRC/.kml/applied/$arg" >/dev/null 2>&1 || {
			g am --abort >/dev/null 2>&1 || true
			die "git am failed on $arg: it must be a mail-format patch (From:, Subject:, body, ---, diff)"
		}
	fi
	mapfile -t new < <($SPLIT emit "$KML_TOP" "$sid" "$REPO")
	[ ${#new[@]} = 0 ] || g add -f "${new[@]}"
	if [ "$kind" = hook ]; then
		g diff --cached --quiet || g commit -q --amend --no-edit
	else
		g diff --cached --quiet && die "step $sid of patches/export.map adds nothing"
		sed -n '1s/^Subject: \(\[PATCH[^]]*\] \)\{0,1\}//p' "$KML_TOP/patches/$arg" > "$BUILD/export/msg"
		sed '1d' "$KML_TOP/patches/$arg" >> "$BUILD/export/msg"
		g commit -q --author="$AUTHOR" -F "$BUILD/export/msg"
	fi
done < <($SPLIT steps "$KML_TOP")
# every step must end where the repo is: the last one holds every line
for f in $(cat "$SRC/.kml/overlay.list"); do
	cmp -s "$KML_TOP/$f" "$REPO/$f" || die "after the last step, $f differs from the repo's"
done

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
# A patch that adds files makes checkpatch ask whether MAINTAINERS needs
# updating.  The first one adds the KML entry; for the others the answer
# is checked here instead: every file they add must be under one of its
# F: patterns.
fpats=$(cd "$SRC/.kml/applied" &&
	sed -n '/^+KERNEL MODE LINUX (KML)$/,/^+$/s/^+F:[[:space:]]*//p' $(cat order))
[ -n "$fpats" ] || die "no KERNEL MODE LINUX (KML) entry added to MAINTAINERS by patches/series"
covered() {	# file: under one of the entry's F: patterns?
	local f=$1 pat
	for pat in $fpats; do
		case $pat in
		*/) [ "${f#"$pat"}" != "$f" ] && return 0 ;;
		*) [ "$f" = "$pat" ] && return 0 ;;
		esac
	done
	return 1
}
errors=0 warnings=0
for p in $(ls "$OUT"/*.patch | grep -v '/0000-'); do
	ignore=
	if ! grep -q '^+++ b/MAINTAINERS' "$p"; then
		added=$(awk '/^diff --git/ { f = $4; sub(/^b\//, "", f) } /^new file mode/ { print f }' "$p")
		for f in $added; do
			covered "$f" || die "$(basename "$p") adds $f, which the MAINTAINERS entry does not cover"
		done
		[ -n "$added" ] && ignore="--ignore FILE_PATH_CHANGES"
	fi
	# shellcheck disable=SC2086
	res=$(perl "$PRISTINE/scripts/checkpatch.pl" --no-tree --color=never $ignore "$p" 2>&1 || true)
	lines=$(grep -c '^[-+ ]' "$p")
	printf '%s: %s lines; %s\n' "$(basename "$p")" "$lines" "$(printf '%s\n' "$res" | grep -E '^total:' | head -1)"
	printf '%s\n' "$res" | { grep -E -A3 '^(ERROR|WARNING|CHECK):' || true; } | sed 's/^/    /'
	e=$(printf '%s\n' "$res" | sed -n 's/^total: \([0-9]*\) errors.*/\1/p')
	w=$(printf '%s\n' "$res" | sed -n 's/^total: [0-9]* errors, \([0-9]*\) warnings.*/\1/p')
	errors=$((errors + ${e:-1}))
	warnings=$((warnings + ${w:-1}))
	[ "$lines" -le "${PATCH_MAX_LINES:-650}" ] ||
		die "$(basename "$p") has $lines lines: split it further in patches/export.map"
done
[ "$errors" = 0 ] && [ "$warnings" = 0 ] || die "checkpatch found $errors errors and $warnings warnings"

PATCH_BUILD=${PATCH_BUILD:-1}
if [ "$PATCH_BUILD" != 0 ]; then
	# Each patch must build: the tiny config with configs/kml.config, as
	# make kernel builds it, at every commit of the series in turn (an
	# incremental build, kept between runs).  A compiler warning fails it
	# too.  PATCH_BUILD=objs (CI) builds, at each commit, only the KML
	# directories and the objects of the files it changes: it misses
	# link errors, and takes minutes instead of an hour cold.
	case $PATCH_BUILD in
	1) step "building each patch of the series: bzImage (PATCH_BUILD=0 skips, =objs for the changed objects only)" ;;
	objs) step "compiling each patch of the series: the KML objects and the files it changes" ;;
	*) die "PATCH_BUILD=$PATCH_BUILD: 1 (bzImage at each patch), objs or 0" ;;
	esac
	wt=$BUILD/export/build-tree
	obj=$BUILD/export/obj
	# Kept between runs: a checkout touches only the files that differ,
	# so a rerun rebuilds what changed.
	if ! git -C "$wt" rev-parse --git-dir >/dev/null 2>&1; then
		rm -rf "$wt"
		g worktree prune
		g worktree add -q --detach "$wt" kml
	fi
	mk() { make -C "$wt" O="$obj" CC="ccache gcc" HOSTCC="ccache gcc" "$@"; }
	mkdir -p "$obj"
	# The full configuration once, at the end of the series; each patch
	# keeps what of it exists there (olddefconfig).
	g -C "$wt" checkout -q --detach kml
	mk -s tinyconfig >/dev/null
	(cd "$obj" && "$wt/scripts/kconfig/merge_config.sh" -m -O "$obj" .config "$KML_TOP/configs/kml.config") \
		> "$obj/.merge.log" 2>&1 || die "merge_config failed ($obj/.merge.log)"
	mk -s olddefconfig >/dev/null
	cp "$obj/.config" "$obj/.full.config"
	i=0
	for c in $(g rev-list --reverse pristine..kml); do
		i=$((i + 1))
		subj=$(g log -1 --format=%s "$c")
		g -C "$wt" checkout -q --detach "$c"
		cp "$obj/.full.config" "$obj/.config"
		mk -s olddefconfig >/dev/null
		t0=$(date +%s)
		targets=(bzImage)
		if [ "$PATCH_BUILD" = objs ]; then
			targets=()
			for d in arch/x86/kml kernel/kml; do
				[ -d "$wt/$d" ] && targets+=("$d/")
			done
			for f in $(g diff --name-only "$c^" "$c" -- '*.c' '*.S'); do
				case $f in
				arch/x86/kml/* | kernel/kml/*) ;;
				arch/x86/boot/*) targets+=(arch/x86/boot/bzImage) ;;
				*) targets+=("${f%.*}.o") ;;
				esac
			done
			[ ${#targets[@]} -gt 0 ] || targets=(prepare)
		fi
		mk -j"$(nproc)" "${targets[@]}" > "$obj/build-$i.log" 2>&1 ||
			{ tail -30 "$obj/build-$i.log" >&2; die "patch $i ($subj) does not build: $obj/build-$i.log"; }
		warn=$(grep -c ': warning:' "$obj/build-$i.log" || true)
		[ "$warn" = 0 ] || { grep ': warning:' "$obj/build-$i.log" >&2; die "patch $i ($subj) builds with $warn warnings"; }
		say "patch $i builds ($(( $(date +%s) - t0 )) s): $subj"
	done
fi
say "series: $OUT ($n patches + cover letter)"
ls "$OUT"
