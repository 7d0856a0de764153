# SPDX-License-Identifier: GPL-2.0
# The benchmark programs of "make bench" still work (a test of kbench,
# not a benchmark; nothing about speed is checked): every benchmark gives a
# line with a positive operation count and positive figures, plain and
# through the shim (kbench.shim; from /bin a ring-3 program loading it).
# kbench.sh DIR
. /tests/kt-mode.sh
dir=$1
bb=/bin/busybox
want=$($dir/kbench -l | $bb wc -l)
fail=0
for prog in kbench kbench.shim; do
	out=$($dir/$prog -t 2 -b 3 smoke)
	rc=$?
	echo "$out"
	n=$(echo "$out" | $bb awk '
		$1 == "KMLBENCH:" && $3 == "smoke" {
			split($4, o, "="); split($5, t, "=|,"); split($6, w, "=|,")
			if (o[2] > 0 && t[2] > 0 && w[2] > 0 && t[3] <= t[2] && t[2] <= t[4]) good++
			else print "bad line: " $0 > "/dev/stderr"
		}
		END { print good + 0 }')
	if [ $rc = 0 ] && [ "$n" = "$want" ] && [ "$want" -ge 18 ]; then
		echo "ok - $dir/$prog: $n of $want benchmarks gave figures"
	else
		echo "not ok - $dir/$prog: status $rc, $n of $want benchmarks gave figures"
		fail=1
	fi
done
exit $fail
