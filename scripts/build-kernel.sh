#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prepare the tree, configure and build bzImage.  The path of bzImage is
# printed on the last line of stdout; everything else goes to stderr.
#
# Environment:
#   KCONFIG=tiny (default)  tinyconfig + configs/kml.config
#   KCONFIG=debian-cloud    Debian's cloud-amd64 config + configs/kml.config
#   KCONFIG=stock           tinyconfig + configs/kml.config, no KML series
#   DEBUG=1                 add configs/debug.config (lockdep, DEBUG_ENTRY, KASAN)
#   CONFIG_ONLY=1           stop after configuring
set -euo pipefail
KCONFIG=${KCONFIG:-tiny}
flavor=$KCONFIG${DEBUG:+-debug}
[ "${DEBUG:-0}" = 0 ] && flavor=$KCONFIG
export KCONFIG
. "$(dirname "$0")/lib.sh"
OBJ=$BUILD/obj-$flavor
need_cmd gcc make flex bison bc ccache perl

bash "$KML_TOP/scripts/prepare-tree.sh" >&2
tree=$SRC
# The same configuration without the series: the pristine tree.
[ "$KCONFIG" = stock ] && tree=$PRISTINE

frags=("$KML_TOP/configs/kml.config")
[ "${DEBUG:-0}" != 0 ] && frags+=("$KML_TOP/configs/debug.config")

mk() { make -C "$tree" O="$OBJ" CC="ccache gcc" HOSTCC="ccache gcc" "$@"; }

# Reconfigure only when an input changed, so .config keeps its mtime.
cfg_id=$( (cat "${frags[@]}"; echo "$KCONFIG"; cat "$tree/.kml/applied/order" 2>/dev/null;
	   md5sum "$KML_TOP/Kconfig.kml") | md5sum | cut -d' ' -f1)
mkdir -p "$OBJ" "$BUILD/logs"
if [ "$(cat "$OBJ/.kml-config-id" 2>/dev/null)" != "$cfg_id" ] || [ ! -f "$OBJ/.config" ]; then
	step "configuring ($flavor) in $OBJ"
	case $KCONFIG in
	tiny|stock)
		mk -s tinyconfig >&2
		;;
	debian-cloud)
		dcfg=/usr/src/linux-config-6.12/config.amd64_none_cloud-amd64.xz
		if [ ! -f "$dcfg" ]; then
			# The mirror keeps old linux-source versions longer than
			# old linux-config ones: take the nearest config then
			# (olddefconfig below settles the few symbols that differ).
			cver=$KERNEL_DEB_VERSION
			if ! apt-cache madison linux-config-6.12 | grep -qF "| $cver |"; then
				cver=$(apt-cache madison linux-config-6.12 | awk -F' *[|] *' 'NR == 1 { print $2 }')
				[ -n "$cver" ] || die "no linux-config-6.12 in the apt sources"
				say "WARNING: linux-config-6.12=$KERNEL_DEB_VERSION is no longer in the mirror: using $cver's config"
			fi
			say "installing Debian's kernel configs (linux-config-6.12=$cver)"
			# Name the installed source too, or apt upgrades it to
			# the config's version.
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
				"linux-config-6.12=$cver" \
				"linux-source-6.12=$(dpkg-query -W -f='${Version}' linux-source-6.12)" >&2 ||
				die "apt-get install linux-config-6.12 failed"
		fi
		[ -f "$dcfg" ] || die "$dcfg missing after installing linux-config-6.12"
		xz -dc "$dcfg" > "$OBJ/.config"
		# Debian signs with its own keys, which are not in the source package.
		"$tree/scripts/config" --file "$OBJ/.config" \
			--set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
			--disable MODULE_SIG_ALL --disable DEBUG_INFO_BTF
		;;
	*) die "unknown KCONFIG=$KCONFIG (tiny, debian-cloud or stock)" ;;
	esac
	frag_list=("${frags[@]}")
	if [ "$KCONFIG" = stock ]; then
		# no KML option in a stock tree (KERNEL_MODE_LINUX, KML_DEBUG_*)
		grep -v -e KERNEL_MODE_LINUX -e CONFIG_KML_ "${frags[@]}" > "$OBJ/.stock.config"
		frag_list=("$OBJ/.stock.config")
	elif [ "$KCONFIG" = debian-cloud ]; then
		# the distribution config decides everything but KML
		echo CONFIG_KERNEL_MODE_LINUX=y > "$OBJ/.cloud.config"
		frag_list=("$OBJ/.cloud.config")
	fi
	(cd "$OBJ" && "$tree/scripts/kconfig/merge_config.sh" -m -O "$OBJ" .config "${frag_list[@]}") \
		> "$BUILD/logs/config-$flavor.log" 2>&1 || {
		tail -20 "$BUILD/logs/config-$flavor.log" >&2; die "merge_config failed"; }
	mk -s olddefconfig >&2
	# Every requested =y/=number must have survived olddefconfig.
	bad=
	for f in "${frag_list[@]}"; do
		while IFS= read -r l; do
			case $l in CONFIG_*=*) grep -qxF "$l" "$OBJ/.config" || bad="$bad ${l%%=*}";; esac
		done < "$f"
	done
	[ -z "$bad" ] || die "these config options did not survive olddefconfig (missing dependency?):$bad"
	echo "$cfg_id" > "$OBJ/.kml-config-id"
fi

if [ "${CONFIG_ONLY:-0}" = 1 ]; then
	say "configured: $OBJ/.config"
	echo "$OBJ/.config"
	exit 0
fi

step "building bzImage ($flavor), log: $BUILD/logs/build-$flavor.log"
start=$(date +%s)
ccache -z >/dev/null 2>&1 || true
jobs=$(( $(nproc) + 1 ))
set +e
mk -j"$jobs" bzImage > "$BUILD/logs/build-$flavor.log" 2>&1 &
pid=$!
while kill -0 $pid 2>/dev/null; do
	sleep 30
	kill -0 $pid 2>/dev/null &&
		say "still building: $(( $(date +%s) - start ))s, $(grep -c '^  CC' "$BUILD/logs/build-$flavor.log") files compiled"
done
wait $pid
rc=$?
set -e
if [ $rc != 0 ]; then
	grep -E 'error|Error' "$BUILD/logs/build-$flavor.log" | head -20 >&2
	tail -15 "$BUILD/logs/build-$flavor.log" >&2
	die "kernel build failed (full log: $BUILD/logs/build-$flavor.log)"
fi
say "built in $(( $(date +%s) - start ))s; $(ccache -s 2>/dev/null | grep -iE '^ *(hits|misses)' | tr -s ' ' | tr '\n' ';')"
grep -E '^(WARNING|.*warning:)' "$BUILD/logs/build-$flavor.log" | head -5 >&2 || true
echo "$OBJ/arch/x86/boot/bzImage"
