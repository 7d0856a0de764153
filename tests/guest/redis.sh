# SPDX-License-Identifier: GPL-2.0
# redis-server with redis-benchmark (Debian's), a real server, in three
# modes: from /bin (ring 3), from /trusted (kernel mode, SYSCALL) and from
# /trusted through the rewriter (libkml-rewrite.so in /etc/ld.so.preload:
# direct calls).  The client always runs from /bin.  Prints
#   KMLBENCH: redis <mode> <test> <requests per second> <direct calls>
# redis.sh REQUESTS
n=${1:-20000}
bb=/bin/busybox
for mode in normal trusted rewrite; do
	dir=/bin
	[ $mode != normal ] && dir=/trusted
	[ $mode = rewrite ] && echo /lib/libkml-rewrite.so > /etc/ld.so.preload
	$dir/redis-server --port 6379 --save '' --appendonly no --protected-mode no \
		--daemonize no --loglevel warning > /tmp/redis.log 2>&1 &
	pid=$!
	# Listening on 6379 (0x18EB)?  redis-benchmark hangs without a server.
	for i in $($bb seq 60); do
		$bb grep -q ':18EB 00000000:0000 0A' /proc/net/tcp && break
		$bb sleep 1
	done
	rm -f /etc/ld.so.preload
	echo "KMLBENCH-INFO: $mode server KernelMode $($bb grep KernelMode /proc/$pid/status | $bb awk '{print $2}')"
	d0=$($bb cat /sys/kernel/kml/direct_calls)
	/bin/redis-benchmark -q -n "$n" -c 1 -P 1 -t set,get,incr,lpush,lpop 2>/dev/null | tr '\r' '\n' |
		$bb awk -v m=$mode '/requests per second/ { sub(":", "", $1); printf "KMLBENCH: redis %s %s %s\n", m, $1, $2 }'
	d1=$($bb cat /sys/kernel/kml/direct_calls)
	echo "KMLBENCH-INFO: $mode direct calls during the run: $((d1 - d0))"
	kill $pid
	wait $pid 2>/dev/null
done
