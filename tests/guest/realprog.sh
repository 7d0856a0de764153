# SPDX-License-Identifier: GPL-2.0
# A real program built statically against the shim: the kernel's own
# usr/gen_init_cpio linked with libkml-rewrite.a (gen_init_cpio.shim)
# must write the same archive as the plain static build, and from
# /trusted at CPL 0 its system calls must be direct calls:
# realprog.sh DIR TRUSTED_CPL.
. /tests/kt-mode.sh
dir=$1 tcpl=$2 bb=$1/busybox
fail=0
check() { if eval "$2"; then echo "ok - $1"; else echo "not ok - $1"; fail=1; fi; }
t=/tmp/rp.$$
$bb mkdir -p $t/src
$bb dd if=/bin/busybox of=$t/src/a bs=4096 count=64 2>/dev/null
$bb cat > $t/list <<LIST
dir /x 0755 0 0
file /x/a $t/src/a 0644 0 0
slink /x/l a 0777 0 0
nod /x/null 0666 0 0 c 1 3
LIST
/bin/gen_init_cpio -t 1 $t/list > $t/ref.cpio
check "the plain build writes an archive" '[ -s $t/ref.cpio ]'
before=$($bb cat /sys/kernel/kml/direct_calls)
"$dir/gen_init_cpio.shim" -t 1 $t/list > $t/out.cpio
rc=$?
after=$($bb cat /sys/kernel/kml/direct_calls)
check "$dir/gen_init_cpio.shim exits 0" '[ $rc = 0 ]'
check "and writes the same archive" '$bb cmp -s $t/ref.cpio $t/out.cpio'
n=$((after - before))
if [ "$dir" = /trusted ] && [ "$tcpl" = 0 ]; then
	check "its system calls were direct calls ($n)" '[ $n -ge 30 ]'
else
	check "no direct calls in ring 3 ($n)" '[ $n = 0 ]'
fi
$bb rm -rf $t
exit $fail
