# SPDX-License-Identifier: GPL-2.0
# LTP, bring-your-own (make test LTP=dir LTP_TESTS=file): every test of
# /tests/ltp.list (runtest format: "tag command [args]") run with the
# binaries of /opt/ltp/testcases/bin (mode normal) and of
# /trusted/ltp/testcases/bin (mode trusted).  Prints per test and mode
#   KMLTEST-LTP: <tag> <mode> pass|fail|conf|broken|warn|timeout <status> <granted>
# from the LTP exit status (0 pass; bits 1 TFAIL, 2 TBROK, 4 TWARN,
# 32 TCONF), and <granted>, how many execs the kernel ran at CPL 0 during
# the test (/sys/kernel/kml/execs_granted; nothing else runs meanwhile):
# the host fails a trusted run with none (the test's programs did not run
# in kernel mode) and a normal run with any.  A test that is a script
# (#!) runs under /trusted/busybox sh in mode trusted: a script's
# interpreter is what the kernel maps, and /bin/busybox would run the
# trusted test at CPL 3.  Also prints the privilege level a program of
# each mode's directory gets (KMLTEST-LTP-CPL).
bb=/bin/busybox
timeout=${1:-600}
granted=/sys/kernel/kml/execs_granted
# LTP's own time limits assume hardware; under TCG everything takes many
# times longer, so they are stretched (both modes alike; LTP_TIMEOUT_MUL
# scales the limit only, never what a test checks).
export LTPROOT=/opt/ltp TMPDIR=/tmp LTP_COLORIZE_OUTPUT=0 LTP_TIMEOUT_MUL=4
count() { if [ -r $granted ]; then $bb cat $granted; else echo 0; fi; }
for mode in normal trusted; do
	bin=/opt/ltp/testcases/bin sh=$bb
	if [ $mode = trusted ]; then
		bin=/trusted/ltp/testcases/bin sh=/trusted/busybox
	fi
	echo "KMLTEST-LTP-CPL: $mode $($bin/../../kml-cpl -c)"
	while read -r tag cmd; do
		case $tag in ''|'#'*) continue ;; esac
		[ -z "$cmd" ] && cmd=$tag
		# A script named first runs under this mode's shell.
		set -- $cmd
		if [ -f "$bin/$1" ] && [ "$($bb head -c 2 "$bin/$1")" = '#!' ]; then
			cmd="$sh sh $bin/$cmd"
		fi
		echo "KMLTEST: BEGIN ltp/$tag $mode"
		g0=$(count)
		# The shell that starts it is /bin's: only the test's own
		# execs may count.
		(cd /tmp && PATH=$bin:/bin:/sbin:/usr/bin $bb timeout "$timeout" $bb sh -c "exec $cmd") 2>&1
		rc=$?
		g1=$(count)
		case $rc in
		0) class=pass ;;
		124|137|143) class=timeout ;;
		32) class=conf ;;
		*)
			if [ $((rc & 2)) != 0 ]; then class=broken
			elif [ $((rc & 1)) != 0 ]; then class=fail
			elif [ $((rc & 4)) != 0 ]; then class=warn
			elif [ $((rc & 32)) != 0 ]; then class=conf
			else class=fail
			fi ;;
		esac
		echo "KMLTEST-LTP: $tag $mode $class $rc $((g1 - g0))"
	done < /tests/ltp.list
done
