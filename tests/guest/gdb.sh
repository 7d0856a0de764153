# SPDX-License-Identifier: GPL-2.0
# gdb on a program from DIR, run by $1/busybox sh: gdb.sh DIR CPL MODE.
# gdbserver (Debian's, in ring 3) serves gdb on the host over the second
# serial port, /dev/ttyS1; the host (tests/harness/gdb-test.py) waits
# for each "KMLGDB: READY" line, runs its gdb session and judges what
# gdb printed.  Here: that each session ended as gdb left it, and the
# core file of a crash, sent to the host in the log for gdb to read.
. /tests/kt-mode.sh
dir=$1 cpl=$2 mode=$3 bb=$1/busybox
fail=0
check() { if eval "$2"; then echo "ok - $1"; else echo "not ok - $1"; fail=1; fi; }
[ -c /dev/ttyS1 ] || { echo "not ok - no /dev/ttyS1 (QEMU's second serial port)"; exit 1; }
# No echo: what gdb sends before gdbserver listens must not come back.
$bb stty -F /dev/ttyS1 raw -echo
# serve ARGS...: gdbserver on ttyS1 in the background, and, once it
# listens, the line the host waits for ($ready); then wait for its end.
serve() {
	$bb rm -f /tmp/gdbserver.err
	/bin/gdbserver /dev/ttyS1 "$@" 2> /tmp/gdbserver.err &
	gs=$!
	n=0
	until $bb grep -q "Remote debugging using" /tmp/gdbserver.err 2>/dev/null || [ $n -ge 300 ]; do
		$bb sleep 0.1
		n=$((n + 1))
	done
	echo "KMLGDB: READY $ready"
	# gdb ends gdbserver with "monitor exit"; a session that never gets
	# there must not hold up the rest (240 s).
	( $bb sleep 240; kill $gs 2>/dev/null ) &
	dog=$!
	wait $gs
	rc=$?
	kill $dog 2>/dev/null
	$bb cat /tmp/gdbserver.err
	return $rc
}

# 1. gdbserver starts the program; gdb breaks, steps, watches, catches
#    SIGUSR1 and lets it run to its end (exit 0: everything happened).
ready="run $mode" serve "$dir/kt-gdb" run
rc=$?
check "gdbserver ran kt-gdb run to its end (status $rc)" '[ $rc = 0 ]'

# 2. gdbserver attaches to a running program; gdb sets kt_release = 7
#    and detaches, and the program ends with status 0.
$bb rm -f /tmp/kt-gdb.pid
"$dir/kt-gdb" wait /tmp/kt-gdb.pid &
pid=$!
n=0
while [ ! -s /tmp/kt-gdb.pid ] && [ $n -lt 100 ]; do $bb sleep 0.1; n=$((n + 1)); done
check "kt-gdb wait is running (pid $pid)" '[ "$($bb cat /tmp/kt-gdb.pid 2>/dev/null)" = "$pid" ]'
ready="attach $mode $pid" serve --attach "$pid"
rc=$?
check "gdbserver attached and detached (status $rc)" '[ $rc = 0 ]'
wait $pid
rc=$?
check "the attached program ended as gdb left it: released, status 0 (status $rc)" '[ $rc = 0 ]'

# 3. A crash and its core file (dumpability: a program in kernel mode
#    dumps core only with fs.suid_dumpable=2, as root; coredump.sh).
echo "/tmp/core.%e.%p" > /proc/sys/kernel/core_pattern
ulimit -c unlimited
[ "$cpl" = 0 ] && echo 2 > /proc/sys/fs/suid_dumpable
$bb rm -f /tmp/core.kt-gdb.*
"$dir/kt-gdb" crash
rc=$?
echo 0 > /proc/sys/fs/suid_dumpable
check "kt-gdb crash died of SIGSEGV (status $rc)" '[ $rc = 139 ]'
core=$($bb ls /tmp/core.kt-gdb.* 2>/dev/null | $bb head -1)
check "it left a core file ($core)" '[ -s "$core" ]'
if [ -s "$core" ]; then
	echo "KMLGDB: CORE-BEGIN $mode"
	$bb gzip -c "$core" | $bb base64
	echo "KMLGDB: CORE-END $mode"
fi
$bb rm -f /tmp/core.kt-gdb.*
exit $fail
