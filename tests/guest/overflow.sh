# SPDX-License-Identifier: GPL-2.0
# Kernel stack overflow, run by /bin/busybox sh: overflow.sh DIR.
# $DIR/busybox sh (a KML task from /trusted) asks LKDTM to exhaust its
# kernel stack.  The kernel must report it as the stock kernel does, a
# double fault on the guard page ("stack guard page was hit"), and panic;
# the host (tests/harness/run-tests.sh) judges the log.  Ends the boot.
dir=$1
mount -t debugfs none /sys/kernel/debug 2>/dev/null
c=/sys/kernel/debug/provoke-crash/DIRECT
if [ ! -w $c ]; then
	echo "KMLOVERFLOW: no $c (CONFIG_LKDTM, CONFIG_DEBUG_FS)"
	exit 1
fi
echo "KMLOVERFLOW: $dir/busybox, KernelMode $($dir/busybox sh -c 'grep KernelMode /proc/$$/status' | awk '{print $2}')"
$dir/busybox sh -c "echo EXHAUST_STACK > $c"
echo "KMLOVERFLOW: still alive"
