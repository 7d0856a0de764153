#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# "make deb-image": install the KML kernel package (make deb, the tiny
# config) into a Debian 12 system with dpkg, and boot the kernel that
# dpkg installed, with that system as its root (an initramfs), in QEMU:
# Debian's own programs and a few of the guest tests, from /bin and
# /trusted (suite "debian", tests/guest/debian.sh).  Not in CI: the
# minimal Debian system comes from the Debian mirror (mmdebstrap
# --variant=minbase, about 40 MB, once; build/deb/debian-minbase/).
#
#   DEB_DIR=dir   the packages to install (default: make deb's, built now)
#
# Prints the serial log's path last; fails unless the boot passed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_pkgs "a Debian image (scripts/deb-image.sh)" mmdebstrap
need_cmd chroot cpio gzip qemu-system-x86_64

dir=${DEB_DIR:-$(KCONFIG=tiny DEB_BOOT=0 bash "$KML_TOP/scripts/build-deb.sh" | tail -1)}
deb=$(ls "$dir"/linux-image-*.deb 2>/dev/null | grep -v -- -dbg_ | head -1 || true)
[ -f "$deb" ] || die "no linux-image package in $dir (make deb)"
pkg=$(dpkg-deb -f "$deb" Package)
rel=${pkg#linux-image-}
say "package: $(basename "$deb") ($pkg $(dpkg-deb -f "$deb" Version))"

base=$BUILD/deb/debian-minbase
if [ ! -d "$base" ]; then
	step "a minimal Debian 12 system (mmdebstrap, once): $base"
	rm -rf "$base.tmp"
	mmdebstrap --quiet --variant=minbase bookworm "$base.tmp" ||
		die "mmdebstrap failed (it needs the Debian mirror)"
	mv "$base.tmp" "$base"
fi

root=$BUILD/deb/debian-root
log=$BUILD/logs/deb-image-install.log
step "installing $(basename "$deb") into it with dpkg (log: $log)"
rm -rf "$root"
cp -a "$base" "$root"
cp "$deb" "$root/tmp/"
chroot "$root" dpkg -i "/tmp/$(basename "$deb")" > "$log" 2>&1 ||
	{ tail -20 "$log" >&2; die "dpkg -i failed in the image"; }
rm -f "$root/tmp/$(basename "$deb")"
st=$(chroot "$root" dpkg-query -W -f='${db:Status-Abbrev}' "$pkg")
[ "$st" = "ii " ] || die "dpkg says $pkg is '$st', not installed"
vmlinuz=$root/boot/vmlinuz-$rel
[ -s "$vmlinuz" ] || die "dpkg installed no /boot/vmlinuz-$rel"
say "installed: $pkg ($st), /boot/vmlinuz-$rel"

# The guest tests, from the test image: /init, /tests, /trusted, and
# the programs of /bin (in /usr/bin: Debian's /bin is a link to it).
# Copies of Debian's own bash, ls, sort and dpkg-query as /bin/deb and
# /trusted/deb (tests/guest/debian.sh).
src=$BUILD/initramfs-root
bash "$KML_TOP/scripts/mkinitramfs.sh" > /dev/null
install -m 0755 "$src/init" "$root/init"
cp -a "$src/tests" "$src/trusted" "$root/"
cp -a "$src/bin/busybox" "$src"/bin/kt-* "$root/usr/bin/"
for t in reboot poweroff; do
	[ -e "$root/usr/sbin/$t" ] || ln -s /usr/bin/busybox "$root/usr/sbin/$t"
done
mkdir -p "$root/usr/bin/deb" "$root/trusted/deb"
for p in bash ls sort dpkg-query; do
	install -m 0755 "$root/usr/bin/$p" "$root/usr/bin/deb/$p"
	install -m 0755 "$root/usr/bin/$p" "$root/trusted/deb/$p"
done
img=$BUILD/deb/debian.cpio.gz
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$img"
unpacked=$(gzip -dc "$img" | wc -c)
mem=$(( 1024 + 2 * unpacked / 1048576 ))M
say "image: $img ($(du -h "$img" | cut -f1), $((unpacked / 1048576)) MiB unpacked; guest memory $mem)"

blog=$BUILD/logs/deb-image-boot.log
step "booting the installed kernel with the Debian system (suite debian)"
bash "$KML_TOP/tests/harness/plan.sh" debian "" > "$blog.plan" || die "no plan for the boot"
rc=0
KERNEL=$vmlinuz INITRD=$img MEM=$mem CPU=max PTI=on SMP=2 SUITE=debian QUIET=1 LOG=$blog \
	TIMEOUT=600 bash "$KML_TOP/scripts/qemu-run.sh" || rc=$?
KML_SYSTEM_MAP=$BUILD/obj-tiny/System.map bash "$KML_TOP/tests/harness/check-log.sh" "$blog" \
	deb-image "$rc" --plan "$blog.plan" || die "the Debian image's boot did not pass (log: $blog)"
echo "$blog"
