# SPDX-License-Identifier: GPL-2.0
# strace (Debian's, running in ring 3) traces a program from DIR, run by
# $1/busybox sh: strace.sh DIR.  Every system call must show up decoded,
# with no complaint from strace about the tracee's registers.  Then the
# same for system calls made as direct calls through libkml (kt-direct
# calls getppid 5 times; from /trusted they are direct calls).
. /tests/kt-mode.sh
dir=$1 bb=$1/busybox
fail=0
check() { if eval "$2"; then echo "ok - $1"; else echo "not ok - $1"; fail=1; fi; }
/bin/strace -f -o /tmp/st.$$ "$dir/busybox" echo kml-strace > /tmp/st-out.$$ 2> /tmp/st-err.$$
rc=$?
check "strace exits 0" '[ $rc = 0 ]'
check "the traced program printed" 'grep -qx kml-strace /tmp/st-out.$$'
check "execve of $dir/busybox is traced" "grep -q 'execve(\"$dir/busybox\"' /tmp/st.$$"
pat='write\(1, "kml-strace\\n", 11\) += 11$'
check "write(1, \"kml-strace\\n\", 11) = 11 is traced" 'grep -qE "$pat" /tmp/st.$$'
check "exit_group(0) is traced" "grep -q 'exit_group(0)' /tmp/st.$$"
check "strace printed no complaint" '[ ! -s /tmp/st-err.$$ ]'
[ $fail = 0 ] || { echo "# strace log:"; sed 's/^/#   /' /tmp/st.$$ | tail -20; echo "# stderr:"; sed 's/^/#   /' /tmp/st-err.$$ | head; }
/bin/strace -o /tmp/st.$$ "$dir/kt-direct" getppid 5 > /tmp/st-out.$$ 2> /tmp/st-err.$$
rc=$?
check "strace of kt-direct exits 0" '[ $rc = 0 ]'
# from /trusted (CPL 0) kt-direct makes direct calls, from /bin SYSCALLs
want=0
[ "$KMLTEST_EXPECT_CPL" = 0 ] && [ "$dir" = /trusted ] && want=1
check "kt-direct reports direct=$want, as its mode promises" 'grep -qx "direct=$want" /tmp/st-out.$$'
n=$(grep -cE '^getppid\(\) += [0-9]+$' /tmp/st.$$)
check "its 5 getppid() calls are traced ($n)" '[ "$n" = 5 ]'
check "strace printed no complaint" '[ ! -s /tmp/st-err.$$ ]'
[ $fail = 0 ] || { echo "# strace log:"; sed 's/^/#   /' /tmp/st.$$ | tail -20; cat /tmp/st-out.$$; }
rm -f /tmp/st.$$ /tmp/st-out.$$ /tmp/st-err.$$
exit $fail
