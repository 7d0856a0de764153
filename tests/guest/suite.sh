#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest-side test runner.  Every test runs twice: from /bin (mode normal)
# and from /trusted (mode trusted).  One machine-readable line per result:
#   KMLTEST: RESULT <test> <mode> <PASS|FAIL|SKIP|XFAIL> <detail>
# Expectations come from the kernel command line:
#   kmltest.trusted_cpl=N   CPL a program under /trusted must run at
#   kmltest.cpus=N          number of CPUs QEMU was started with
#   kmltest.kver=V          kernel release the host built
#
# On the host, KMLTEST_PLAN_ONLY=1 makes it print, instead of running
# anything, the (test, mode) pairs it would run, one "KMLTEST: PLAN-ITEM
# test mode" line each (tests/harness/plan.sh): the host's own plan of a
# boot, from the host's copies of the lists (KMLTEST_DIR) and the boot's
# command line (KMLTEST_CMDLINE).
suite=${1:-test}
T=${KMLTEST_DIR:-/tests}
plan_only=${KMLTEST_PLAN_ONLY:-0}
trusted_cpl=3 cpus= kver= stress_secs=60 only= direct=0
for arg in ${KMLTEST_CMDLINE-$(cat /proc/cmdline)}; do
	case $arg in
	kmltest.trusted_cpl=*) trusted_cpl=${arg#*=} ;;
	kmltest.cpus=*) cpus=${arg#*=} ;;
	kmltest.kver=*) kver=${arg#*=} ;;
	kmltest.stress=*) stress_secs=${arg#*=} ;;
	kmltest.only=*) only=$(echo "${arg#*=}" | tr , ' ') ;;
	kmltest.direct=*) direct=${arg#*=} ;;
	kmltest.ltp_timeout=*) ltp_timeout=${arg#*=} ;;
	kmltest.test_timeout=*) TEST_TIMEOUT=${arg#*=} ;;
	esac
done
# Tests expected to fail in a mode, with how ("test:mode:status:reason",
# status exit=N or signal=NAME), and tests not run in a mode, unsafe there
# by design or not built ("test:mode:reason"; mode * for every mode).
XFAIL_LIST=$T/xfail.list
SKIP_LIST=$T/skip.list
X86_LIST=$T/x86.list
PRELOAD=${KMLTEST_PRELOAD:-/etc/ld.so.preload}
TEST_TIMEOUT=${TEST_TIMEOUT:-120}

result() {	# test mode status detail
	echo "KMLTEST: RESULT $1 $2 $3 $4"
}

list_reason() {	# list test mode
	[ -f "$1" ] || return 1
	grep -v '^#' "$1" | grep -e "^$2:$3:" -e "^$2:\*:" | head -1 | cut -d: -f3-
}
# "status:reason" of an expected failure
xfail_reason() { list_reason $XFAIL_LIST "$1" "$2"; }

# How a test ended, as xfail.list says it: exit=N or signal=NAME (the
# list may give alternatives, separated by |, where the way a test fails
# depends on something it does not control; the reason says what).
status_of() {	# exit status of the shell that ran the test
	if [ "$1" -gt 128 ]; then
		case $(($1 - 128)) in
		4) echo signal=ILL ;; 5) echo signal=TRAP ;; 6) echo signal=ABRT ;;
		7) echo signal=BUS ;; 8) echo signal=FPE ;; 9) echo signal=KILL ;;
		11) echo signal=SEGV ;; *) echo signal=$(($1 - 128)) ;;
		esac
	else
		echo exit=$1
	fi
}

# run_test name mode command...: exit 0 pass, 77 skip, else fail
run_test() {
	name=$1 mode=$2
	shift 2
	case $mode in
	trusted|shim|rewrite) expect=$trusted_cpl ;;
	*) expect=3 ;;
	esac
	if [ "$plan_only" = 1 ]; then
		echo "KMLTEST: PLAN-ITEM $name $mode"
		return
	fi
	skip=$(list_reason $SKIP_LIST "$name" "$mode")
	if [ -n "$skip" ]; then
		result "$name" "$mode" SKIP "$skip"
		return
	fi
	echo "KMLTEST: BEGIN $name $mode"
	# In a session of its own (timeout execs the test, so its pid is the
	# session's), so that whatever it leaves running is killed with it:
	# a timeout kills only the test's own process, and a forked tracee or
	# helper would otherwise run on into the next test and print there.
	rm -f /tmp/kmltest.sid
	KMLTEST_MODE=$mode KMLTEST_EXPECT_CPL=$expect setsid /bin/busybox sh -c \
		'echo $$ > /tmp/kmltest.sid; exec timeout "$@"' sh $TEST_TIMEOUT "$@"
	rc=$?
	sid=$(cat /tmp/kmltest.sid 2>/dev/null)
	[ -n "$sid" ] && [ "$sid" -gt 1 ] && kill -KILL -"$sid" 2>/dev/null
	xf=$(xfail_reason "$name" "$mode")
	want=${xf%%:*} why=${xf#*:}
	got=$(status_of $rc)
	if [ $rc = 0 ]; then
		if [ -n "$xf" ]; then
			result "$name" "$mode" FAIL "unexpectedly passed (listed as expected failure, $want: $why)"
		else
			result "$name" "$mode" PASS ok
		fi
	elif [ $rc = 77 ] || { [ $rc = 4 ] && [ "${name#x86/}" != "$name" ]; }; then
		# 77: automake's skip; 4: kselftest's skip (KSFT_SKIP)
		result "$name" "$mode" SKIP "the test skipped itself (feature absent)"
	elif [ $rc = 143 ] || [ $rc = 124 ]; then
		result "$name" "$mode" FAIL "timed out after ${TEST_TIMEOUT}s${xf:+ (listed as expected failure, $want)}"
	elif [ -n "$xf" ] && case "|$want|" in *"|$got|"*) true ;; *) false ;; esac; then
		# $want may list alternatives: exit=1|signal=SEGV
		result "$name" "$mode" XFAIL "$got: $why"
	elif [ -n "$xf" ]; then
		result "$name" "$mode" FAIL "$got, not the expected failure's $want ($why)"
	else
		result "$name" "$mode" FAIL "$got"
	fi
}

TESTS="cpl hello-static hello-dynamic signals forkexec pipe threads fpu memory null softint hwbp redzone badstack escalate ptrace regs gs direct ptstop ptprologue images"
# The same C tests through the direct-call shim (kmltest.direct=1): mode
# shim runs /trusted/kt-<t>.shim (static, libkml-rewrite.a linked in),
# mode rewrite runs /trusted/kt-<t>.rw (dynamic) with libkml-rewrite.so
# in /etc/ld.so.preload; shim-normal and rewrite-normal run them from /bin
# (ring 3 processes that load the shim).  "rewritten" checks the rewriter
# itself (dlopen included).
SHIM_TESTS="cpl hello signals forkexec pipe threads fpu memory null redzone badstack escalate ptrace regs gs direct"

# run_shim_modes tests...: every test in the four shim modes, or in
# those that $shim_modes lists.
run_shim_modes() {
	for mode in ${shim_modes:-shim-normal shim rewrite-normal rewrite}; do
		case $mode in
		shim-normal|rewrite-normal) dir=/bin ;;
		*) dir=/trusted ;;
		esac
		case $mode in
		rewrite*) echo /lib/libkml-rewrite.so > $PRELOAD ;;
		*) rm -f $PRELOAD ;;
		esac
		for t in "$@"; do
			case $mode:$t in
			shim*:rewritten) continue ;;
			rewrite*:rewritten) run_test rewritten $mode "$dir/kt-rewritten" ;;
			shim*) run_test "$t" $mode "$dir/kt-$t.shim" ;;
			*) run_test "$t" $mode "$dir/kt-$t.rw" ;;
			esac
		done
		rm -f $PRELOAD
	done
}

# run_x86 tests...: the kernel's own tools/testing/selftests/x86, 64-bit
# (dynamically linked): from /bin, from /trusted, and from /trusted
# through the rewriter (mode rewrite, libkml-rewrite.so in
# /etc/ld.so.preload), or in those that $x86_modes lists.
run_x86() {
	for mode in ${x86_modes:-normal trusted rewrite}; do
		if [ $mode = normal ]; then dir=/bin/x86; else dir=/trusted/x86; fi
		[ $mode = rewrite ] && echo /lib/libkml-rewrite.so > $PRELOAD
		# The mode itself, proved by a program from the same directory
		# (dynamic in mode rewrite, so that the preloaded rewriter
		# rewrites it: kt_done() wants its direct calls).
		if [ $mode = rewrite ]; then
			run_test x86/mode $mode "$dir/kt-cpl.rw"
		else
			run_test x86/mode $mode "$dir/kt-cpl"
		fi
		for t in "$@"; do
			run_test "x86/$t" $mode "$dir/$t"
		done
		rm -f $PRELOAD
	done
}

# only_tests name...: the names that kmltest.only=a,b lists, all without it
# (for debugging, not CI).
only_tests() {
	for t in "$@"; do
		case " ${only:-$t} " in *" $t "*) printf ' %s' "$t" ;; esac
	done
}

case $suite in
test)
	script_tests="boot busybox trust policy strace coredump realprog kbench"
	sel=$(only_tests $script_tests $TESTS)
	shim_sel=
	[ "$direct" = 1 ] && shim_sel=$(only_tests $SHIM_TESTS rewritten)
	set -- $shim_sel
	nshim=$(( $# * 4 ))
	case " $shim_sel " in *" rewritten "*) nshim=$((nshim - 2)) ;; esac
	set -- $sel
	echo "KMLTEST: PLAN $(( $# * 2 + nshim ))"
	for mode in normal trusted; do
		if [ $mode = trusted ]; then dir=/trusted cpl=$trusted_cpl; else dir=/bin cpl=3; fi
		for t in $sel; do
			case $t in
			boot) run_test boot $mode "$dir/busybox" sh /tests/boot.sh "$dir" "$kver" "$cpus" ;;
			busybox) run_test busybox $mode "$dir/busybox" sh /tests/busybox.sh "$dir" ;;
			trust) run_test trust $mode "$dir/busybox" sh /tests/trust.sh "$dir" "$trusted_cpl" ;;
			strace) run_test strace $mode "$dir/busybox" sh /tests/strace.sh "$dir" ;;
			realprog) run_test realprog $mode "$dir/busybox" sh /tests/realprog.sh "$dir" "$trusted_cpl" ;;
			kbench) run_test kbench $mode "$dir/busybox" sh /tests/kbench.sh "$dir" ;;
			policy) run_test policy $mode "$dir/busybox" sh /tests/policy.sh "$dir" "$trusted_cpl" ;;
			coredump) run_test coredump $mode "$dir/busybox" sh /tests/coredump.sh "$dir" "$cpl" ;;
			*) run_test "$t" $mode "$dir/kt-$t" ;;
			esac
		done
	done
	if [ -n "$shim_sel" ]; then
		run_shim_modes $shim_sel
	fi
	;;
insn)
	# Booted with -singlestep (tests/harness/run-tests.sh): interrupts
	# and NMIs can land between any two instructions, the entry's and
	# exit's included.  spread checks that they do (64 block
	# instructions, 6 places in the direct-call code), ptstop that ptrace
	# stops do (6 places); then the tests that storm the entries, in
	# modes normal, trusted and shim.  Mode shim covers both kinds of
	# direct call: kt-direct.shim calls the entry (libkml), and the glibc
	# in every .shim program calls through the page and its trampolines
	# (rewritten sites, as in mode rewrite).
	# Modes shim-normal and rewrite-normal would run mode normal's paths,
	# and so would direct in mode normal; direct in mode trusted makes
	# the same libkml calls as in mode shim.  Last, the kernel's x86
	# selftests (sigreturn, single-stepping over SYSCALL, faulting
	# arguments, bad stacks, vsyscall emulation, MOV SS) from /bin and
	# /trusted, and from /trusted through the rewriter (mode rewrite:
	# every system call of glibc and of the test's own SYSCALL sites a
	# call through the page at address 0): all but syscall_numbering_64,
	# which makes thousands of traced calls and needs more than 10
	# minutes a mode here.  Everything runs about 30 times slower than
	# usual.
	TEST_TIMEOUT=600
	shim_modes=shim
	sel=$(only_tests spread ptstop migrate signals redzone)
	shim_sel=$(only_tests signals redzone direct)
	x86_modes="normal trusted rewrite"
	x86_sel=$(only_tests $(grep -v '^syscall_numbering_64$' $X86_LIST))
	set -- $x86_sel
	n=0
	[ $# = 0 ] || n=$(( ($# + 1) * 3 ))	# with the mode probes
	set -- $shim_sel
	n=$(( n + $# ))
	set -- $sel
	echo "KMLTEST: PLAN $(( n + $# * 2 ))"
	for mode in normal trusted; do
		if [ $mode = trusted ]; then dir=/trusted; else dir=/bin; fi
		for t in $sel; do
			case $t in
			spread) run_test spread $mode "$dir/kt-spread" 56 6 ;;
			ptstop) run_test ptstop $mode "$dir/kt-ptstop" 20 6 ;;
			migrate) run_test migrate $mode "$dir/kt-migrate" 30 ;;
			*) run_test "$t" $mode "$dir/kt-$t" ;;
			esac
		done
	done
	if [ -n "$shim_sel" ]; then
		run_shim_modes $shim_sel
	fi
	if [ -n "$x86_sel" ]; then
		run_x86 $x86_sel
	fi
	;;
boot)
	echo "KMLTEST: PLAN 1"
	run_test boot normal /bin/busybox sh /tests/boot.sh /bin "$kver" "$cpus"
	;;
overflow-normal|overflow-trusted)
	# Ends in a panic, by design; judged on the host.
	[ "$plan_only" = 1 ] && exit 0	# no results to plan
	/bin/busybox sh /tests/overflow.sh "$([ $suite = overflow-trusted ] && echo /trusted || echo /bin)"
	;;
nullcall)
	# Oopses, by design; judged on the host.
	[ "$plan_only" = 1 ] && exit 0	# no results to plan
	/bin/busybox sh /tests/nullcall.sh
	;;
ltp)
	# make test LTP=dir LTP_TESTS=file; judged on the host.
	[ "$plan_only" = 1 ] && exit 0	# no results to plan
	/bin/busybox sh /tests/ltp.sh "${ltp_timeout:-600}"
	;;
bench)
	# make bench (scripts/bench.sh): benchmarks, not tests.
	[ "$plan_only" = 1 ] && exit 0	# no results to plan
	/bin/busybox sh /tests/bench.sh
	;;
demo)
	[ "$plan_only" = 1 ] && exit 0	# no results to plan
	/tests/demo.sh "$trusted_cpl"
	;;
x86)
	set -- $(only_tests $(cat $X86_LIST))
	echo "KMLTEST: PLAN $(( ($# + 1) * 3 ))"
	run_x86 "$@"
	;;
costs)
	# Booted with the cost plugin (tests/harness/run-tests.sh): kt-costs
	# marks its regions, the host counts and judges (scripts/costs.py).
	echo "KMLTEST: PLAN 2"
	run_test costs normal /bin/kt-costs normal /bin /trusted
	run_test costs trusted /trusted/kt-costs trusted /bin /trusted
	;;
gdb)
	# Booted with a second serial port, where gdbserver serves gdb on
	# the host (tests/harness/gdb-test.py judges the sessions).
	TEST_TIMEOUT=300
	echo "KMLTEST: PLAN 2"
	run_test gdb normal /bin/busybox sh /tests/gdb.sh /bin 3 normal
	run_test gdb trusted /trusted/busybox sh /tests/gdb.sh /trusted "$trusted_cpl" trusted
	;;
debian)
	# A Debian image with the KML kernel package installed
	# (scripts/deb-image.sh): Debian's own programs, then a few C tests,
	# from /bin and /trusted.
	sel=$(only_tests debian cpl hello-dynamic signals forkexec threads)
	set -- $sel
	echo "KMLTEST: PLAN $(( $# * 2 ))"
	for mode in normal trusted; do
		if [ $mode = trusted ]; then dir=/trusted cpl=$trusted_cpl; else dir=/bin cpl=3; fi
		for t in $sel; do
			case $t in
			debian) run_test debian $mode "$dir/busybox" sh /tests/debian.sh "$dir" "$cpl" ;;
			*) run_test "$t" $mode "$dir/kt-$t" ;;
			esac
		done
	done
	;;
dir)
	# Booted with kml_trusted_dir= (see tests/harness/run-tests.sh).
	echo "KMLTEST: PLAN 1"
	run_test trusteddir normal /bin/busybox sh /tests/trusteddir.sh "$trusted_cpl"
	;;
stress)
	echo "KMLTEST: PLAN 1"
	TEST_TIMEOUT=$((stress_secs + 120))
	run_test stress mixed /bin/busybox sh /tests/stress.sh "$stress_secs" "$trusted_cpl"
	;;
*)
	echo "KMLTEST: unknown suite '$suite'"
	;;
esac
