#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The MariaDB database of "make bench" (Debian's mariadb-server and
# sysbench): a data directory made on the host, once, with sysbench's
# table sbtest1 of SQL_ROWS rows (default 1000) in database sbtest, for
# the guest to copy and serve (tests/bench/bench.sh).  Installs the two
# packages where missing.  Prints the data directory last.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_pkgs "MariaDB in make bench" mariadb-server sysbench
# Debian starts the service where it can; the host does not need it.
pkill -x mariadbd 2>/dev/null || true
SQL_ROWS=${SQL_ROWS:-1000}
out=$BUILD/sql
cnf=$KML_TOP/tests/bench/mariadb.cnf
stamp="$(mariadbd --version) | $(sysbench --version) | rows $SQL_ROWS | $(md5sum < "$cnf")"
if [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ] && [ -d "$out/data/sbtest" ]; then
	echo "$out/data"
	exit 0
fi
step "a MariaDB data directory with sysbench's table ($SQL_ROWS rows)"
rm -rf "$out"
mkdir -p "$out"
log=$BUILD/logs/build-sql.log
mkdir -p "$(dirname "$log")"
# The server's settings, here and in the guest: tests/bench/mariadb.cnf.
opts=(--defaults-file="$cnf" --datadir="$out/data")
mariadb-install-db "${opts[@]}" --auth-root-authentication-method=normal --skip-test-db \
	> "$log" 2>&1 || { tail -5 "$log" >&2; die "mariadb-install-db failed (see $log)"; }
sock=$out/sock
mariadbd "${opts[@]}" --socket="$sock" --pid-file="$out/pid" >> "$log" 2>&1 &
srv=$!
for _ in $(seq 60); do [ -S "$sock" ] && break; sleep 0.5; done
[ -S "$sock" ] || { kill $srv 2>/dev/null; die "mariadbd did not start (see $log)"; }
ok=1
mariadb -S "$sock" -u root -e "CREATE DATABASE sbtest" >> "$log" 2>&1 || ok=0
[ $ok = 1 ] && { sysbench oltp_common --db-driver=mysql --mysql-socket="$sock" --mysql-user=root \
	--mysql-db=sbtest --tables=1 --table-size="$SQL_ROWS" prepare >> "$log" 2>&1 || ok=0; }
mariadb-admin -S "$sock" -u root shutdown >> "$log" 2>&1 || kill $srv 2>/dev/null
wait $srv 2>/dev/null || true
[ $ok = 1 ] || die "making sysbench's table failed (see $log)"
rm -f "$sock" "$out/pid"
echo "$stamp" > "$out/.stamp"
say "MariaDB data: $out/data ($(du -sh "$out/data" | cut -f1))"
echo "$out/data"
