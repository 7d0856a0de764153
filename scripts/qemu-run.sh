#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot a kernel and the test initramfs in QEMU and save the serial log.
#
# Environment (all optional):
#   KERNEL, INITRD   images (default: the tiny build and build/initramfs)
#   CPU=max|qemu64   SMP=1|2   PTI=on|off|auto   MEM=1G
#   SUITE=test|demo|boot|shell   TIMEOUT=seconds (not for shell)
#   LOG=file         serial log (default build/logs/qemu-<suite>.log)
#   APPEND="..."     extra kernel parameters
#   ICOUNT=1         -icount shift=0: guest TSC counts instructions
#   SINGLESTEP=1     -singlestep: one instruction per translation block,
#                    so that interrupts and NMIs can land between any two
#                    instructions (TCG takes them only when a block
#                    starts); about 30 times slower
#   ACCEL=tcg|auto   auto tries KVM once and keeps it only if it boots
#   GDB=1            wait for gdb on :1234 (-s -S); use with SUITE=shell
#   QEMU_DEBUG=1     -d int,cpu_reset -D build/logs/qemu-debug.log
#   COSTS=file       load the cost plugin (tests/cost/kml-costs.c, built
#                    into build/cost by scripts/build-cost.sh): it writes
#                    its counter snapshots at every region marker to file
#                    (scripts/costs.py reads them); one TCG thread
#   COSTS_SYMS=map   with COSTS: profile by function too (the kernel's
#                    System.map; scripts/costs.py profile)
#   SERIAL2=chardev  a second serial port (the guest's ttyS1), for
#                    example tcp:127.0.0.1:PORT,server=on,wait=off
#   QUIET=1          do not echo the serial output
#   NMI_EVERY=sec    inject an NMI into every CPU this often (QEMU
#                    monitor "nmi"), from when the kernel runs /init (the
#                    serial log says so) until QEMU exits
# Exit status: QEMU's, or 124 when the time-out hit.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_cmd qemu-system-x86_64 timeout

KERNEL=${KERNEL:-$BUILD/obj-tiny/arch/x86/boot/bzImage}
INITRD=${INITRD:-$BUILD/initramfs.cpio.gz}
CPU=${CPU:-max}
SMP=${SMP:-1}
PTI=${PTI:-on}
MEM=${MEM:-1G}
SUITE=${SUITE:-test}
TIMEOUT=${TIMEOUT:-600}
LOG=${LOG:-$BUILD/logs/qemu-$SUITE.log}
ACCEL=${ACCEL:-tcg}
[ -f "$KERNEL" ] || die "no kernel at $KERNEL: run 'make kernel'"
[ -f "$INITRD" ] || die "no initramfs at $INITRD: run 'make initramfs'"
mkdir -p "$(dirname "$LOG")"

kver=
rel=$(dirname "$KERNEL")/../../../include/config/kernel.release
[ -f "$rel" ] && kver=$(cat "$rel")

append="console=ttyS0 panic=-1 pti=$PTI kmltest.suite=$SUITE kmltest.cpus=$SMP kmltest.cpu=$CPU"
[ -n "$kver" ] && append="$append kmltest.kver=$kver"
# The hung-task detector's limit (configs/kml.config), before APPEND,
# which may give another.
append="$append sysctl.kernel.hung_task_timeout_secs=60"
append="$append kmltest.trusted_cpl=$KML_EXPECT_TRUSTED_CPL ${APPEND:-}"

if [ "$ACCEL" = auto ]; then
	ACCEL=tcg
	if [ -w /dev/kvm ]; then
		# KVM counts only if it really boots this kernel to the end marker.
		if SUITE=boot ACCEL=kvm TIMEOUT=60 QUIET=1 LOG="$LOG.kvmprobe" \
		   "$0" >/dev/null 2>&1 && grep -q KMLTEST-END "$LOG.kvmprobe"; then
			ACCEL=kvm
		fi
		say "KVM probe: using $ACCEL"
	fi
fi
case $ACCEL in
tcg) accel=(-accel tcg) ;;
kvm) accel=(-accel kvm) ;;
*) die "ACCEL must be tcg, kvm or auto" ;;
esac
[ "${ICOUNT:-0}" = 1 ] && accel=(-accel tcg -icount shift=0)
# The cost plugin wants one TCG thread (-icount has only one): its
# snapshots then follow the order in which the guest ran.
[ -n "${COSTS:-}" ] && [ "${ICOUNT:-0}" != 1 ] && accel=(-accel tcg,thread=single)

args=(qemu-system-x86_64 "${accel[@]}" -cpu "$CPU" -smp "$SMP" -m "$MEM"
      -kernel "$KERNEL" -initrd "$INITRD" -append "$append"
      -nographic -no-reboot -serial mon:stdio -nodefaults -no-user-config)
[ "${GDB:-0}" = 1 ] && args+=(-s -S) && say "waiting for gdb: gdb $(dirname "$KERNEL")/../../../vmlinux -ex 'target remote :1234'"
[ -n "${SERIAL2:-}" ] && args+=(-serial "$SERIAL2")
[ "${SINGLESTEP:-0}" = 1 ] && args+=(-singlestep)
[ "${QEMU_DEBUG:-0}" = 1 ] && args+=(-d int,cpu_reset -D "$BUILD/logs/qemu-debug.log")
if [ -n "${COSTS:-}" ]; then
	[ "$ACCEL" = tcg ] || die "COSTS needs TCG"
	plugin=$BUILD/cost/kml-costs.so
	[ -f "$plugin" ] || die "no cost plugin at $plugin: run scripts/build-cost.sh"
	args+=(-plugin "$plugin,out=$COSTS${COSTS_SYMS:+,syms=$COSTS_SYMS}")
fi

ic=; [ "${ICOUNT:-0}" = 1 ] && ic=" icount"
[ "${SINGLESTEP:-0}" = 1 ] && ic="$ic singlestep"
nmi_sock=
if [ -n "${NMI_EVERY:-}" ]; then
	nmi_sock=$(mktemp -u /tmp/kml-nmi.XXXXXX)
	args+=(-monitor "unix:$nmi_sock,server,nowait")
	# shellcheck disable=SC2016
	: > "$LOG"
	python3 - "$nmi_sock" "$NMI_EVERY" "$LOG" <<'PY' > "$LOG.nmi" 2>&1 &
import os, socket, sys, time
path, every, log = sys.argv[1], float(sys.argv[2]), sys.argv[3]
# Not before the kernel is up: an NMI during decompression or early boot,
# before the IDT is set up, triple-faults the machine, and a -singlestep
# boot can take more than 20 s to get there.  Stop waiting once QEMU has
# exited (the script then creates the .gone file).
while True:
    time.sleep(0.5)
    with open(log, "rb") as f:
        if b"Run /init as init process" in f.read():
            break
    if os.path.exists(path + ".gone"):
        print("NMIs injected: 0 (the guest never ran /init)")
        sys.exit(0)
s = socket.socket(socket.AF_UNIX)
for _ in range(100):
    try:
        s.connect(path)
        break
    except OSError:
        time.sleep(0.5)
n = 0
try:
    while True:
        s.sendall(b"nmi\n")
        n += 1
        time.sleep(every)
except OSError:
    pass
print("NMIs injected:", n)
PY
fi

say "booting: cpu=$CPU smp=$SMP pti=$PTI accel=$ACCEL$ic suite=$SUITE, log $LOG"
if [ "$SUITE" = shell ]; then
	exec "${args[@]}"
fi
set +e
if [ "${QUIET:-0}" = 1 ]; then
	timeout -k 10 "$TIMEOUT" "${args[@]}" < /dev/null > "$LOG" 2>&1
	rc=$?
else
	timeout -k 10 "$TIMEOUT" "${args[@]}" < /dev/null 2>&1 | tee "$LOG"
	rc=${PIPESTATUS[0]}
fi
set -e
if [ -n "$nmi_sock" ]; then
	: > "$nmi_sock.gone"
	wait
	rm -f "$nmi_sock" "$nmi_sock.gone"
fi
if [ $rc = 124 ] || [ $rc = 137 ]; then
	say "the guest did not finish within ${TIMEOUT}s; last lines of $LOG:"
	tail -15 "$LOG" | sed 's/^/    /' >&2
	exit 124
fi
exit $rc
