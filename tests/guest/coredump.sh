# SPDX-License-Identifier: GPL-2.0
# A crashing program from DIR dumps core, run by $1/busybox sh:
# coredump.sh DIR.  The core is an ELF core file naming the program.
dir=$1 bb=$1/busybox
fail=0
check() { if eval "$2"; then echo "ok - $1"; else echo "not ok - $1"; fail=1; fi; }
echo "/tmp/core.%e.%p" > /proc/sys/kernel/core_pattern
ulimit -c unlimited
$bb rm -f /tmp/core.kt-probe.*
"$dir/kt-probe" crash
rc=$?
check "the program died of SIGSEGV (status $rc)" '[ $rc = 139 ]'
core=$(ls /tmp/core.kt-probe.* 2>/dev/null | head -1)
check "a core file was written" '[ -n "$core" ] && [ -s "$core" ]'
check "it is an ELF core file (e_type 4)" '[ "$($bb od -An -tx1 -j16 -N1 "$core" | tr -d " ")" = 04 ]'
check "it names the program" '$bb grep -q kt-probe "$core"'
$bb rm -f /tmp/core.kt-probe.*
exit $fail
