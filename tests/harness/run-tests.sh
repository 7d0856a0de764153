#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the guest suite on every machine configuration of MATRIX and print
# the total as the last line: "N passed, N failed".
#
#   MATRIX="cpu,pti,smp[,kernel parameter] ..."
#       default: max,on,2 max,off,1 qemu64,on,1 qemu64,off,2,kml_fastpath=off max,on,1,kml=off
#       ("none": no matrix boots, nor the trusted-dir one)
#   DIRECT="cpu,pti,smp[,param] ..."   matrix boots that also run the C
#                             tests through the direct-call shim and the
#                             rewriter (kmltest.direct=1; default: the
#                             first and the kml_fastpath=off boot)
#   BOOT_TIMEOUT=seconds      per boot (default 600)
#   STRESS=seconds            mixed KML/normal stress on 2 vCPUs after the
#                             matrix (default 60; 0 skips it)
#   (always) one boot with kml_trusted_dir=/opt/kml (tests/guest/trusteddir.sh)
#   (always, on the host, first) tests/harness/rwscan.c: the rewriter's
#                             search for SYSCALL sites against decoding
#                             everything, on the guest image's programs
#                             and libraries (counts as one test)
#   INSN=1|0                  one boot under QEMU -singlestep, where
#                             interrupts and NMIs can land at every
#                             instruction (TCG otherwise takes them only
#                             when a translation block starts): spread
#                             and ptstop, then the storm tests from /bin,
#                             /trusted and through the shim, then the x86
#                             selftests (not syscall_numbering_64) from
#                             /bin and /trusted, NMIs every 250 ms
#                             (default 1)
#   X86=1|0                   the kernel's tools/testing/selftests/x86 in
#                             both modes, one boot (default 1)
#   DEBUG_BOOT=1|0            build the debug kernel (configs/debug.config:
#                             lockdep, KASAN, CONFIG_DEBUG_ENTRY, so the
#                             generic entries) and boot it once with the
#                             entry-heavy tests, direct calls included
#                             (default 1; not when DEBUG=1 made the whole
#                             matrix a debug one)
#   OVERFLOW=1|0              a kernel stack overflow (LKDTM EXHAUST_STACK)
#   NULLCALL=1|0              a kernel NULL call on behalf of a process,
#                             with and without the sled (LKDTM EXEC_NULL)
#                             from /bin and from /trusted, one boot each,
#                             each ending in the stock report and a panic
#                             (default 1)
#   COSTS="cpu,pti,smp[,param] ..."  boots with the cost plugin
#                             (tests/cost): kt-costs marks each system
#                             call and context-switch path, and the host
#                             checks the costly instructions per operation
#                             against tests/cost/expect.txt (default:
#                             max,off,1 max,on,1 qemu64,off,1,kml_fastpath=off
#                             qemu64,on,1 max,off,1,retbleed=force,unret (a
#                             CPU that needs UNTRAIN_RET); "" skips them);
#                             before them, on
#                             the host, the plugin's classifier is tested
#                             (tests/cost/classify-test.c, one test)
#   GDB_TEST=1|0              gdb on programs from /bin and /trusted: one
#                             boot, gdbserver in the guest, gdb on the host
#                             over a second serial port (default 1)
#   LTP=dir LTP_TESTS=file    an installed LTP (bring-your-own) and a list
#                             of its tests (runtest format): one boot runs
#                             each from /opt/ltp and from /trusted; a test
#                             passes here when both modes give the same
#                             LTP result, or differ exactly as
#                             LTP_EXPECTED lists (default
#                             tests/ltp/expected-differences.txt); a listed
#                             test that does not differ so fails
#                             (LTP_TIMEOUT per test, default 600)
#   LTP_SET=1|0               without LTP=: build LTP from source
#                             (scripts/build-ltp.sh) and run the regression
#                             set tests/ltp/regression.txt; skipped, and
#                             said so, where there is no LTP source
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/lib.sh"
MATRIX=${MATRIX:-"max,on,2 max,off,1 qemu64,on,1 qemu64,off,2,kml_fastpath=off max,on,1,kml=off"}
DIRECT=${DIRECT:-"max,on,2 qemu64,off,2,kml_fastpath=off"}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-600}
STRESS=${STRESS:-60}
X86=${X86:-1}
INSN=${INSN:-1}
OVERFLOW=${OVERFLOW:-1}
NULLCALL=${NULLCALL:-1}
GDB_TEST=${GDB_TEST:-1}
DEBUG_BOOT=${DEBUG_BOOT:-1}
COSTS=${COSTS-"max,off,1 max,on,1 qemu64,off,1,kml_fastpath=off qemu64,on,1 max,off,1,retbleed=force,unret"}
LTP_SET=${LTP_SET:-1}
LTP_EXPECTED=${LTP_EXPECTED:-$top/tests/ltp/expected-differences.txt}
[ "${DEBUG:-0}" != 0 ] && DEBUG_BOOT=0
DEBUG_TESTS=boot,signals,softint,redzone,badstack,ptrace,regs,gs,direct,ptstop,ptprologue,rewritten,images

step "self-test of the log checker"
bash "$top/tests/harness/selftest.sh" || die "the log checker is broken; guest results would mean nothing"

tp=0 tf=0 tx=0 ts=0
xfails= skips=

# The rewriter decodes only around the bytes 0f 05; on the host, check
# that it finds in the image's programs and libraries exactly the SYSCALL
# sites in executable sections that decoding everything finds.  Counted
# as one test; its own checks are listed on failure.
step "host: the rewriter's search on the guest image (tests/harness/rwscan.c)"
rwscan_ok=0 out=
if gcc -O2 -Wall -Wextra -Werror -I"$top/libkml" -o "$BUILD/rwscan" \
	"$top/tests/harness/rwscan.c" -lcapstone; then
	mapfile -t elfs < <(elf_files "$BUILD/initramfs-root" trusted)
	if [ ${#elfs[@]} -gt 0 ] && out=$("$BUILD/rwscan" "${elfs[@]}"); then
		rwscan_ok=1
	fi
	printf '%s\n' "$out" | grep -E '^(not ok|# [0-9]|# time)' | sed 's/^/  /'
fi
if [ $rwscan_ok = 1 ]; then
	say "rwscan: PASS (${#elfs[@]} objects)"
	tp=$((tp + 1))
else
	say "rwscan: FAIL"
	tf=$((tf + 1))
fi
# Documentation/kml.rst builds with Sphinx, warnings as errors (one test).
step "host: Documentation/kml.rst with sphinx-build -W"
if command -v sphinx-build > /dev/null; then
	sph=$(mktemp -d)
	cp "$top/Documentation/kml.rst" "$sph/index.rst"
	echo "project = 'kml'" > "$sph/conf.py"
	if out=$(sphinx-build -q -W --keep-going -b html "$sph" "$sph/out" 2>&1); then
		say "sphinx: PASS"
		tp=$((tp + 1))
	else
		printf '%s\n' "$out" | head -20 | sed 's/^/  /'
		say "sphinx: FAIL"
		tf=$((tf + 1))
	fi
	rm -rf "$sph"
else
	echo "SKIP  sphinx  no sphinx-build (Debian's python3-sphinx; scripts/deps.sh installs it)"
	skips="${skips}SKIP  sphinx: no sphinx-build"$'\n'
	ts=$((ts + 1))
fi
# The cost instrument: its classifier, on the host, against a program
# that holds every class and look-alikes (one test).
if [ -n "$COSTS" ]; then
	step "host: the cost plugin's instruction classifier (tests/cost/classify-test.c)"
	if out=$(bash "$top/scripts/build-cost.sh" --test 2>&1); then
		say "classify-test: PASS ($(printf '%s\n' "$out" | tail -1))"
		tp=$((tp + 1))
	else
		printf '%s\n' "$out" | grep -E '^not ok|ERROR' | sed 's/^/  /'
		say "classify-test: FAIL"
		tf=$((tf + 1))
	fi
fi
runs=$MATRIX
if [ "$MATRIX" = none ]; then runs=; else runs="$runs dir"; fi
[ "$X86" != 0 ] && runs="$runs x86"
[ "$INSN" != 0 ] && runs="$runs insn"
[ "$STRESS" != 0 ] && runs="$runs stress"
[ "$DEBUG_BOOT" != 0 ] && runs="$runs debug"
for c in $COSTS; do runs="$runs costs:$c"; done
for m in $runs; do
	suite=test timeout=$BOOT_TIMEOUT mem=${MEM:-1G}
	kernel=${KERNEL:-$BUILD/obj-${KCONFIG:-tiny}/arch/x86/boot/bzImage}
	# A debug kernel (lockdep, CONFIG_DEBUG_ENTRY) runs the generic
	# system call entry; tests/guest/boot.sh checks which one it got.
	generic=0 singlestep=0
	[ "${DEBUG:-0}" != 0 ] && generic=1
	if [ "$m" = x86 ]; then
		# syscall_numbering_64 from /bin (pti=on: every call flushes
		# TCG's TLB) ran past 120 s on a slow host (2026-12-07) while
		# still making progress; the limit only bounds a hang.
		suite=x86
		m="max,on,2,kmltest.test_timeout=300"
	elif [ "$m" = dir ]; then
		# A configured trusted directory; an invalid value first.
		suite=dir
		m="max,on,1,kml_trusted_dir=relative/dir kml_trusted_dir=/opt/kml"
	elif [ "$m" = debug ]; then
		# KASAN and lockdep under TCG: on a slow 2-core host
		# (2026-12-07) direct's 20,000 loopback UDP round trips from
		# /bin (pti=on: every call flushes TCG's TLB) ran past 120 s,
		# and the boot past 600 s.  The limits only bound a hang.
		suite=debug
		m="max,on,2,kmltest.direct=1 kml_nest_nmi=1 kmltest.only=$DEBUG_TESTS kmltest.test_timeout=360"
		kernel=$BUILD/obj-${KCONFIG:-tiny}-debug/arch/x86/boot/bzImage mem=2G generic=1
		timeout=$((BOOT_TIMEOUT + 900))
		step "building the debug kernel"
		if ! DEBUG=1 bash "$top/scripts/build-kernel.sh"; then
			echo "FAIL  debug  build: the debug kernel did not build"
			tf=$((tf + 1))
			continue
		fi
	elif [ "${m#costs:}" != "$m" ]; then
		suite=costs
		m=${m#costs:}
	elif [ "$m" = insn ]; then
		# 1800 s: on a slow 2-core host (2026-12-07: a cold kernel
		# build took 14 minutes, not 5) this boot ran past 1200 s
		# twice, alive, 55 and 62 of its 85 results in
		suite=insn timeout=$((BOOT_TIMEOUT + 1200)) singlestep=1
		# 30 times slower: longer lockup and hang limits than the
		# 20 s and 60 s of the other boots
		m="max,on,2,kmltest.direct=1 kml_nest_nmi=1 watchdog_thresh=60 sysctl.kernel.hung_task_timeout_secs=600"
	elif [ "$m" = stress ]; then
		# KML and normal processes side by side on two CPUs.
		suite=stress timeout=$((STRESS + 300))
		m="max,on,2,kmltest.stress=$STRESS kml_nest_nmi=1"
	fi
	IFS=, read -r cpu pti smp param <<< "$m"
	case " $DIRECT " in
	*" $m "*) [ $suite = test ] && param="${param:+$param }kmltest.direct=1" ;;
	esac
	label="$cpu/pti=$pti/smp$smp${param:+/$param}"
	[ $suite = stress ] && label="stress/$cpu/pti=$pti/smp$smp/${STRESS}s"
	[ $suite = x86 ] && label="x86-selftests/$cpu/pti=$pti/smp$smp"
	[ $suite = dir ] && label="trusted-dir/$cpu/pti=$pti/smp$smp"
	[ $suite = insn ] && label="every-insn/$cpu/pti=$pti/smp$smp"
	[ $suite = costs ] && label="costs/$cpu/pti=$pti/smp$smp${param:+/$param}"
	costs=
	[ $suite = costs ] && costs=$BUILD/logs/costs-$cpu-pti$pti-smp$smp${param:+-${param//[^a-z0-9=]/_}}.costs
	log=$BUILD/logs/$suite-$cpu-pti$pti-smp$smp${param:+-${param//[^a-z0-9=]/_}}.log
	if [ $suite = debug ]; then
		label="debug-kernel/$cpu/pti=$pti/smp$smp" suite=test
		log=$BUILD/logs/debug-kernel-$cpu-pti$pti-smp$smp.log
	fi
	step "guest $suite suite on $label"
	start=$(date +%s)
	# kml=off: /trusted programs must run exactly as normal ones
	expect=$KML_EXPECT_TRUSTED_CPL
	[ "$param" = kml=off ] && expect=3
	# The stress and every-instruction boots also get an NMI every 250 ms
	# (issue 3: NMIs that hit KML programs, the IST stubs and the
	# direct-call windows; under -singlestep also their cli windows).
	nmi=
	[ $suite = stress ] || [ $suite = insn ] && nmi=0.25
	append=$param
	[ $generic = 1 ] && append="${append:+$append }kmltest.fastpath=generic"
	# The host's own plan of the boot (what results it must give).
	if ! bash "$top/tests/harness/plan.sh" $suite "$append" > "$log.plan" 2> "$log.plan.err"; then
		echo "FAIL  $label  harness: no host plan ($(tail -1 "$log.plan.err"))"
		tf=$((tf + 1))
		continue
	fi
	[ $generic = 1 ] || case " $param " in *" kml_fastpath=off "*) generic=1 ;; esac
	[ $suite = costs ] && [ $generic = 1 ] && label="$label/generic"
	# The cost boots count under -icount, where time is instructions: a
	# timer tick lands in a region of 1000 system calls a few times at
	# most, as it does on hardware, not once per emulated microsecond.
	icount=0
	[ $suite = costs ] && icount=1
	KML_EXPECT_TRUSTED_CPL=$expect APPEND="$append" CPU=$cpu PTI=$pti SMP=$smp SUITE=$suite QUIET=1 TIMEOUT=$timeout LOG=$log \
		NMI_EVERY=$nmi SINGLESTEP=$singlestep KERNEL=$kernel MEM=$mem COSTS=$costs ICOUNT=$icount \
		COSTS_SYMS=${costs:+$(dirname "$kernel")/../../../System.map} bash "$top/scripts/qemu-run.sh"
	qrc=$?
	out=$(KML_SYSTEM_MAP=$(dirname "$kernel")/../../../System.map \
		bash "$top/tests/harness/check-log.sh" "$log" "$label" "$qrc" --plan "$log.plan")
	if [ $suite = costs ]; then
		# The counts per operation against tests/cost/expect.txt.
		cout=$(python3 "$top/scripts/costs.py" check "$log" "$costs" "$top/tests/cost/expect.txt" "$label")
		# Which code each path ran, by function (the plugin's profile).
		cout=$(printf '%s\n%s\n' "$cout" "$(python3 "$top/scripts/costs.py" paths "$log" "$costs" "$label")")
		out=$(printf '%s\n%s\n' "$out" "$cout" | awk '
			/^SUMMARY / { for (i = 2; i <= NF; i++) { split($i, kv, "="); sum[kv[1]] += kv[2] }; next }
			{ print }
			END { printf "SUMMARY passed=%d failed=%d xfail=%d skipped=%d\n", sum["passed"], sum["failed"], sum["xfail"], sum["skipped"] }')
	fi
	xp=0 xfl=0	# checks of the whole log, beside the judge's
	# kml_nest_nmi=1 (Kconfig KML_DEBUG_NEST_NMI): NMIs sent from inside
	# the IST stubs, whose handler takes a page fault; the boot must have
	# had at least one, and survived it (the judge above).
	case " $param " in
	*" kml_nest_nmi=1 "*)
		# no "| grep -q": with pipefail, the writer's SIGPIPE fails it
		if grep -a -q "ist-nest: 1 NMIs hit an IST stub" "$log"; then
			out="$out"$'\n'"PASS  $label  ist-nest: NMIs inside the IST stubs took page faults ($(tr -d '\r' < "$log" | grep -a -o 'ist-nest: [0-9]* NMIs' | tail -1))"
			xp=$((xp + 1))
		else
			out="$out"$'\n'"FAIL  $label  ist-nest: no NMI interrupted an IST stub (kml_nest_nmi=1)"
			xfl=$((xfl + 1))
		fi
		;;
	esac
	if [ -n "$nmi" ]; then
		nn=$(tr -d '\r' < "$log" | grep -c "NMI received for unknown reason" || true)
		if [ "$nn" -gt 0 ]; then
			out="$out"$'\n'"PASS  $label  nmi (mixed): $nn NMI reports during the boot ($(cat "$log.nmi" 2>/dev/null))"
			xp=$((xp + 1))
		else
			out="$out"$'\n'"FAIL  $label  nmi (mixed): no NMI reached the guest ($(cat "$log.nmi" 2>/dev/null))"
			xfl=$((xfl + 1))
		fi
	fi
	printf '%s\n' "$out" | grep -v '^SUMMARY'
	eval "$(printf '%s\n' "$out" | sed -n 's/^SUMMARY //p')"
	passed=$((passed + xp)) failed=$((failed + xfl))
	say "$label: $passed passed, $failed failed, $xfail expected failures, $skipped skipped in $(( $(date +%s) - start ))s (log: $log)"
	tp=$((tp + passed)) tf=$((tf + failed)) tx=$((tx + xfail)) ts=$((ts + skipped))
	xf=$(printf '%s\n' "$out" | grep '^XFAIL' || true)
	[ -n "$xf" ] && xfails="$xfails$xf"$'\n'
	sk=$(printf '%s\n' "$out" | grep '^SKIP' || true)
	[ -n "$sk" ] && skips="$skips$sk"$'\n'
done

# A kernel stack overflow must end as on the stock kernel: the #DF
# handler's "stack guard page was hit" report, then a panic; from /trusted
# too, where #PF goes through the KML IST stub (tests/guest/overflow.sh).
if [ "$OVERFLOW" != 0 ]; then
	for mode in normal trusted; do
		log=$BUILD/logs/overflow-$mode.log
		label="overflow/max/pti=on/smp1"
		km=0
		[ $mode = trusted ] && [ "$KML_EXPECT_TRUSTED_CPL" = 0 ] && km=1
		step "kernel stack overflow from $mode mode ($label)"
		CPU=max PTI=on SMP=1 SUITE=overflow-$mode QUIET=1 TIMEOUT=300 LOG=$log \
			bash "$top/scripts/qemu-run.sh"
		why=
		# Everything the kernel says before the overflow is judged as
		# in any boot; the overflow's own report and panic after it.
		if ! jout=$(KML_SYSTEM_MAP=$BUILD/obj-${KCONFIG:-tiny}/System.map \
			bash "$top/tests/harness/check-log.sh" "$log" "$label" 0 --no-results --no-end \
			--upto '^lkdtm: Performing direct entry EXHAUST_STACK'); then
			why="the log judge: $(printf '%s\n' "$jout" | grep '^FAIL' | head -3 | tr '\n' ' ')"
		fi
		tr -d '\r' < "$log" > "$log.txt"
		grep -q "^KMLOVERFLOW: .*busybox, KernelMode $km" "$log.txt" ||
			why="${why:+$why; }the overflowing shell did not run with KernelMode $km"
		grep -q "stack guard page was hit" "$log.txt" || why="${why:+$why; }no 'stack guard page was hit' report"
		grep -q "Kernel panic" "$log.txt" || why="${why:+$why; }no panic"
		grep -q "KML IST stack" "$log.txt" && why="${why:+$why; }the KML IST stub panicked instead"
		grep -q "KMLOVERFLOW: still alive" "$log.txt" && why="${why:+$why; }the kernel survived"
		grep -q "^lkdtm: Performing direct entry EXHAUST_STACK" "$log.txt" ||
			why="${why:+$why; }LKDTM never ran the overflow"
		if [ -z "$why" ]; then
			printf 'PASS  %s  overflow (%s)\n' "$label" $mode
			tp=$((tp + 1))
		else
			printf 'FAIL  %s  overflow (%s): %s (log: %s)\n' "$label" $mode "$why" "$log"
			tf=$((tf + 1))
		fi
		rm -f "$log.txt"
	done
fi

# A NULL function pointer called by the kernel on behalf of a process
# must oops and kill it, as without KML: from /bin, from /trusted, and
# from /trusted with the direct-call sled at 0, where the sled's landing
# trampoline refuses a call from kernel code (tests/guest/nullcall.sh).
if [ "$NULLCALL" != 0 ]; then
	log=$BUILD/logs/nullcall.log
	label="nullcall/max/pti=on/smp1"
	km=0
	[ "$KML_EXPECT_TRUSTED_CPL" = 0 ] && km=1
	step "a kernel NULL call on behalf of a process ($label)"
	CPU=max PTI=on SMP=1 SUITE=nullcall QUIET=1 TIMEOUT=300 LOG=$log \
		bash "$top/scripts/qemu-run.sh"
	why=
	# Judged as any boot up to the first NULL call; the oopses after it
	# are the test's.
	if ! jout=$(KML_SYSTEM_MAP=$BUILD/obj-${KCONFIG:-tiny}/System.map \
		bash "$top/tests/harness/check-log.sh" "$log" "$label" 0 --no-results \
		--upto '^lkdtm: Performing direct entry EXEC_NULL'); then
		why="the log judge: $(printf '%s\n' "$jout" | grep '^FAIL' | head -3 | tr '\n' ' ')"
	fi
	tr -d '\r' < "$log" > "$log.txt"
	for c in normal:0:'BUG: kernel NULL pointer dereference' \
		 trusted:$km:'BUG: kernel NULL pointer dereference' \
		 trusted-sled:$km:'Oops: invalid opcode'; do
		name=${c%%:*} rest=${c#*:}
		want_km=${rest%%:*} oops=${rest#*:}
		part=$(sed -n "/^KMLNULL: begin $name\$/,/^KMLNULL: end $name /p" "$log.txt")
		printf '%s\n' "$part" | grep -q "^KMLNULL: $name: KernelMode $want_km, sled " ||
			why="${why:+$why; }$name: did not run with KernelMode $want_km"
		[ $name = trusted-sled ] && [ "$want_km" = 1 ] &&
			! printf '%s\n' "$part" | grep -q "^KMLNULL: $name: KernelMode 1, sled mapped and used" &&
			why="${why:+$why; }$name: no working sled"
		printf '%s\n' "$part" | grep -q '^lkdtm: Performing direct entry EXEC_NULL' ||
			why="${why:+$why; }$name: LKDTM never ran EXEC_NULL"
		printf '%s\n' "$part" | grep -q "$oops" ||
			why="${why:+$why; }$name: no '$oops'"
		printf '%s\n' "$part" | grep -q "^KMLNULL: $name: survived" &&
			why="${why:+$why; }$name: the NULL call returned"
		st=$(printf '%s\n' "$part" | sed -n "s/^KMLNULL: end $name status \([0-9]*\)\$/\1/p")
		[ "${st:-0}" -gt 128 ] ||
			why="${why:+$why; }$name: the caller was not killed by a signal (status ${st:-none})"
	done
	grep -q '^KMLNULL: done' "$log.txt" || why="${why:+$why; }the kernel did not survive to the end"
	if [ -z "$why" ]; then
		printf 'PASS  %s  nullcall\n' "$label"
		tp=$((tp + 1))
	else
		printf 'FAIL  %s  nullcall: %s (log: %s)\n' "$label" "$why" "$log"
		tf=$((tf + 1))
	fi
	rm -f "$log.txt"
fi

# gdb on ring-0 programs: breakpoints, next and stepi over system calls,
# a hardware watchpoint, bt, CS, a signal, attaching, a core file; the
# host judges each gdb session (tests/harness/gdb-test.py), the log judge
# the guest's side (tests/guest/gdb.sh).
if [ "$GDB_TEST" != 0 ]; then
	log=$BUILD/logs/gdb.log
	label="gdb/max/pti=on/smp2"
	step "gdb on programs from /bin and /trusted ($label)"
	start=$(date +%s)
	if ! bash "$top/tests/harness/plan.sh" gdb "" > "$log.plan" 2> "$log.plan.err"; then
		echo "FAIL  $label  harness: no host plan ($(tail -1 "$log.plan.err"))"
		tf=$((tf + 1))
	else
		gout=$(CPU=max PTI=on SMP=2 TIMEOUT=900 python3 "$top/tests/harness/gdb-test.py" \
			"$log" "$label" "$BUILD/guest/kt-gdb" "$KML_EXPECT_TRUSTED_CPL")
		qrc=$(cat "$log.qrc" 2>/dev/null || echo 1)
		jout=$(KML_SYSTEM_MAP=$BUILD/obj-${KCONFIG:-tiny}/System.map \
			bash "$top/tests/harness/check-log.sh" "$log" "$label" "$qrc" --plan "$log.plan")
		printf '%s\n%s\n' "$gout" "$(printf '%s\n' "$jout" | grep -v '^SUMMARY')"
		p=$(printf '%s\n' "$gout" | grep -c '^PASS' || true)
		f=$(printf '%s\n' "$gout" | grep -c '^FAIL' || true)
		# 6 sessions: run, attach and core, in each mode
		if [ $((p + f)) != 6 ]; then
			echo "FAIL  $label  gdb: $((p + f)) of 6 sessions judged (tests/harness/gdb-test.py)"
			f=$((f + 1))
		fi
		eval "$(printf '%s\n' "$jout" | sed -n 's/^SUMMARY //p')"
		p=$((p + passed)) f=$((f + failed))
		say "$label: $p passed, $f failed in $(( $(date +%s) - start ))s (log: $log)"
		tp=$((tp + p)) tf=$((tf + f))
	fi
fi

# LTP: the same LTP result in both modes, per test.  Bring-your-own
# (LTP=dir LTP_TESTS=file), or built here from source and run on the
# regression set.
if [ -z "${LTP:-}" ] && [ "$LTP_SET" != 0 ]; then
	step "building LTP from source (scripts/build-ltp.sh)"
	if ! have_src=$(bash "$top/scripts/build-ltp.sh" --find 2>&1); then
		echo "SKIP  ltp  no LTP source: $have_src"
		skips="${skips}SKIP  ltp: no LTP source (LTP_SRC, or ltp-*.tar.xz in ../shared/peers)"$'\n'
		ts=$((ts + 1))
	elif LTP=$(bash "$top/scripts/build-ltp.sh" | tail -1) && [ -d "$LTP/testcases/bin" ]; then
		LTP_TESTS=$top/tests/ltp/regression.txt
	else
		echo "FAIL  ltp  build: LTP did not build (log: $BUILD/logs/build-ltp.log)"
		tf=$((tf + 1))
		LTP=
	fi
fi
if [ -n "${LTP:-}" ]; then
	label="ltp/max/pti=on/smp2"
	log=$BUILD/logs/ltp.log
	step "LTP from $LTP, tests of ${LTP_TESTS:-}"
	img=$(LTP=$LTP LTP_TESTS=${LTP_TESTS:-} bash "$top/scripts/mkinitramfs.sh" | tail -1)
	if [ -z "$img" ] || [ ! -f "$img" ]; then
		echo "FAIL  $label  harness: could not build the LTP image"
		tf=$((tf + 1))
	else
		n=$(grep -cv '^[[:space:]]*\(#\|$\)' "$LTP_TESTS")
		# Guest memory follows the image: the unpacked initramfs stays
		# in memory (tmpfs), so give it twice its size on top of 1 GiB.
		unpacked=$(gzip -dc "$img" | wc -c)
		mem=$(( 1024 + 2 * unpacked / 1048576 ))M
		say "LTP image: $((unpacked / 1048576)) MiB unpacked, guest memory $mem"
		MEM=$mem INITRD=$img CPU=max PTI=on SMP=2 SUITE=ltp QUIET=1 LOG=$log \
			TIMEOUT=$(( n * 2 * ${LTP_TIMEOUT:-600} + 300 )) \
			APPEND="kmltest.ltp_timeout=${LTP_TIMEOUT:-600}" bash "$top/scripts/qemu-run.sh"
		qrc=$?
		xdiff=/dev/null
		[ -f "$LTP_EXPECTED" ] && xdiff=$LTP_EXPECTED
		out=$( { sed 's/^/XDIFF /' "$xdiff"; tr -d '\r' < "$log"; } |
			awk -v label="$label" -v qrc=$qrc -v cpl0="$KML_EXPECT_TRUSTED_CPL" -v n=$n '
		# tests/ltp/expected-differences.txt: tag normal trusted reason
		/^XDIFF [^#]/ && NF >= 4 {
			xn[$2] = $3; xt[$2] = $4; why = $0
			sub(/^XDIFF [^ ]+ [^ ]+ [^ ]+ */, "", why); xw[$2] = why
			next
		}
		/^XDIFF / { next }
		/^KMLTEST-LTP-CPL: / { cpl[$2] = $3 }
		/^KMLTEST-LTP: / {
			r[$2, $3] = $4; st[$2, $3] = $5; g[$2, $3] = $6; cnt[$3, $4]++
			if (!($2 in seen)) { seen[$2] = 1; t[nt++] = $2 }
		}
		END {
			if (cpl["normal"] != 3 || cpl["trusted"] != cpl0)
				printf "FAIL  %s  ltp harness: binaries ran at CPL %s (normal) and %s (trusted), not 3 and %s\n",
					label, cpl["normal"], cpl["trusted"], cpl0
			for (i = 0; i < nt; i++) {
				a = r[t[i], "normal"]; b = r[t[i], "trusted"]
				# Each run proves its mode: execs granted CPL 0
				# during the test, none from /opt/ltp, some from
				# /trusted/ltp (where trusted means CPL 0).
				gn = g[t[i], "normal"]; gt = g[t[i], "trusted"]
				if (a == "" || b == "")
					printf "FAIL  %s  ltp/%s: no result from %s\n", label, t[i], a == "" ? "normal" : "trusted"
				else if (gn == "" || gt == "" || gn + 0 != 0 || (cpl0 == 0) != (gt + 0 > 0))
					printf "FAIL  %s  ltp/%s: ran in the wrong mode: %s execs at CPL 0 from /opt/ltp, %s from /trusted/ltp (want 0 and %s)\n",
						label, t[i], gn, gt, cpl0 == 0 ? "some" : "0"
				else if (t[i] in xn) {
					if (a == xn[t[i]] && b == xt[t[i]])
						printf "PASS  %s  ltp/%s: %s normal, %s trusted, an expected difference: %s\n",
							label, t[i], a, b, xw[t[i]]
					else
						printf "FAIL  %s  ltp/%s: listed as differing (%s normal, %s trusted: %s), gives %s normal, %s trusted\n",
							label, t[i], xn[t[i]], xt[t[i]], xw[t[i]], a, b
				} else if (a == b)
					printf "PASS  %s  ltp/%s: %s in both modes\n", label, t[i], a
				else
					printf "FAIL  %s  ltp/%s: differs: %s (status %s) normal, %s (status %s) trusted\n",
						label, t[i], a, st[t[i], "normal"], b, st[t[i], "trusted"]
			}
			if (nt < n) printf "FAIL  %s  ltp: %d of %d listed tests reported (status %s)\n", label, nt, n, qrc
			split("pass fail conf broken warn timeout", c, " ")
			for (m = 1; m <= 2; m++) {
				md = m == 1 ? "normal" : "trusted"
				printf "INFO  LTP %-8s", md
				for (j = 1; j <= 6; j++) printf " %s %d", c[j], cnt[md, c[j]]
				printf "\n"
			}
		}')
		# A boot that never ran the suite says why, not only that
		# nothing came back.
		# (grep the file itself: grep -q ending a pipe early would
		# fail the pipe under pipefail.)
		if grep -aq 'Initramfs unpacking failed' "$log"; then
			out="$out"$'\n'"FAIL  $label  ltp: the image did not unpack in $mem of guest memory: $(grep -a -m1 'Initramfs unpacking failed' "$log" | tr -d '\r')"
		elif ! grep -aq '^KMLTEST-LTP-CPL: ' "$log"; then
			out="$out"$'\n'"FAIL  $label  ltp: the LTP runner never started (QEMU status $qrc; log: $log)"
		fi
		# The kernel's complaints and the end marker, as in every boot.
		jout=$(KML_SYSTEM_MAP=$BUILD/obj-${KCONFIG:-tiny}/System.map \
			bash "$top/tests/harness/check-log.sh" "$log" "$label" "$qrc" --no-results)
		out="$out"$'\n'"$(printf '%s\n' "$jout" | grep -v '^SUMMARY')"
		printf '%s\n' "$out"
		p=$(printf '%s\n' "$out" | grep -c '^PASS' || true)
		f=$(printf '%s\n' "$out" | grep -c '^FAIL' || true)
		d=$(printf '%s\n' "$out" | grep ': differs: ' || true)
		echo "LTP tests whose result differs between modes: ${d:+$'\n'}${d:-none}"
		say "$label: $p passed, $f failed (log: $log)"
		tp=$((tp + p)) tf=$((tf + f))
	fi
fi

echo
if [ -n "$xfails" ]; then
	echo "Expected failures (tests/guest/xfail.list):"
	printf '%s' "$xfails" | sed 's/^/  /'
else
	echo "Expected failures: none listed (tests/guest/xfail.list)"
fi
if [ -n "$skips" ]; then
	echo "Skipped ($ts; tests/guest/skip.list, or the test found its feature absent):"
	printf '%s' "$skips" | sed 's/^/  /'
fi
echo "$tp passed, $tf failed"
[ $tf = 0 ]
