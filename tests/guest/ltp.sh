# SPDX-License-Identifier: GPL-2.0
# LTP, bring-your-own (make test LTP=dir LTP_TESTS=file): every test of
# /tests/ltp.list (runtest format: "tag command [args]") run with the
# binaries of /opt/ltp/testcases/bin (mode normal) and of
# /trusted/ltp/testcases/bin (mode trusted).  Prints per test and mode
#   KMLTEST-LTP: <tag> <mode> pass|fail|conf|broken|warn|timeout <status>
# from the LTP exit status (0 pass; bits 1 TFAIL, 2 TBROK, 4 TWARN,
# 32 TCONF), and the privilege level of each mode's binaries.
bb=/bin/busybox
timeout=${1:-600}
export LTPROOT=/opt/ltp TMPDIR=/tmp LTP_COLORIZE_OUTPUT=0
for mode in normal trusted; do
	bin=/opt/ltp/testcases/bin
	[ $mode = trusted ] && bin=/trusted/ltp/testcases/bin
	echo "KMLTEST-LTP-CPL: $mode $($bin/../../kml-cpl -c)"
	while read -r tag cmd; do
		case $tag in ''|'#'*) continue ;; esac
		[ -z "$cmd" ] && cmd=$tag
		echo "KMLTEST: BEGIN ltp/$tag $mode"
		(cd /tmp && PATH=$bin:/bin:/sbin:/usr/bin $bb timeout "$timeout" $bb sh -c "exec $cmd") 2>&1
		rc=$?
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
		echo "KMLTEST-LTP: $tag $mode $class $rc"
	done < /tests/ltp.list
done
