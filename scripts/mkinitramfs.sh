#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the guest test programs and the initramfs.  Prints the path of the
# initramfs on the last line of stdout.
#
# Layout of the image:
#   /init, /tests/*.sh        runner scripts (tests/guest/)
#   /bin/busybox + applets    busybox-static
#   /bin/kt-*                 test programs, static and dynamic
#   /trusted/                 the same programs and busybox, root-owned 0755
#   /lib/x86_64-linux-gnu, /lib64   the glibc runtime of this machine
#   /bin/kbench*, /tests/bench.sh   the benchmarks of "make bench"
#
# Environment: LMBENCH=dir (lmbench's bin directory) adds it as
# /opt/lmbench and /trusted/lmbench; the image is then
# build/initramfs-lmbench.cpio.gz, so the test image stays as it is.
# SQL=dir (a MariaDB data directory, scripts/build-sql.sh) adds Debian's
# mariadbd and sysbench in /bin and /trusted and the data as
# /opt/sql/data: build/initramfs[-lmbench]-sql.cpio.gz.
# LTP=dir (an installed LTP, e.g. /opt/ltp) with LTP_TESTS=file (runtest
# format) adds the listed tests' binaries and LTP's helpers as
# /opt/ltp/testcases/bin and /trusted/ltp/testcases/bin:
# build/initramfs-ltp.cpio.gz.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_cmd gcc cpio gzip ldd
BB=/bin/busybox
[ -x "$BB" ] && file_is_static=$(ldd "$BB" 2>&1 | grep -c 'not a dynamic' || true)
[ "${file_is_static:-0}" = 1 ] || die "/bin/busybox is not busybox-static: run 'make deps'"

G=$KML_TOP/tests/guest
OUT=$BUILD/guest
variant=
[ -n "${LMBENCH:-}" ] && variant=-lmbench
[ -n "${LTP:-}" ] && variant=-ltp
[ -n "${SQL:-}" ] && variant=$variant-sql
[ -n "${LMBENCH:-}" ] && [ -n "${LTP:-}" ] && die "LMBENCH and LTP make different images: one at a time"
[ -n "${SQL:-}" ] && [ -n "${LTP:-}" ] && die "SQL and LTP make different images: one at a time"
ROOT=$BUILD/initramfs-root$variant
IMG=$BUILD/initramfs$variant.cpio.gz
mkdir -p "$OUT"

CFLAGS="-O2 -g -Wall -Wextra -Wno-unused-parameter -Werror -I$G"
build() {	# output source flags...
	local out=$1 src=$2
	shift 2
	local dep stale=
	[ -e "$OUT/$out" ] || stale=1
	for dep in "$G/$src" "$G/kt.h" "$G/kt-regs.h" ${LK:+"$LK/libkml.a" "$LK/libkml-rewrite.a" "$LK/libkml-rewrite-cached.a"}; do
		[ "$dep" -nt "$OUT/$out" ] && stale=1
	done
	if [ -n "$stale" ]; then
		# shellcheck disable=SC2086
		gcc $CFLAGS -o "$OUT/$out" "$G/$src" "$@" ||
			die "compiling ${G#"$KML_TOP"/}/$src failed"
		say "built $out"
	fi
}
for t in cpl signals forkexec pipe fpu memory null softint hwbp redzone badstack escalate ptrace probe regs runas peek gs; do
	build "kt-$t" "$t.c" -static
done
build kt-secure secure.c
# The gdb test's program: -O0, so that lines and variables are where the
# source says (tests/guest/gdb.sh).
build kt-gdb gdb.c -static -O0

# libkml (the direct-call shim) and the test programs that use it:
#   kt-direct        libkml's kml_syscall*() (also a test of its own)
#   kt-<test>.shim   static, libkml-rewrite.a linked in: the whole program,
#                    glibc included, makes direct calls
#   kt-<test>.rw     dynamic, rewritten by libkml-rewrite.so when
#                    /etc/ld.so.preload lists it (suite.sh does that)
LK=$BUILD/libkml
mkdir -p "$LK"
make -s -C "$KML_TOP/libkml" O="$LK" || die "building libkml failed"
SHIM_TESTS="cpl signals forkexec pipe fpu memory null redzone badstack escalate ptrace regs gs hello direct"
build kt-direct direct.c -static -I"$KML_TOP/libkml" "$LK/libkml.a"
build kt-demo demo.c -static -I"$KML_TOP/libkml" -I"$KML_TOP/tests/cost" "$LK/libkml.a"
build kt-spread spread.c -static -I"$KML_TOP/libkml" "$LK/libkml.a"
build kt-migrate migrate.c -static -I"$KML_TOP/libkml" "$LK/libkml.a"
build kt-nullcall nullcall.c -static -I"$KML_TOP/libkml" "$LK/libkml.a"
build kt-ptstop ptstop.c -static -I"$KML_TOP/libkml" "$LK/libkml.a"
build kt-ptprologue ptprologue.c -static -I"$KML_TOP/libkml" "$LK/libkml.a"
build kt-costs costs.c -static -I"$KML_TOP/libkml" -I"$KML_TOP/tests/cost" "$LK/libkml.a"
for t in $SHIM_TESTS threads; do
	extra= dyn=
	[ $t = threads ] && extra=-pthread
	[ $t = hello ] && dyn=-DKT_DYNAMIC
	# shellcheck disable=SC2086
	build "kt-$t.shim" "$t.c" -static $extra -I"$KML_TOP/libkml" -Wl,--eh-frame-hdr -Wl,--whole-archive \
		"$LK/libkml-rewrite.a" "$LK/libkml.a" -Wl,--no-whole-archive -lcapstone
	# shellcheck disable=SC2086
	build "kt-$t.rw" "$t.c" $extra $dyn -I"$KML_TOP/libkml" "$LK/libkml.a"
done
# No build ID: not in the site cache, so the rewriter searches it when
# it is dlopen()ed (tests/guest/rewritten.c).
build libkt-dl.so dl.c -shared -fPIC -Wl,--build-id=none
# A real program built statically against the shim: the kernel's own
# usr/gen_init_cpio, plain and with libkml-rewrite.a (tests/guest/realprog.sh).
gic=$SRC/usr/gen_init_cpio.c
if [ -f "$gic" ]; then
	for v in "" .shim; do
		if [ ! -e "$OUT/gen_init_cpio$v" ] || [ "$gic" -nt "$OUT/gen_init_cpio$v" ] ||
		   [ "$LK/libkml-rewrite.a" -nt "$OUT/gen_init_cpio$v" ]; then
			if [ -z "$v" ]; then
				gcc -O2 -static -o "$OUT/gen_init_cpio" "$gic"
			else
				gcc -O2 -static -o "$OUT/gen_init_cpio.shim" "$gic" -Wl,--eh-frame-hdr -Wl,--whole-archive \
					"$LK/libkml-rewrite.a" "$LK/libkml.a" -Wl,--no-whole-archive -lcapstone
			fi || die "building gen_init_cpio$v failed"
			say "built gen_init_cpio$v"
		fi
	done
else
	say "no kernel tree yet: the image has no gen_init_cpio"
fi
build kt-rewritten rewritten.c -ldl -rdynamic
build libkt-preload.so preload.c -shared -fPIC
build kt-hello-static hello.c -static
build kt-hello-dynamic hello.c -DKT_DYNAMIC
build kt-threads threads.c -pthread
build kt-images images.c
# The benchmarks (tests/bench): kbench plain and through the shim, and
# the program its fork_exec runs; build() with tests/bench as source dir.
# kbench.shim is in the site cache, with a patched copy: it links the
# rewriter without the decoder (libkml-rewrite-cached.a), so that it
# carries none of Capstone's data; the tests' .shim programs keep it.
B=$KML_TOP/tests/bench
G=$B build kbench kbench.c -static -I"$KML_TOP/tests/cost"
G=$B build kbench.shim kbench.c -static -I"$KML_TOP/tests/cost" -Wl,--eh-frame-hdr -Wl,--whole-archive "$LK/libkml-rewrite-cached.a" "$LK/libkml.a" \
	-Wl,--no-whole-archive
G=$B build kb-nop nop.c -static
G=$B build kb-nop-dyn nop.c
G=$B build kb-mark mark.c -static -I"$KML_TOP/tests/cost"

rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,tests,trusted,lib64}
cp "$BB" "$ROOT/bin/busybox"
"$BB" --list-full | while read -r applet; do
	[ -e "$ROOT/$applet" ] || ln -s /bin/busybox "$ROOT/$applet"
done
cp "$OUT"/kt-* "$ROOT/bin/"
mkdir -p "$ROOT/lib"
cp "$OUT/libkt-preload.so" "$OUT/libkt-dl.so" "$LK/libkml-rewrite.so" "$LK/libkml.so" "$ROOT/lib/"
cp "$OUT"/kt-* "$BB" "$ROOT/trusted/"
for f in "$OUT"/gen_init_cpio* "$OUT"/kbench* "$OUT"/kb-*; do
	[ -e "$f" ] && cp "$f" "$ROOT/bin/" && cp "$f" "$ROOT/trusted/"
done
install -m 0755 "$G/init" "$ROOT/init"
for f in suite.sh kt-mode.sh boot.sh busybox.sh demo.sh trust.sh policy.sh trusteddir.sh strace.sh coredump.sh gdb.sh debian.sh stress.sh realprog.sh overflow.sh nullcall.sh kbench.sh; do
	install -m 0755 "$G/$f" "$ROOT/tests/$f"
done
install -m 0755 "$B/bench.sh" "$ROOT/tests/bench.sh"
for f in xfail.list skip.list; do
	[ -f "$G/$f" ] && install -m 0644 "$G/$f" "$ROOT/tests/$f"
done

# The kernel's own x86 selftests, in both places (needs a built kernel).
if [ -f "$BUILD/obj-tiny/.config" ]; then
	bash "$KML_TOP/scripts/build-x86-selftests.sh"
	mkdir -p "$ROOT/bin/x86" "$ROOT/trusted/x86"
	while read -r t; do
		[ -x "$BUILD/x86-selftests/$t" ] || continue	# not built: skip.list says why
		install -m 0755 "$BUILD/x86-selftests/$t" "$ROOT/bin/x86/$t"
		install -m 0755 "$BUILD/x86-selftests/$t" "$ROOT/trusted/x86/$t"
	done < "$BUILD/x86-selftests/list"
	# The mode probes of each x86 run (suite.sh run_x86).
	install -m 0755 "$OUT/kt-cpl" "$ROOT/bin/x86/kt-cpl"
	install -m 0755 "$OUT/kt-cpl" "$ROOT/trusted/x86/kt-cpl"
	install -m 0755 "$OUT/kt-cpl.rw" "$ROOT/trusted/x86/kt-cpl.rw"
	cp "$BUILD/x86-selftests/list" "$ROOT/tests/x86.list"
else
	say "no kernel built yet: the image has no x86 selftests"
fi

# redis-server and redis-benchmark from Debian, when installed (for
# scripts/bench-redis.sh; not needed by the tests): in /bin and /trusted.
redis_libs=
if [ -x /usr/bin/redis-server ] && [ -x /usr/bin/redis-benchmark ]; then
	for d in bin trusted; do
		cp -L /usr/bin/redis-server "$ROOT/$d/redis-server"
		cp -L /usr/bin/redis-benchmark "$ROOT/$d/redis-benchmark"
		chmod 0755 "$ROOT/$d/redis-server" "$ROOT/$d/redis-benchmark"
	done
	redis_libs=$( (ldd /usr/bin/redis-server; ldd /usr/bin/redis-benchmark) |
		awk '/=>/ {print $3}')
fi

# lmbench, bring-your-own (make bench LMBENCH=dir): its bin directory.
lm_libs=
if [ -n "${LMBENCH:-}" ]; then
	[ -x "$LMBENCH/lat_syscall" ] || die "LMBENCH=$LMBENCH: no lat_syscall there (give lmbench's bin directory)"
	mkdir -p "$ROOT/opt/lmbench" "$ROOT/trusted/lmbench"
	cp -L "$LMBENCH"/* "$ROOT/opt/lmbench/"
	cp -L "$LMBENCH"/* "$ROOT/trusted/lmbench/"
	chmod -R go-w "$ROOT/opt/lmbench" "$ROOT/trusted/lmbench"
	lm_libs=$(for f in "$LMBENCH"/*; do ldd "$f" 2>/dev/null || true; done |
		awk '/=>/ {print $3}')
	# lat_select tcp and lat_connect's server name localhost.
	printf '127.0.0.1\tlocalhost\n' > "$ROOT/etc/hosts"
fi

# gdbserver, from Debian, in ring 3, for the gdb test (tests/guest/gdb.sh).
need_cmd gdbserver
cp /usr/bin/gdbserver "$ROOT/bin/gdbserver"

# MariaDB and sysbench, from Debian (make bench; scripts/build-sql.sh):
# server and client in /bin and /trusted, their data files, and the
# database the host made.
sql_libs=
if [ -n "${SQL:-}" ]; then
	[ -d "$SQL/sbtest" ] || die "SQL=$SQL: no sbtest database there (scripts/build-sql.sh)"
	for d in bin trusted; do
		cp -L /usr/sbin/mariadbd /usr/bin/sysbench "$ROOT/$d/"
		chmod 0755 "$ROOT/$d/mariadbd" "$ROOT/$d/sysbench"
	done
	mkdir -p "$ROOT/usr/share" "$ROOT/opt/sql"
	cp -a /usr/share/mysql /usr/share/sysbench "$ROOT/usr/share/"
	cp -a "$SQL" "$ROOT/opt/sql/data"
	install -m 0644 "$KML_TOP/tests/bench/mariadb.cnf" "$ROOT/opt/sql/server.cnf"
	sql_libs=$( (ldd /usr/sbin/mariadbd; ldd /usr/bin/sysbench) | awk '/=>/ {print $3}')
fi

# glibc runtime: what the dynamic programs need, plus the usual companions
# so that other Debian programs copied into the image can run too.
# strace, from Debian, in ring 3, for tracing programs of both modes.
need_cmd strace
cp /usr/bin/strace "$ROOT/bin/strace"
libs=$( (ldd "$OUT/kt-hello-dynamic"; ldd "$OUT/kt-threads"; ldd /usr/bin/strace
	ldd /usr/bin/gdbserver
	ldd "$LK/libkml-rewrite.so"; ldd "$LK/kml-rwcache") |
	awk '/=>/ {print $3} /ld-linux/ {print $1}')
for l in libm.so.6 libresolv.so.2 libnss_files.so.2 libdl.so.2 librt.so.1 libpthread.so.0; do
	[ -e "/lib/x86_64-linux-gnu/$l" ] && libs="$libs /lib/x86_64-linux-gnu/$l"
done
# LTP, bring-your-own (make test LTP=dir LTP_TESTS=file).
ltp_libs=
if [ -n "${LTP:-}" ]; then
	[ -d "$LTP/testcases/bin" ] || die "LTP=$LTP has no testcases/bin: give an installed LTP (make install)"
	[ -f "${LTP_TESTS:-}" ] || die "LTP_TESTS=${LTP_TESTS:-} is not a file (runtest format: tag command [args])"
	mkdir -p "$ROOT/opt/ltp/testcases/bin" "$ROOT/trusted/ltp/testcases/bin"
	for d in runtest testcases/data; do
		[ -d "$LTP/$d" ] && mkdir -p "$ROOT/opt/ltp/$d" && cp -a "$LTP/$d/." "$ROOT/opt/ltp/$d/"
	done
	# the listed commands, LTP's tst_* helpers and shell libraries
	ltp_files=$( (awk '!/^[[:space:]]*(#|$)/ { print ($2 == "" ? $1 : $2) }' "$LTP_TESTS"
		cd "$LTP/testcases/bin" && ls | grep -E '^tst_|\.sh$' || true) | sort -u)
	for f in $ltp_files; do
		[ -e "$LTP/testcases/bin/$f" ] || die "LTP_TESTS names $f, which is not in $LTP/testcases/bin"
		for d in opt/ltp trusted/ltp; do
			cp -L "$LTP/testcases/bin/$f" "$ROOT/$d/testcases/bin/$f"
		done
		ltp_libs="$ltp_libs $(ldd "$LTP/testcases/bin/$f" 2>/dev/null | awk '/=>/ {print $3}' || true)"
	done
	cp "$OUT/kbench" "$ROOT/opt/ltp/kml-cpl"
	cp "$OUT/kbench" "$ROOT/trusted/ltp/kml-cpl"
	chmod -R go-w "$ROOT/opt/ltp" "$ROOT/trusted/ltp"
	grep -v '^[[:space:]]*#' "$LTP_TESTS" > "$ROOT/tests/ltp.list"
	install -m 0755 "$G/ltp.sh" "$ROOT/tests/ltp.sh"
fi

for l in $(printf '%s\n' $libs $redis_libs $lm_libs $ltp_libs $sql_libs | sort -u); do
	mkdir -p "$ROOT$(dirname "$l")"
	cp -L "$l" "$ROOT$l"
done
ld=$(ls "$ROOT"/lib64/ld-linux-x86-64.so.2 2>/dev/null || true)
if [ -z "$ld" ]; then
	mkdir -p "$ROOT/lib/x86_64-linux-gnu"
	cp -L /lib64/ld-linux-x86-64.so.2 "$ROOT/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
	ln -sf /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$ROOT/lib64/ld-linux-x86-64.so.2"
fi

# The rewriter's site cache (libkml/rwcache.c) for every ELF object of the
# image, and the tool, for programs added later.  Objects without a build
# ID are left out (libkt-dl.so, on purpose); the rewriter searches them.
# The shared libraries and the benchmark's programs also get patched
# copies (-I, first: an object's first mention decides), which the
# rewriter maps instead of patching their text in place; the guest tests'
# own programs are patched in place, so both ways stay tested.
cp "$LK/kml-rwcache" "$ROOT/bin/kml-rwcache"
mapfile -t elfs < <(cd "$ROOT" && elf_files .)
rwc_args=()
for f in "${elfs[@]}"; do
	case $f in
	*.so | *.so.* | */kbench.shim | */kb-nop-dyn) rwc_args+=(-I "$f") ;;
	esac
done
for f in "${elfs[@]}"; do
	case $f in
	*.so | *.so.* | */kbench.shim | */kb-nop-dyn) ;;
	*) rwc_args+=("$f") ;;
	esac
done
(cd "$ROOT" && "$LK/kml-rwcache" etc/kml-rewrite.cache "${rwc_args[@]}") 2>&1 | sed 's/^kml-rwcache: /[kml] rwcache: /' >&2 ||
	die "kml-rwcache failed"
[ -s "$ROOT/etc/kml-rewrite.cache" ] || die "kml-rwcache wrote no etc/kml-rewrite.cache"
[ -d "$ROOT/etc/kml-rewrite.cache.d" ] || die "kml-rwcache wrote no patched copies"
# The same copies for the kernel to map (kernel/kml/core.c, "Patched
# copies"), one "ORIGINAL COPY" line each, which the init registers in
# /sys/kernel/kml/images at boot.
for f in "${elfs[@]}"; do
	case $f in
	*.so | *.so.* | */kbench.shim | */kb-nop-dyn) ;;
	*) continue ;;
	esac
	id=$(readelf -n "$ROOT/$f" 2>/dev/null | sed -n 's/^ *Build ID: *\([0-9a-f]*\)$/\1/p' | head -1)
	if [ -n "$id" ] && [ -f "$ROOT/etc/kml-rewrite.cache.d/$id" ]; then
		printf '%s /etc/kml-rewrite.cache.d/%s\n' "${f#.}" "$id"
	fi
done > "$ROOT/etc/kml-images"
grep -q libc.so "$ROOT/etc/kml-images" || die "no patched copy of libc in etc/kml-images"

cat > "$ROOT/etc/passwd" <<PW
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/sh
PW
cat > "$ROOT/etc/group" <<GR
root:x:0:
nogroup:x:65534:
GR

# Ownership and modes: root-owned, not writable by group or others.
chmod 0755 "$ROOT" "$ROOT/trusted" "$ROOT"/trusted/kt-* "$ROOT"/bin/kt-* "$ROOT"/trusted/gen_init_cpio* "$ROOT"/bin/gen_init_cpio* \
	"$ROOT"/trusted/kb* "$ROOT"/bin/kb*
chmod 1777 "$ROOT/tmp"
(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$IMG.tmp"
mv "$IMG.tmp" "$IMG"
say "initramfs: $IMG ($(du -h "$IMG" | cut -f1))"
echo "$IMG"
