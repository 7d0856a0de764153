# SPDX-License-Identifier: GPL-2.0
# A kernel NULL call on behalf of a process, run by /bin/busybox sh: LKDTM
# EXEC_NULL from /bin/kt-nullcall, /trusted/kt-nullcall and
# /trusted/kt-nullcall with the sled at 0 (tests/guest/nullcall.c).  Each
# must end in an oops that kills the caller; the kernel goes on to the
# next.  The host (tests/harness/run-tests.sh) judges the log.
mount -t debugfs none /sys/kernel/debug 2>/dev/null
for c in normal:/bin/kt-nullcall:no trusted:/trusted/kt-nullcall:no \
	 trusted-sled:/trusted/kt-nullcall:sled; do
	name=${c%%:*} rest=${c#*:}
	prog=${rest%%:*} sled=${rest#*:}
	echo "KMLNULL: begin $name"
	$prog $sled $name
	echo "KMLNULL: end $name status $?"
done
echo "KMLNULL: done"
