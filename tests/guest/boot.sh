# SPDX-License-Identifier: GPL-2.0
# Boot sanity, run by $1/busybox sh: boot.sh DIR KERNEL_RELEASE CPUS
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
check "the kml boot message is in the log" sh -c "$bb dmesg | $bb grep -q 'kml: Kernel Mode Linux'"
check "no kernel warning so far" sh -c "! $bb dmesg | $bb grep -qE 'WARNING:|BUG:|Oops'"
exit $fail
