#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# "make deb": Debian packages of the KML kernel, made by the kernel's own
# bindeb-pkg, into build/deb/<config>/.
#
#   KCONFIG=tiny (default)   the test kernel's config (QEMU: virtio, serial)
#   KCONFIG=debian-cloud     Debian's cloud-amd64 config plus KML: the one
#                            to install on a machine (37 minutes cold on 2
#                            cores)
#   DEB_BOOT=1 (default)     then check the package: dpkg -I reads it, its
#                            kernel is the one built, and the kernel taken
#                            out of the package (dpkg -x) boots in QEMU and
#                            runs a program from /trusted at CPL 0
#
# Prints the package directory last.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
KCONFIG=${KCONFIG:-tiny}
export KCONFIG
need_pkgs "make deb (bindeb-pkg)" dpkg-dev fakeroot debhelper kmod

bzimage=$(bash "$KML_TOP/scripts/build-kernel.sh" | tail -1)
OBJ=$BUILD/obj-$KCONFIG
release=$(cat "$OBJ/include/config/kernel.release")
# Our package version: the kernel's, then kml and the series' commit.
rev=$(git -C "$KML_TOP" rev-parse --short=8 HEAD 2>/dev/null || echo 0)
pkgver="$release-kml+g$rev"
out=$BUILD/deb/$KCONFIG
log=$BUILD/logs/deb-$KCONFIG.log
step "bindeb-pkg ($KCONFIG, version $pkgver), log: $log"
# bindeb-pkg writes its packages next to the object tree.
rm -f "$BUILD"/linux-*.deb "$BUILD"/linux-*.buildinfo "$BUILD"/linux-*.changes
make -C "$SRC" O="$OBJ" CC="ccache gcc" HOSTCC="ccache gcc" -j"$(( $(nproc) + 1 ))" \
	KDEB_PKGVERSION="$pkgver" KDEB_COMPRESS=xz bindeb-pkg > "$log" 2>&1 ||
	{ tail -20 "$log" >&2; die "bindeb-pkg failed (see $log)"; }
rm -rf "$out"
mkdir -p "$out"
mv "$BUILD"/linux-*.deb "$out/"
rm -f "$BUILD"/linux-*.buildinfo "$BUILD"/linux-*.changes
image=$(ls "$out"/linux-image-*.deb | grep -v -- -dbg_ | head -1)
[ -f "$image" ] || die "bindeb-pkg made no linux-image package (see $log)"
for d in "$out"/*.deb; do
	dpkg-deb -I "$d" > /dev/null || die "dpkg-deb cannot read $d"
	say "$(basename "$d"): $(dpkg-deb -f "$d" Package Version | tr '\n' ' ')($(du -h "$d" | cut -f1))"
done

if [ "${DEB_BOOT:-1}" != 0 ]; then
	x=$BUILD/deb/extract-$KCONFIG
	rm -rf "$x"
	dpkg-deb -x "$image" "$x"
	vmlinuz=$x/boot/vmlinuz-$release
	[ -f "$vmlinuz" ] || die "$image has no boot/vmlinuz-$release"
	cmp -s "$vmlinuz" "$bzimage" || die "the packaged kernel is not the one built ($bzimage)"
	[ -f "$x/boot/config-$release" ] && grep -q '^CONFIG_KERNEL_MODE_LINUX=y' "$x/boot/config-$release" ||
		die "the package's config has no CONFIG_KERNEL_MODE_LINUX=y"
	if [ "$KCONFIG" = tiny ]; then
		step "booting the packaged kernel with the test image (cpl, signals)"
		INITRD=$(bash "$KML_TOP/scripts/mkinitramfs.sh" | tail -1)
		blog=$BUILD/logs/deb-boot-$KCONFIG.log
		app="kmltest.only=cpl,signals"
		bash "$KML_TOP/tests/harness/plan.sh" test "$app" > "$blog.plan" ||
			die "no plan for the boot"
		rc=0
		KERNEL=$vmlinuz INITRD=$INITRD CPU=max PTI=on SMP=1 SUITE=test QUIET=1 LOG=$blog \
			TIMEOUT=300 APPEND="$app" bash "$KML_TOP/scripts/qemu-run.sh" || rc=$?
		KML_SYSTEM_MAP=$OBJ/System.map bash "$KML_TOP/tests/harness/check-log.sh" "$blog" \
			deb-boot "$rc" --plan "$blog.plan" ||
			die "the packaged kernel's boot did not pass (log: $blog)"
	else
		say "not booted: the $KCONFIG kernel is for a machine (install it with dpkg -i)"
	fi
fi
say "packages in $out"
echo "$out"
