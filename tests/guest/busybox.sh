# SPDX-License-Identifier: GPL-2.0
# A busybox shell script, run by $1/busybox sh: pipelines, subshells,
# arithmetic, text tools, files, job control basics.
. /tests/kt-mode.sh
bb=$1/busybox
fail=0
check() {	# description expected actual
	if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: got '$3', want '$2'"; fail=1; fi
}
check "seq | awk sum" 500500 "$($bb seq 1 1000 | $bb awk '{s += $1} END {print s}')"
check "sort | uniq -c" "3 a" "$(printf 'b\na\na\nc\na\n' | $bb sort | $bb uniq -c | $bb head -1 | $bb sed 's/^ *//')"
check "shell arithmetic" 1024 "$((1 << 10))"
check "subshell exit status" 3 "$( (exit 3); echo $?)"
f=/tmp/bb.$$
i=0
while [ $i -lt 200 ]; do echo "line $i"; i=$((i + 1)); done > $f
check "write and count a file" 200 "$($bb wc -l < $f | $bb tr -d ' ')"
check "grep | tail" "line 199" "$($bb grep 'line 1.9' $f | $bb tail -1)"
check "md5sum is stable" "$($bb md5sum < $f)" "$($bb cat $f | $bb md5sum)"
$bb sleep 5 &
pid=$!
kill $pid
wait $pid
check "kill a background job" 143 "$?"
check "command substitution nesting" abc "$(echo "$(echo "$(echo abc)")")"
$bb rm -f $f
exit $fail
