# SPDX-License-Identifier: GPL-2.0
# The demo of "make run": the same program from /bin and from /trusted.
# $1: the CPL this kernel is expected to give /trusted programs.
echo
echo "================ Kernel Mode Linux demo ================"
echo "kernel: $(uname -r), $(dmesg | grep -o 'kml: Kernel Mode Linux.*' | head -1)"
echo "The same binary, kt-demo, is installed twice: /bin/kt-demo and"
echo "/trusted/kt-demo (root-owned, not writable by group or others)."
echo
for dir in /bin /trusted; do
	$dir/kt-demo
done
echo
echo "CPL is the privilege level (3 = user mode, 0 = kernel mode)."
echo "Ticks are guest TSC ticks; under -icount shift=0 one tick is one"
echo "instruction, so these are instructions per getpid and per call."
echo "Expected for this build: /trusted programs at CPL $1."
echo "========================================================"
