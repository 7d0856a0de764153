# SPDX-License-Identifier: GPL-2.0
# In a Debian image with the KML kernel package installed
# (scripts/deb-image.sh), run by $1/busybox sh: debian.sh DIR CPL, where
# DIR/deb holds copies of Debian's own programs (bash, ls, sort,
# dpkg-query, made by the image script) and CPL is the level programs
# from DIR run at.
. /tests/kt-mode.sh
dir=$1 cpl=$2 bb=$1/busybox d=$1/deb
fail=0
check() { if eval "$2"; then echo "ok - $1"; else echo "not ok - $1"; fail=1; fi; }
km=0
[ "$cpl" = 0 ] && km=1
rel=$($bb uname -r)
ver=$(/usr/bin/dpkg-query -W -f='${Version} ${db:Status-Abbrev}' "linux-image-$rel" 2>&1)
echo "# linux-image-$rel: $ver"
check "the running kernel is the installed package's (linux-image-$rel, a kml version)" \
	'case "$ver" in *-kml+g*" ii "*) true ;; *) false ;; esac'
check "the package installed /boot/vmlinuz-$rel" '[ -s "/boot/vmlinuz-$rel" ]'
out=$("$d/bash" -c 'while read -r k v; do [ "$k" = KernelMode: ] && echo "$v"; done < /proc/$$/status')
check "Debian's bash from $dir runs with KernelMode $km (got '$out')" '[ "$out" = $km ]'
out=$("$d/bash" -c 'for i in 1 2 3; do echo $((i * i)); done | '"$d"'/sort -rn | { read -r a; echo $a; }')
check "bash, a pipe and sort from $dir compute (got '$out')" '[ "$out" = 9 ]'
out=$("$d/ls" /boot | $bb grep -c "^vmlinuz-")
check "ls from $dir lists /boot (got $out kernels)" '[ "$out" -ge 1 ]'
out=$("$d/dpkg-query" -W -f='${Package}\n' "linux-image-$rel" 2>&1)
check "dpkg-query from $dir reads the package database (got '$out')" '[ "$out" = "linux-image-$rel" ]'
exit $fail
