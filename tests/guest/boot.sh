# SPDX-License-Identifier: GPL-2.0
# Boot sanity, run by $1/busybox sh: boot.sh DIR KERNEL_RELEASE CPUS
. /tests/kt-mode.sh
dir=$1 kver=$2 cpus=$3 bb=$1/busybox
fail=0
check() {	# description command...
	d=$1
	shift
	if "$@"; then echo "ok - $d"; else echo "not ok - $d"; fail=1; fi
}
check "/proc is mounted" test -r /proc/self/status
check "/sys is mounted" test -d /sys/kernel
check "devtmpfs has /dev/null" test -c /dev/null
check "kernel release is $kver" test "$($bb uname -r)" = "$kver"
n=$($bb grep -c '^processor' /proc/cpuinfo)
check "$n CPUs online, QEMU was given $cpus" test "$n" = "$cpus"
case " $($bb cat /proc/cmdline) " in
*" kml=off "*) want="Kernel Mode Linux disabled" ;;
*) want="Kernel Mode Linux enabled" ;;
esac
check "boot message: $want" sh -c "$bb dmesg | $bb grep -q 'kml: $want'"
# Which KML system call entry this boot uses (the kernel says so).  Only
# a kernel with lockdep or the entry checks (the harness's debug kernel
# boots with kmltest.fastpath=generic) or nohz_full= may leave the fast
# path out; a distribution config (CONFIG_X86_DEBUG_FPU, context tracking
# built in but idle) must not.
case " $($bb cat /proc/cmdline) " in
*" kml=off "*) ;;
*" kml_fastpath=off "*) fp='system call fast path disabled \(kml_fastpath=off\)' ;;
*" kmltest.fastpath=generic "*|*" nohz_full="*) fp="system call fast path not used with this configuration" ;;
*) fp="system call fast path enabled" ;;
esac
[ -n "${fp:-}" ] && check "boot message: $fp" sh -c "$bb dmesg | $bb grep -qE 'kml: $fp'"
# The kernel's lockup and hang detectors are armed (configs/kml.config;
# the hang limit is the last sysctl.kernel.hung_task_timeout_secs= of the
# command line): the log judge relies on their reports.
ht=$($bb tr ' ' '\n' < /proc/cmdline | $bb sed -n 's/^sysctl\.kernel\.hung_task_timeout_secs=//p' | $bb tail -1)
check "hung-task detector armed: ${ht:-none} s on the command line" \
	test -n "$ht" -a "$($bb cat /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null)" = "$ht" -a "$ht" != 0
wd="$($bb cat /proc/sys/kernel/soft_watchdog 2>/dev/null) $($bb cat /proc/sys/kernel/nmi_watchdog 2>/dev/null)"
check "soft and hard lockup detectors on (soft_watchdog, nmi_watchdog: $wd)" test "$wd" = "1 1"
# The machine configuration the harness asked for really took effect.
flags=$($bb grep -m1 '^flags' /proc/cpuinfo)
case " $($bb cat /proc/cmdline) " in
*" pti=on "*) check "PTI is enabled (pti=on)" sh -c "$bb dmesg | $bb grep -q 'page tables isolation: enabled'" ;;
*" pti=off "*) check "PTI is disabled (pti=off)" sh -c "! $bb dmesg | $bb grep -q 'page tables isolation: enabled'" ;;
esac
case " $($bb cat /proc/cmdline) " in
*" kmltest.cpu=max "*)
	# QEMU 7.2 (Debian 12) TCG offers no PCID, so it is not expected.
	for f in smep smap umip pku fsgsbase avx2 xsave; do
		check "CPU feature $f present under -cpu max" sh -c "echo '$flags' | $bb grep -qw $f"
	done ;;
*" kmltest.cpu=qemu64 "*)
	for f in smep smap; do
		check "CPU feature $f absent under -cpu qemu64" sh -c "! echo '$flags' | $bb grep -qw $f"
	done ;;
esac
check "no kernel warning so far" sh -c "! $bb dmesg | $bb grep -qE 'WARNING:|BUG:|Oops'"
exit $fail
