#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A benchmark, not a test: redis-server (Debian) with redis-benchmark in
# one guest, the server from /bin, from /trusted, and from /trusted
# through the libkml rewriter (direct calls); the client from /bin.
# Twice: plain TCG (wall-clock requests per second: TCG figures, not
# hardware ones; they exaggerate CR3 switches) and under -icount shift=0
# (the guest clock counts instructions, so requests per "second" is
# 10^9 / instructions per request, deterministic).
#   N=requests per test (default 20000)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
if ! [ -x /usr/bin/redis-server ] || ! [ -x /usr/bin/redis-benchmark ]; then
	step "apt-get install redis-server redis-tools"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		redis-server redis-tools || die "installing redis failed"
	# Debian starts the service where it can; the host does not need it.
	pkill -x redis-server 2>/dev/null || true
fi
# The image carries redis when it is installed.
INITRD=$(bash "$KML_TOP/scripts/mkinitramfs.sh" | tail -1)
export INITRD
N=${N:-20000}
for ic in 0 1; do
	log=$BUILD/logs/bench-redis-icount$ic.log
	SUITE=redis ICOUNT=$ic QUIET=1 TIMEOUT=${TIMEOUT:-1200} LOG=$log CPU=${CPU:-max} \
		PTI=${PTI:-on} APPEND="kmltest.redis_n=$N" bash "$KML_TOP/scripts/qemu-run.sh" ||
		die "the redis boot failed; log: $log"
	if [ $ic = 0 ]; then what="TCG wall time, requests/s"; else what="-icount shift=0, instructions per request"; fi
	echo "redis, $N requests per test, client from /bin ($what):"
	tr -d '\r' < "$log" | awk -v ic=$ic '
	/^KMLBENCH: redis/ { v[$3, $4] = $5; if (!($4 in seen)) { seen[$4] = 1; t[n++] = $4 } }
	/^KMLBENCH-INFO/ { sub(/^KMLBENCH-INFO: /, ""); info = info "  # " $0 "\n" }
	END {
		printf "  %-8s %14s %14s %18s\n", "test", "server /bin", "/trusted", "/trusted+rewriter"
		for (i = 0; i < n; i++) {
			printf "  %-8s", t[i]
			for (m = 0; m < 3; m++) {
				mode = m == 0 ? "normal" : m == 1 ? "trusted" : "rewrite"
				x = v[mode, t[i]]
				if (x == "") printf " %14s", "-"
				else if (ic) printf " %14.0f", 1e9 / x
				else printf " %14.0f", x
			}
			printf "\n"
		}
		printf "%s", info
	}'
	grep -qE 'Kernel panic|Oops|BUG:|WARNING:' "$log" && die "the kernel reported a problem; log: $log"
done
