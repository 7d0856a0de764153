# SPDX-License-Identifier: GPL-2.0
# Booted with "kml_trusted_dir=relative/dir kml_trusted_dir=/opt/kml":
# the first value is refused with a warning, the second is the trusted
# directory.  Run by /bin/busybox sh: trusteddir.sh TRUSTED_CPL.
. /tests/kt-mode.sh
tcpl=$1 bb=/bin/busybox
fail=0
check() {	# description expected actual
	if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1: got '$3', want '$2'"; fail=1; fi
}
cpl_of() { "$@" >/dev/null 2>&1; echo $?; }
check "kernel.kml.trusted_dir" /opt/kml "$($bb cat /proc/sys/kernel/kml/trusted_dir)"
check "the relative value was refused" yes \
	"$($bb dmesg | $bb grep -q 'kml_trusted_dir=relative/dir ignored' && echo yes)"
check "the boot message names it" yes \
	"$($bb dmesg | $bb grep -q 'programs under /opt/kml/ run at CPL 0' && echo yes)"
$bb mkdir -p /opt/kml /opt/kmlx
$bb chmod 0755 /opt /opt/kml /opt/kmlx
$bb cp /bin/kt-probe /opt/kml/kt-probe
$bb cp /bin/kt-probe /opt/kmlx/kt-probe
check "/opt/kml/kt-probe runs at CPL $tcpl" "$tcpl" "$(cpl_of /opt/kml/kt-probe)"
check "/trusted/kt-probe no longer qualifies" 3 "$(cpl_of /trusted/kt-probe)"
check "/opt/kmlx (same prefix) does not qualify" 3 "$(cpl_of /opt/kmlx/kt-probe)"
$bb chmod 0775 /opt
check "a group-writable /opt above it disqualifies it" 3 "$(cpl_of /opt/kml/kt-probe)"
$bb chmod 0755 /opt
$bb rm -rf /opt/kml /opt/kmlx
exit $fail
