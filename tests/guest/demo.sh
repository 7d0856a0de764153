# SPDX-License-Identifier: GPL-2.0
# The demo of "make run": the same program from /bin and from /trusted.
# scripts/run-demo.sh formats the KMLDEMO lines on the host.
echo "KMLDEMO-KERNEL: $(uname -r); $(dmesg | grep -o 'kml: Kernel Mode Linux.*' | head -1)"
for dir in /bin /trusted; do
	$dir/kt-demo
done
