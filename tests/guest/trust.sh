# SPDX-License-Identifier: GPL-2.0
# Who gets kernel mode, run by $1/busybox sh: trust.sh DIR TRUSTED_CPL
# Each case execs kt-probe, which exits with its CPL.
. /tests/kt-mode.sh
dir=$1 tcpl=$2 bb=$1/busybox
fail=0
cpl_of() { "$@"; echo $?; }
check() {	# description expected actual
	if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: CPL $3, want $2"; fail=1; fi
}
check "/trusted/kt-probe" "$tcpl" "$(cpl_of /trusted/kt-probe)"
check "/bin/kt-probe" 3 "$(cpl_of /bin/kt-probe)"
$bb cp /trusted/kt-probe /tmp/kt-probe
check "a copy in /tmp" 3 "$(cpl_of /tmp/kt-probe)"
$bb ln -s /trusted/kt-probe /tmp/kt-link
check "a symlink from /tmp to /trusted (the mapped file is trusted)" "$tcpl" "$(cpl_of /tmp/kt-link)"
$bb mkdir -p /opt
$bb ln /trusted/kt-probe /opt/kt-hard
check "a hard link outside /trusted" 3 "$(cpl_of /opt/kt-hard)"
$bb cp /trusted/kt-probe /trusted/kt-gw
$bb chmod 0775 /trusted/kt-gw
check "a group-writable file in /trusted" 3 "$(cpl_of /trusted/kt-gw)"
$bb chmod 0757 /trusted/kt-gw
check "an other-writable file in /trusted" 3 "$(cpl_of /trusted/kt-gw)"
$bb chmod 0755 /trusted/kt-gw
$bb chown 65534 /trusted/kt-gw
check "a file not owned by root in /trusted" 3 "$(cpl_of /trusted/kt-gw)"
$bb chown 0 /trusted/kt-gw
check "the same file fixed" "$tcpl" "$(cpl_of /trusted/kt-gw)"
$bb mkdir -p /trusted/sub
$bb cp /trusted/kt-probe /trusted/sub/kt-probe
$bb chmod 0777 /trusted/sub
check "a file in a world-writable directory under /trusted" 3 "$(cpl_of /trusted/sub/kt-probe)"
$bb chmod 0755 /trusted/sub
check "the same directory fixed" "$tcpl" "$(cpl_of /trusted/sub/kt-probe)"
$bb chmod 0775 /trusted
check "a group-writable /trusted" 3 "$(cpl_of /trusted/kt-probe)"
$bb chmod 0755 /trusted
# Scripts: kernel mode iff the script and its interpreter both qualify.
# Each script reads its interpreter's status with a builtin, so that no
# other program is executed.
body='while read -r k v; do [ "$k" = KernelMode: ] && echo "$k $v"; done < /proc/$$/status'
script() {	# file interpreter mode
	printf '#!%s sh\n%s\n' "$2" "$body" > "$1"
	$bb chmod "$3" "$1"
}
if [ "$tcpl" = 0 ]; then km=1; else km=0; fi
script /trusted/kt-script /trusted/busybox 0755
check "a #! script in /trusted with a trusted interpreter" "KernelMode: $km" "$(/trusted/kt-script)"
script /trusted/kt-script-bin /bin/busybox 0755
check "a #! script in /trusted with an interpreter outside" "KernelMode: 0" "$(/trusted/kt-script-bin)"
script /tmp/kt-script /trusted/busybox 0755
check "a #! script outside /trusted with a trusted interpreter" "KernelMode: 0" "$(/tmp/kt-script)"
script /trusted/kt-script-gw /trusted/busybox 0775
check "a group-writable #! script in /trusted" "KernelMode: 0" "$(/trusted/kt-script-gw)"
check "exec from a trusted shell to a normal program" 3 "$(cpl_of /trusted/busybox sh -c /bin/kt-probe)"
check "exec from a normal shell to a trusted program" "$tcpl" "$(cpl_of /bin/busybox sh -c /trusted/kt-probe)"
if [ "$tcpl" = 0 ]; then
	check "refusals are logged" yes "$($bb dmesg | $bb grep -q 'kt-gw runs in user mode' && echo yes)"
fi
$bb rm -rf /tmp/kt-probe /tmp/kt-link /opt/kt-hard /trusted/kt-gw /trusted/sub /trusted/kt-script \
	/trusted/kt-script-bin /tmp/kt-script /trusted/kt-script-gw
exit $fail
