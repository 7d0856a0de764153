# SPDX-License-Identifier: GPL-2.0
# Mixed stress, run by /bin/busybox sh: stress.sh SECONDS TRUSTED_CPL
# KML and normal processes side by side on every CPU: fork/exec storms
# in both directions, pipelines crossing modes, signal storms, red-zone
# checkers, threads, and direct calls (libkml, and programs rewritten by
# libkml-rewrite.a).  Each worker loops until the deadline and records
# any failure; the run fails if any worker failed or did not finish.
. /tests/kt-mode.sh
secs=${1:-60} tcpl=${2:-0}
end=$(( $(date +%s) + secs ))
dir=/tmp/stress.$$
mkdir -p $dir
worker() {	# name command...
	name=$1
	shift
	n=0
	while [ "$(date +%s)" -lt $end ]; do
		if ! "$@" > $dir/$name.out 2>&1; then
			echo "FAIL after $n rounds: $*" >> $dir/failures
			tail -5 $dir/$name.out >> $dir/failures
			return
		fi
		n=$((n + 1))
	done
	echo "$name $n" >> $dir/rounds
}
probe_both() {
	/trusted/kt-probe; [ $? = "$tcpl" ] || return 1
	/bin/kt-probe; [ $? = 3 ] || return 1
	/trusted/busybox sh -c /bin/kt-probe; [ $? = 3 ] || return 1
	/bin/busybox sh -c /trusted/kt-probe; [ $? = "$tcpl" ]
}
pipes() {
	[ "$(/trusted/busybox seq 1 20000 | /bin/busybox awk '{s += $1} END {print s}' | /trusted/busybox cat)" = 200010000 ]
}
worker forks probe_both &
worker pipes pipes &
# Each test program checks the mode it runs in (kt_done()): say it.
k="env KMLTEST_MODE=trusted KMLTEST_EXPECT_CPL=$tcpl"
n="env KMLTEST_MODE=normal KMLTEST_EXPECT_CPL=3"
shim="env KMLTEST_MODE=shim KMLTEST_EXPECT_CPL=$tcpl"
worker signals-k $k /trusted/kt-signals &
worker signals-n $n /bin/kt-signals &
worker redzone-k $k /trusted/kt-redzone &
worker threads-k $k /trusted/kt-threads &
worker threads-n $n /bin/kt-threads &
worker forkexec-k $k /trusted/kt-forkexec &
worker fpu-k $k /trusted/kt-fpu &
worker fpu-n $n /bin/kt-fpu &
worker direct-k $k /trusted/kt-direct &
worker pipe-shim-k $shim /trusted/kt-pipe.shim &
worker signals-shim-k $shim /trusted/kt-signals.shim &
wait
echo "# rounds per worker:"; sed 's/^/#   /' $dir/rounds
fail=0
if [ -s $dir/failures ]; then
	cat $dir/failures
	fail=1
fi
[ "$(wc -l < $dir/rounds)" = 13 ] || { echo "not ok - only $(wc -l < $dir/rounds) of 13 workers finished"; fail=1; }
rm -rf $dir
[ $fail = 0 ] && echo "ok - $secs s of mixed KML and normal load"
exit $fail
