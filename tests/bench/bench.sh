# SPDX-License-Identifier: GPL-2.0
# The guest side of "make bench" (kmltest.suite=bench): kbench, redis and,
# when the image has them, the real lmbench binaries, in every mode this
# kernel has:
#   stock        a kernel without KML: programs from /bin
#   kml-normal   the KML kernel, programs from /bin (ring 3)
#   kml-trusted  the KML kernel, programs from /trusted (SYSCALL at CPL 0)
#   kml-direct   the KML kernel, from /trusted through the libkml shim
#                (kbench: static with libkml-rewrite.a, run with
#                KML_DIRECT_EXEC=1, so that the programs it executes get
#                the kernel's patched copies (Documentation/kml.rst,
#                "Patched copies"); redis: the rewriter in
#                /etc/ld.so.preload)
# Lines for scripts/bench.sh:
#   KMLBENCH: <bench> <mode> ops=.. ticks=med,min,max ns=med,min,max
#   KMLBENCH-CHECK: <mode> cpl=<n> direct_calls=<delta>
#   KMLBENCH-REDIS: <mode> <test> <requests per second>
#   KMLBENCH-SQL: <mode> <test> transactions=.. tps=.. server_utime=..
#                 server_stime=..  (clock ticks)
#   KMLBENCH-LMBENCH: <mode> <bench> <microseconds>
#   KMLCOSTRUN: ...  (with kmltest.costs=1: the regions marked for the
#                    cost plugin, tests/cost/kml-mark.h; kbench -m, and
#                    each redis test between two kb-mark runs)
# Kernel parameters: kmltest.bench_ms=, kmltest.bench_batches=,
# kmltest.bench_only=a,b (kbench names, or "none"), kmltest.bench_verbose=1
# (kbench -v: a KMLBATCH line per batch, with the thread's CPU time),
# kmltest.redis_n=
# (0: no redis), kmltest.sql_n= (0: no MariaDB), kmltest.costs=1 (the boot has the cost plugin),
# kmltest.bench_control=1 (scripts/layout-control.sh: kbench.shim in ring 3
# as modes shim-layout-*), kmltest.bench_direct_exec=0 (kml-direct's kbench
# without KML_DIRECT_EXEC: the programs it executes load the rewriter from
# /etc/ld.so.preload, as before the kernel mapped the copies).
bb=/bin/busybox
ms=20 batches=5 only= redis_n=2000 sql_n=10000 costs=0 verbose= direct_exec=1
for arg in $(cat /proc/cmdline); do
	case $arg in
	kmltest.costs=*) costs=${arg#*=} ;;
	kmltest.bench_ms=*) ms=${arg#*=} ;;
	kmltest.bench_batches=*) batches=${arg#*=} ;;
	kmltest.bench_only=*) only=$(echo "${arg#*=}" | tr , ' ') ;;
	kmltest.bench_verbose=1) verbose=-v ;;
	kmltest.redis_n=*) redis_n=${arg#*=} ;;
	kmltest.sql_n=*) sql_n=${arg#*=} ;;
	kmltest.bench_direct_exec=*) direct_exec=${arg#*=} ;;
	esac
done
PRELOAD=/etc/ld.so.preload

if [ -d /sys/kernel/kml ]; then
	modes="kml-normal kml-trusted kml-direct"
else
	modes=stock
fi
echo "KMLBENCH-INFO: kernel $(uname -r), modes: $modes"

# Where a mode's programs live.
mode_dir() {
	case $1 in stock|kml-normal) echo /bin ;; *) echo /trusted ;; esac
}

direct_calls() { $bb cat /sys/kernel/kml/direct_calls 2>/dev/null || echo 0; }

# The privilege level a program of this mode really runs at, and how many
# direct calls it made: the host refuses results from a mode that did not
# run as its name says.
check_mode() {	# mode program
	d0=$(direct_calls)
	cpl=$("$2" -c)
	echo "KMLBENCH-CHECK: $1 cpl=$cpl direct_calls=$(( $(direct_calls) - d0 ))"
}

if [ "$only" != none ]; then
	for mode in $modes; do
		prog=$(mode_dir $mode)/kbench
		[ $mode = kml-direct ] && prog=$prog.shim
		check_mode $mode $prog
		# kbench.shim is static; fork_exec_dyn's program gets the kernel's
		# patched copies (KML_DIRECT_EXEC), or loads the rewriter
		direct_env=
		if [ $mode = kml-direct ] && [ "$direct_exec" = 1 ]; then
			direct_env=KML_DIRECT_EXEC=1
		elif [ $mode = kml-direct ]; then
			echo /lib/libkml-rewrite.so > $PRELOAD
		fi
		mark=
		[ "$costs" = 1 ] && mark=-m
		i0=$($bb cat /sys/kernel/kml/images_mapped 2>/dev/null || echo 0)
		# shellcheck disable=SC2086
		env $direct_env $prog $mark $verbose -t "$ms" -b "$batches" $mode $only
		rm -f $PRELOAD
		# text the kernel mapped from patched copies meanwhile
		echo "KMLBENCH-IMAGES: $mode images_mapped=$(( $($bb cat /sys/kernel/kml/images_mapped 2>/dev/null || echo 0) - i0 ))"
	done
	# kmltest.bench_control=1 (scripts/layout-control.sh): kbench.shim
	# outside KML (ring 3, where the rewriter does nothing), plain and
	# with the direct mode's extra mappings (kbench.c, KBENCH_LAYOUT).
	if grep -q 'kmltest.bench_control=1' /proc/cmdline && [ -d /sys/kernel/kml ]; then
		minaddr=$(cat /proc/sys/vm/mmap_min_addr)
		echo 0 > /proc/sys/vm/mmap_min_addr
		for l in none 0 c 0c; do
			check_mode "shim-layout-$l" /bin/kbench.shim
			# shellcheck disable=SC2086
			KBENCH_LAYOUT=${l#none} /bin/kbench.shim $mark $verbose -t "$ms" -b "$batches" \
				"shim-layout-$l" $only
		done
		echo "$minaddr" > /proc/sys/vm/mmap_min_addr
	fi
fi

# redis-server and redis-benchmark (Debian's), server and client of the
# same mode, one connection, no pipelining.
if [ "$redis_n" != 0 ] && [ -x /bin/redis-server ]; then
	for mode in $modes; do
		dir=$(mode_dir $mode)
		[ $mode = kml-direct ] && echo /lib/libkml-rewrite.so > $PRELOAD
		d0=$(direct_calls)
		$dir/redis-server --port 6379 --save '' --appendonly no --protected-mode no \
			--daemonize no --loglevel warning > /tmp/redis.log 2>&1 &
		pid=$!
		# listening on 6379 (0x18EB)?  redis-benchmark hangs without a server
		for i in $($bb seq 60); do
			$bb grep -q ':18EB 00000000:0000 0A' /proc/net/tcp && break
			$bb sleep 1
		done
		echo "KMLBENCH-INFO: redis $mode server KernelMode" \
			"$($bb awk '/KernelMode/ {print $2}' /proc/$pid/status)"
		# One test at a time, each a marked region when the boot counts
		# costs: per request, they then include the client's start.
		for t in set get incr lpush lpop; do
			[ "$costs" = 1 ] && /bin/kb-mark begin
			out=$($dir/redis-benchmark -q -n "$redis_n" -c 1 -P 1 -t $t 2>/dev/null)
			[ "$costs" = 1 ] && /bin/kb-mark end &&
				echo "KMLCOSTRUN: redis_$t $mode batch ops=$redis_n w=1"
			echo "$out" | $bb tr '\r' '\n' |
				$bb awk -v m=$mode '/requests per second/ {
					sub(":", "", $1); printf "KMLBENCH-REDIS: %s %s %s\n", m, tolower($1), $2 }'
		done
		echo "KMLBENCH-INFO: redis $mode direct calls: $(( $(direct_calls) - d0 ))"
		rm -f $PRELOAD
		kill $pid
		wait $pid 2>/dev/null
	done
fi

# MariaDB and sysbench (Debian's; make bench, scripts/build-sql.sh), server
# and client of the same mode, one client thread, sysbench's fixed seed:
# OLTP point select (sql_n transactions) and read-write (sql_n / 10) on
# the host's table of 1000 rows, each run a marked region when the boot
# counts costs (per transaction, it then includes the client's start).
# The server's user and system time (clock ticks, /proc/PID/stat) around
# each run.
if [ "$sql_n" != 0 ] && [ -x /bin/mariadbd ] && [ -d /opt/sql/data ]; then
	for mode in $modes; do
		dir=$(mode_dir $mode)
		$bb rm -rf /tmp/sql /tmp/sql.sock
		$bb cp -a /opt/sql/data /tmp/sql
		[ $mode = kml-direct ] && echo /lib/libkml-rewrite.so > $PRELOAD
		d0=$(direct_calls)
		$dir/mariadbd --defaults-file=/opt/sql/server.cnf --datadir=/tmp/sql \
			--socket=/tmp/sql.sock --pid-file=/tmp/sql.pid > /tmp/sql.log 2>&1 &
		pid=$!
		for i in $($bb seq 300); do
			[ -S /tmp/sql.sock ] && break
			$bb sleep 1
		done
		echo "KMLBENCH-INFO: sql $mode server KernelMode" \
			"$($bb awk '/KernelMode/ {print $2}' /proc/$pid/status 2>/dev/null)"
		[ -S /tmp/sql.sock ] || { echo "KMLBENCH-INFO: sql $mode: mariadbd did not start"; $bb tail -5 /tmp/sql.log; }
		for t in point_select read_write; do
			n=$sql_n
			[ $t = read_write ] && n=$((sql_n / 10))
			t0=$($bb awk '{print $14, $15}' /proc/$pid/stat 2>/dev/null)
			[ "$costs" = 1 ] && /bin/kb-mark begin
			out=$($dir/sysbench oltp_$t --db-driver=mysql --mysql-socket=/tmp/sql.sock \
				--mysql-user=root --mysql-db=sbtest --tables=1 --table-size=1000 \
				--rand-seed=1 --events=$n --time=0 --threads=1 run 2>&1)
			[ "$costs" = 1 ] && /bin/kb-mark end &&
				echo "KMLCOSTRUN: sql_$t $mode batch ops=$n w=1"
			t1=$($bb awk '{print $14, $15}' /proc/$pid/stat 2>/dev/null)
			echo "$out" | $bb awk -v m=$mode -v t=$t -v t0="$t0" -v t1="$t1" '
				/transactions:/ { n = $2; tps = $3; gsub(/[(]/, "", tps) }
				END {
					split(t0, a, " "); split(t1, b, " ")
					printf "KMLBENCH-SQL: %s %s transactions=%s tps=%s server_utime=%d server_stime=%d\n",
						m, t, n, tps, b[1] - a[1], b[2] - a[2]
				}'
		done
		echo "KMLBENCH-INFO: sql $mode direct calls: $(( $(direct_calls) - d0 ))"
		rm -f $PRELOAD
		kill $pid
		wait $pid 2>/dev/null
	done
fi

# lmbench (make bench LMBENCH=dir): /opt/lmbench and /trusted/lmbench.
# Not run: lat_sig prot (its handler returns to the faulting store; on
# the build host, in ring 3, it spun there for minutes), lat_fcntl and
# lat_sem (20 to 50 s a run on the loaded build host already, far more
# under TCG), lat_fifo (needs its FIFOs made).
# Each program prints its figure on stderr: lat_* in microseconds per
# operation, bw_* in MB/s, reported here as microseconds per MB (so that
# for every row lower is better, and under -icount it is instructions).
lm_run() {	# mode dir name program args...
	lm_mode=$1 lm_dir=$2 lm_name=$3
	shift 3
	out=$($bb timeout 300 "$lm_dir/$@" 2>&1 >/dev/null)
	# What a timed-out program left behind (timeout kills only its child).
	$bb killall -9 "$1" 2>/dev/null
	us=$(echo "$out" | $bb awk -v n="$lm_name" '
		n !~ /^bw_/ && /microseconds/ { for (i = 2; i <= NF; i++) if ($i == "microseconds") v = $(i - 1) }
		n == "ctxsw" && $1 == "2" && NF == 2 { v = $2 }
		n == "mmap" && NF == 2 && $1 ~ /^[0-9.]+$/ { v = $2 }
		n ~ /^bw_/ && /MB\/sec/ { for (i = 2; i <= NF; i++) if ($i == "MB/sec") mbs = $(i - 1) }
		n ~ /^bw_/ && NF == 2 && $1 ~ /^[0-9.]+$/ && $2 ~ /^[0-9.]+$/ { mbs = $2 }
		END {
			if (mbs + 0 > 0) printf "%.4f\n", 1e6 / mbs
			else if (v != "") print v
		}')
	if [ -n "$us" ]; then
		echo "KMLBENCH-LMBENCH: $lm_mode $lm_name $us"
	else
		echo "KMLBENCH-INFO: lmbench $lm_mode $lm_name gave no figure: $(echo "$out" | $bb head -3 | $bb tr '\n' ' ')"
	fi
}
lm_server() {	# dir program: start its server, and give it time to listen
	"$1/$2" -s >/dev/null 2>&1
	$bb sleep 1
}
if [ -d /opt/lmbench ]; then
	for mode in $modes; do
		[ $mode = kml-direct ] && continue
		dir=/opt/lmbench
		[ "$(mode_dir $mode)" = /trusted ] && dir=/trusted/lmbench
		# lat_proc exec runs /tmp/hello: the mode's own copy (a KML
		# exec is decided on the file's path, not the link's).
		$bb ln -sf $dir/hello /tmp/hello
		# lat_mmap, lat_pagefault and bw_*_rd read (and write) this file.
		$bb dd if=/dev/zero of=/tmp/lm.file bs=1M count=8 2>/dev/null
		for s in null read write stat fstat open; do
			lm_run $mode $dir $s lat_syscall $s /tmp/lm.file
		done
		lm_run $mode $dir sig_install lat_sig install
		lm_run $mode $dir sig_catch lat_sig catch
		lm_run $mode $dir fork_exit lat_proc fork
		lm_run $mode $dir fork_exec lat_proc exec
		lm_run $mode $dir pipe lat_pipe
		lm_run $mode $dir unix lat_unix
		lm_run $mode $dir ctxsw lat_ctx -s 0 2
		lm_run $mode $dir select lat_select -n 10 file
		lm_run $mode $dir pagefault lat_pagefault /tmp/lm.file
		lm_run $mode $dir mmap lat_mmap 1m /tmp/lm.file
		lm_run $mode $dir bw_pipe bw_pipe
		lm_run $mode $dir bw_unix bw_unix
		lm_run $mode $dir bw_file_rd bw_file_rd 1m io_only /tmp/lm.file
		lm_run $mode $dir bw_mmap_rd bw_mmap_rd 1m mmap_only /tmp/lm.file
		# The network tests: server up first, down after.
		for p in lat_tcp lat_udp lat_connect bw_tcp; do
			d0=$(direct_calls)
			lm_server $dir $p
			# The mode proof: the privilege level lmbench's own
			# server runs at (KernelMode: 1 is CPL 0).
			if [ $p = lat_tcp ]; then
				km=$($bb awk '/^KernelMode:/ { print $2 }' /proc/$($bb pidof lat_tcp | $bb cut -d' ' -f1)/status)
				echo "KMLBENCH-CHECK: $mode cpl=$([ "$km" = 1 ] && echo 0 || echo 3) direct_calls=$(( $(direct_calls) - d0 ))"
			fi
			lm_run $mode $dir ${p#lat_} $p 127.0.0.1
			$dir/$p -S 127.0.0.1 >/dev/null 2>&1
		done
		lm_run $mode $dir select_tcp lat_select -n 10 tcp
		rm -f /tmp/lm.file /tmp/hello
	done
fi
