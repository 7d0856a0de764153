# SPDX-License-Identifier: GPL-2.0
# Kernel Mode Linux for Linux 6.12 x86-64.  "make help" lists the targets.

SHELL := /bin/bash
BUILD ?= $(CURDIR)/build
KCONFIG ?= tiny
DEBUG ?= 0
export BUILD KCONFIG DEBUG

KFLAVOR := $(KCONFIG)$(if $(filter-out 0,$(DEBUG)),-debug)
# KASAN and lockdep want more guest memory.
QEMU_MEM := $(if $(filter-out 0,$(DEBUG)),2G,1G)
BZIMAGE := $(BUILD)/obj-$(KFLAVOR)/arch/x86/boot/bzImage
INITRD := $(BUILD)/initramfs.cpio.gz


.PHONY: help deps kernel initramfs run shell test ltp lmbench deb deb-image patches clean distclean check-deps bench calibrate layout-control

help:
	@echo "make run        build (if needed), boot QEMU, show a program run from /bin and /trusted"
	@echo "make test       build, boot and run the guest suite on the CPU/PTI/SMP matrix"
	@echo "make shell      boot to an interactive busybox shell (GDB=1: wait for gdb on :1234)"
	@echo "make kernel     build bzImage (KCONFIG=tiny|debian-cloud|stock, DEBUG=1 for lockdep/KASAN)"
	@echo "make initramfs  build the guest test programs and the initramfs"
	@echo "make deb        Debian packages of the KML kernel (bindeb-pkg; KCONFIG=debian-cloud for a machine), checked and booted"
	@echo "make deb-image  install the tiny package into a Debian 12 system with dpkg and boot it (needs the Debian mirror)"
	@echo "make lmbench    build lmbench3 from source, run its lat_*/bw_* programs on stock and KML (bench/results/lmbench)"
	@echo "make ltp        build LTP's syscall tests from source, run a set from /opt/ltp and /trusted (LTP_TESTS=file)"
	@echo "make bench      benchmarks: stock vs KML from /bin, /trusted and through libkml (LMBENCH=dir adds lmbench)"
	@echo "make layout-control  the direct mode's extra mappings in a ring-3 program, against kml-direct (one -icount boot)"
	@echo "make calibrate  time this CPU's costly instructions for the cycle model (seconds; build/cycles/local.tsv)"
	@echo "make patches    export the series with git format-patch, verify it with git am, checkpatch it"
	@echo "make deps       install everything with apt-get"
	@echo "make clean      remove build outputs (keeps the unpacked source and ccache)"

check-deps:
	@bash scripts/deps.sh --check 2>/dev/null || bash scripts/deps.sh

deps:
	bash scripts/deps.sh

kernel: check-deps
	@bash scripts/build-kernel.sh

# The base image, even under "make test LTP=dir": run-tests.sh builds
# the LTP image itself.
initramfs: check-deps
	@env -u LTP -u LTP_TESTS bash scripts/mkinitramfs.sh

run: kernel initramfs
	@KERNEL=$(BZIMAGE) bash scripts/run-demo.sh

shell: kernel initramfs
	@KERNEL=$(BZIMAGE) MEM=$(QEMU_MEM) SUITE=shell bash scripts/qemu-run.sh

test: kernel initramfs
	@KERNEL=$(BZIMAGE) MEM=$(QEMU_MEM) bash tests/harness/run-tests.sh

# LTP's system call tests built from source (LTP_SRC, default the peers
# tarball) and run from /opt/ltp and /trusted: the regression set, or
# LTP_TESTS=file (runtest format; build/ltp/runtest/syscalls is all of it).
ltp: kernel initramfs
	@ltp=$$(bash scripts/build-ltp.sh | tail -1) && \
	KERNEL=$(BZIMAGE) LTP=$$ltp LTP_TESTS=$${LTP_TESTS:-tests/ltp/regression.txt} \
	MATRIX=" " STRESS=0 X86=0 INSN=0 DEBUG_BOOT=0 OVERFLOW=0 NULLCALL=0 GDB_TEST=0 COSTS= \
	bash tests/harness/run-tests.sh

deb: check-deps
	@bash scripts/build-deb.sh

deb-image: check-deps kernel
	@bash scripts/deb-image.sh

# lmbench3 alone, built from the peers tarball (or LMBENCH_SRC): stock
# kernel, and KML from /bin and /trusted, pti on and off.
lmbench: check-deps
	@lm=$$(bash scripts/build-lmbench.sh | tail -1) && \
	LMBENCH=$$lm BENCH_ONLY=none REDIS_N=0 SQL_N=0 BENCH_TAG=lmbench TCG_BOOTS=$${TCG_BOOTS:-1} \
	RESULTS=$${RESULTS:-bench/results/lmbench} README=0 bash scripts/bench.sh

# Builds both kernels itself (tiny config, with and without the series).
bench: check-deps
	@bash scripts/bench.sh

calibrate:
	@bash scripts/calibrate.sh

layout-control: check-deps
	@bash scripts/layout-control.sh

patches: check-deps
	@bash scripts/export-series.sh

clean:
	rm -rf $(BUILD)/obj-* $(BUILD)/guest $(BUILD)/initramfs* $(BUILD)/logs $(BUILD)/export

distclean:
	rm -rf $(BUILD)
