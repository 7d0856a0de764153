# SPDX-License-Identifier: GPL-2.0
# The KML policy and what a KML exec grants, run by $1/busybox sh as root:
# policy.sh DIR TRUSTED_CPL.  TRUSTED_CPL is 3 when KML is off for this
# boot (kml=off): then nothing may reach CPL 0 and the policy cannot be
# raised.  User 1000 stands for an ordinary user.
. /tests/kt-mode.sh
dir=$1 tcpl=$2 bb=$1/busybox
fail=0
P=/proc/sys/kernel/kml/policy
S=/sys/kernel/kml
U=1000
check() {	# description expected actual
	if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: got '$3', want '$2'"; fail=1; fi
}
cpl_of() { "$@" >/dev/null 2>&1; echo $?; }
field() {	# name line: the value of name=value in line
	echo "$2" | $bb tr ' ' '\n' | $bb sed -n "s/^$1=//p"
}
stat() { read -r v < $S/$1; echo "$v"; }	# a builtin: no exec to count
setpol() { echo "$1" > $P; }
if [ "$tcpl" = 0 ]; then k=1; else k=0; fi

check "kernel.kml.trusted_dir" /trusted "$($bb cat /proc/sys/kernel/kml/trusted_dir)"
for f in execs_granted refused_policy refused_unsafe refused_untrusted refused_interpreter direct_calls; do
	check "counter $S/$f exists" yes "$([ -r $S/$f ] && echo yes)"
done

if [ "$tcpl" != 0 ]; then
	check "policy reads off when KML is off" off "$($bb cat $P)"
	check "raising the policy fails with ENODEV" 1 "$(setpol all 2>/dev/null; echo $?)"
	check "a /trusted program runs at CPL 3" 3 "$(cpl_of /trusted/kt-probe)"
	check "as user $U too" 3 "$(cpl_of /bin/kt-runas -u $U /trusted/kt-probe)"
	exit $fail
fi

# --- the policy -------------------------------------------------------
check "default policy" root "$($bb cat $P)"
g0=$(stat execs_granted) p0=$(stat refused_policy)
check "root runs a /trusted program at CPL 0" 0 "$(cpl_of /trusted/kt-probe)"
check "user $U runs it at CPL 3 under 'root'" 3 "$(cpl_of /bin/kt-runas -u $U /trusted/kt-probe)"
check "execs_granted counted the root exec" $((g0 + 1)) "$(stat execs_granted)"
check "refused_policy counted the user exec" $((p0 + 1)) "$(stat refused_policy)"
setpol all
check "policy set to all" all "$($bb cat $P)"
check "the change is logged" yes "$($bb dmesg | $bb grep -q 'kml: policy changed from root to all by' && echo yes)"
check "user $U runs it at CPL 0 under 'all'" 0 "$(cpl_of /bin/kt-runas -u $U /trusted/kt-probe)"
/trusted/kt-secure sleep 10 >/dev/null & running=$!
$bb sleep 1
setpol off
check "nobody gets CPL 0 under 'off' (root)" 3 "$(cpl_of /trusted/kt-probe)"
check "a KML program started before keeps kernel mode" 1 \
	"$($bb grep KernelMode /proc/$running/status | $bb cut -f2)"
$bb kill $running
wait $running 2>/dev/null
setpol root
check "user $U cannot change it (file mode)" root "$(/bin/kt-runas -u $U /bin/busybox sh -c "echo all > $P" 2>/dev/null; $bb cat $P)"
check "root without CAP_SYS_ADMIN cannot change it" 1 "$(/bin/kt-runas -c /bin/busybox sh -c "echo all > $P" 2>/dev/null; echo $?)"
check "... and it is unchanged" root "$($bb cat $P)"
check "an unknown value fails" 1 "$(setpol bogus 2>/dev/null; echo $?)"
check "... and it is unchanged" root "$($bb cat $P)"

# --- what a KML exec is: not dumpable; secure-exec unless the caller
# may load kernel modules (CAP_SYS_MODULE in the initial namespace) -----
l=$(LD_PRELOAD=/lib/libkt-preload.so /trusted/kt-secure)
check "/trusted/kt-secure runs at CPL 0 ($l)" 0 "$(field cpl "$l")"
check "KernelMode: 1" 1 "$(field km "$l")"
check "it is not dumpable" 0 "$(field dumpable "$l")"
check "root with CAP_SYS_MODULE: AT_SECURE 0, LD_PRELOAD honoured" "0 1" \
	"$(field secure "$l") $(field preload "$l")"
l=$(LD_PRELOAD=/lib/libkt-preload.so /bin/kt-runas -m /trusted/kt-secure)
check "root without CAP_SYS_MODULE: CPL 0, AT_SECURE 1, not dumpable, LD_PRELOAD ignored ($l)" \
	"0 1 0 0" "$(field cpl "$l") $(field secure "$l") $(field dumpable "$l") $(field preload "$l")"
l=$(LD_PRELOAD=/lib/libkt-preload.so /bin/kt-runas -m /bin/kt-secure)
check "... the same from /bin: AT_SECURE 0, LD_PRELOAD honoured ($l)" "3 0 1" \
	"$(field cpl "$l") $(field secure "$l") $(field preload "$l")"
l=$(LD_PRELOAD=/lib/libkt-preload.so /bin/kt-secure)
check "/bin/kt-secure: AT_SECURE 0, dumpable, LD_PRELOAD honoured ($l)" "3 0 1 1" \
	"$(field cpl "$l") $(field secure "$l") $(field dumpable "$l") $(field preload "$l")"

# --- an ordinary user cannot reach into a KML task --------------------
setpol all
l=$(LD_PRELOAD=/lib/libkt-preload.so /bin/kt-runas -u $U /trusted/kt-secure)
check "user $U under 'all': CPL 0, AT_SECURE 1, not dumpable, LD_PRELOAD ignored ($l)" \
	"0 1 0 0" "$(field cpl "$l") $(field secure "$l") $(field dumpable "$l") $(field preload "$l")"
/bin/kt-runas -u $U /trusted/kt-secure sleep 20 >/dev/null & kml=$!
/bin/kt-runas -u $U /trusted/kt-secure dumpable sleep 20 >/dev/null & kmld=$!
/bin/kt-runas -u $U /bin/kt-secure sleep 20 >/dev/null & norm=$!
$bb sleep 1
check "the targets run at CPL 0, 0 and 3" "1 1 0" \
	"$($bb grep KernelMode /proc/$kml/status | $bb cut -f2) $($bb grep KernelMode /proc/$kmld/status | $bb cut -f2) $($bb grep KernelMode /proc/$norm/status | $bb cut -f2)"
l=$(/bin/kt-runas -u $U /bin/kt-peek $norm)
check "user $U can reach its own normal process (control: $l)" "attach=ok mem=ok readv=ok writev=ok" "$l"
l=$(/bin/kt-runas -u $U /bin/kt-peek $kml)
check "user $U cannot reach its own KML process ($l)" 4 "$(echo "$l" | $bb grep -o '=E[A-Z]*' | $bb wc -l)"
l=$(/bin/kt-runas -u $U /bin/kt-peek $kmld)
check "... not even after it made itself dumpable ($l)" 4 "$(echo "$l" | $bb grep -o '=E[A-Z]*' | $bb wc -l)"
l=$(/bin/kt-peek $kml)
check "root (CAP_SYS_PTRACE) can ($l)" "attach=ok mem=ok readv=ok writev=ok" "$l"
$bb kill $kml $kmld $norm 2>/dev/null
wait
u0=$(stat refused_unsafe)
check "user $U tracing itself into a /trusted program: CPL 3" 3 "$(cpl_of /bin/kt-runas -u $U -t /trusted/kt-probe)"
check "refused_unsafe counted it" $((u0 + 1)) "$(stat refused_unsafe)"
check "root tracing itself into it: CPL 0" 0 "$(cpl_of /bin/kt-runas -t /trusted/kt-probe)"
check "no_new_privs: CPL 3" 3 "$(cpl_of /bin/kt-runas -u $U -n /trusted/kt-probe)"
check "no_new_privs as root: CPL 3" 3 "$(cpl_of /bin/kt-runas -n /trusted/kt-probe)"

# --- execve racing with policy changes -------------------------------
# Between root and off, user 1000 must never get CPL 0; between all and
# off, CPL and KernelMode must agree on every exec.  The toggler runs
# until the execs are done, counting its rounds (/tmp/tog.$$): it must
# have switched during them, and between all and off the execs must have
# seen both outcomes, or the race did not happen.
toggle() {	# policy-a policy-b: switch until killed, about 100 times a second
	i=0	# (each change is logged: not so often that it floods the log)
	while :; do
		echo $1 > $P; $bb usleep 5000; echo $2 > $P; $bb usleep 5000
		# a new file renamed over the count: a reader never sees it empty
		i=$((i + 1)); echo $i > /tmp/tog.$$.new; $bb mv /tmp/tog.$$.new /tmp/tog.$$
	done
}
rounds() { $bb cat /tmp/tog.$$ 2>/dev/null || echo 0; }
setpol root
echo 0 > /tmp/tog.$$
toggle off root & tog=$!
while [ "$(rounds)" -lt 2 ]; do $bb usleep 1000; done
r0=$(rounds)
bad=0 n=0
while [ $n -lt 40 ]; do
	c=$(cpl_of /bin/kt-runas -u $U /trusted/kt-probe)
	[ "$c" = 3 ] || bad=$((bad + 1))
	n=$((n + 1))
done
r1=$(rounds)
kill $tog; wait $tog 2>/dev/null
check "40 execs by user $U during root/off switching: none at CPL 0" 0 $bad
check "the policy switched during them ($((r1 - r0)) rounds)" yes "$([ $((r1 - r0)) -gt 0 ] && echo yes)"
echo 0 > /tmp/tog.$$
toggle off all & tog=$!
while [ "$(rounds)" -lt 2 ]; do $bb usleep 1000; done
r0=$(rounds)
bad=0 n=0 zero=0 three=0
while [ $n -lt 40 ] || { [ $n -lt 400 ] && { [ $zero = 0 ] || [ $three = 0 ]; }; }; do
	l=$(/bin/kt-runas -u $U /trusted/kt-secure)
	case "$(field cpl "$l") $(field km "$l")" in
	"0 1") zero=$((zero + 1)) ;;
	"3 0") three=$((three + 1)) ;;
	*) bad=$((bad + 1)) ;;
	esac
	n=$((n + 1))
done
r1=$(rounds)
kill $tog; wait $tog 2>/dev/null
rm -f /tmp/tog.$$ /tmp/tog.$$.new
check "$n execs during all/off switching ($zero at CPL 0, $three at 3): CPL agrees with KernelMode" 0 $bad
check "the race happened: both outcomes, $((r1 - r0)) policy rounds during the execs" yes \
	"$([ $zero -gt 0 ] && [ $three -gt 0 ] && [ $((r1 - r0)) -gt 0 ] && echo yes)"
setpol root
check "policy back to root" root "$($bb cat $P)"
check "no kernel warning" yes "$($bb dmesg | $bb grep -qE 'WARNING:|BUG:|Oops' || echo yes)"
exit $fail
