# SPDX-License-Identifier: GPL-2.0
# A crashing program from DIR dumps core, run by $1/busybox sh:
# coredump.sh DIR CPL, where CPL is the level programs from DIR run at.
# A program in kernel mode is not dumpable (a KML exec is a privilege
# grant, like a setuid exec): no core unless fs.suid_dumpable=2, which
# writes it as root.  The core is an ELF core file naming the program.
. /tests/kt-mode.sh
dir=$1 cpl=$2 bb=$1/busybox
fail=0
check() { if eval "$2"; then echo "ok - $1"; else echo "not ok - $1"; fail=1; fi; }
echo "/tmp/core.%e.%p" > /proc/sys/kernel/core_pattern
ulimit -c unlimited
crash() {	# what-is-expected
	$bb rm -f /tmp/core.kt-probe.*
	"$dir/kt-probe" crash
	rc=$?
	check "the program died of SIGSEGV (status $rc)" '[ $rc = 139 ]'
	core=$(ls /tmp/core.kt-probe.* 2>/dev/null | head -1)
}
crash
if [ "$cpl" = 0 ]; then
	check "no core file with fs.suid_dumpable=0 (not dumpable)" '[ -z "$core" ]'
	echo 2 > /proc/sys/fs/suid_dumpable
	crash
	echo 0 > /proc/sys/fs/suid_dumpable
	check "with fs.suid_dumpable=2 a core file is written" '[ -n "$core" ] && [ -s "$core" ]'
	check "owned by root" '[ "$($bb stat -c %u "$core")" = 0 ]'
else
	check "a core file was written" '[ -n "$core" ] && [ -s "$core" ]'
fi
check "it is an ELF core file (e_type 4)" '[ "$($bb od -An -tx1 -j16 -N1 "$core" | tr -d " ")" = 04 ]'
check "it names the program" '$bb grep -q kt-probe "$core"'
$bb rm -f /tmp/core.kt-probe.*
exit $fail
