#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""gdb on ring-0 programs: boot the guest's gdb suite with a second serial
port on a local TCP socket, and whenever the guest says
"KMLGDB: READY <session> <mode>" (tests/guest/gdb.sh), run a gdb session
against the gdbserver there and judge what gdb printed.  After the boot,
read each core file the guest sent in its log with gdb.

Every check prints "PASS  label  gdb/..." or "FAIL  label  gdb/...";
run-tests.sh counts them, with the guest's own results (check-log.sh).

Usage: gdb-test.py LOG LABEL PROGRAM CPL
  LOG      the serial log to write
  PROGRAM  the host's copy of kt-gdb (its symbols)
  CPL      the CPL that /trusted programs run at (0, or 3 with kml=off)
Environment: what scripts/qemu-run.sh takes (KERNEL, INITRD, CPU, ...);
this sets SUITE, SERIAL2, LOG, QUIET.
"""
import base64
import gzip
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOG, LABEL, PROGRAM, CPL = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
GDB_TIMEOUT = 240
results = []


def report(ok, name, detail):
    results.append(ok)
    print("%s  %s  gdb/%s: %s" % ("PASS" if ok else "FAIL", LABEL, name, detail), flush=True)


def want_cs(mode):
    """The CS that gdb must show for a program of this mode."""
    return "0x80" if mode == "trusted" and CPL == "0" else "0x33"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def gdb(args, cmds):
    """Run gdb in batch mode; its whole output, or why it did not end."""
    argv = ["gdb", "-nx", "-batch", "-ex", "set pagination off",
            "-ex", "set confirm off", "-ex", "set width 0"] + args
    for c in cmds:
        argv += ["-ex", c]
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=GDB_TIMEOUT, check=False)
        return p.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        return out + "\n(gdb did not finish within %d s)" % GDB_TIMEOUT


def judge(session, mode, out, checks):
    """checks: (what, regex) pairs, each searched in gdb's output."""
    missing = [what for what, rx in checks if not re.search(rx, out, re.M)]
    name = "%s-%s" % (session, mode)
    if missing:
        tail = " | ".join(out.strip().splitlines()[-12:])
        report(False, name, "missing: %s; gdb said: %s" % ("; ".join(missing), tail))
    else:
        report(True, name, ", ".join(what for what, _ in checks))


def session_run(mode, target):
    out = gdb([PROGRAM], [
        "set remotetimeout 60", target,
        "info inferiors",
        "break kt_work", "break *kt_sys_insn",
        "continue", "bt", "info registers cs",
        "next", "print pid",
        "continue", "x/i $pc", "stepi", "print $rax", "print $pc == (long)&kt_sys_after",
        "delete", "watch kt_counter", "continue", "delete",
        "continue", "bt",
        "continue", "monitor exit"])
    m = re.search(r"process (\d+)", out)
    pid = m.group(1) if m else "NOPID"
    judge("run", mode, out, [
        ("breakpoint at kt_work", r"^Breakpoint 1, kt_work \(n=42\)"),
        ("bt with symbols", r"^#0\s+kt_work \(n=42\) at .*gdb\.c:\d+\n#1\s+.*main \("),
        ("CS %s" % want_cs(mode), r"^cs\s+%s\s" % want_cs(mode)),
        ("next over getpid() gives the pid", r"^\$1 = %s$" % pid),
        ("breakpoint at the SYSCALL", r"^Breakpoint 2, 0x[0-9a-f]+ in kt_raw_getpid \(\)"
         r"(.|\n)*^=> 0x[0-9a-f]+ <kt_raw_getpid\+\d+>:\s+syscall"),
        ("stepi over it returns the pid in RAX", r"^\$2 = %s$" % pid),
        ("and lands right after it", r"^\$3 = 1$"),
        ("hardware watchpoint", r"^Hardware watchpoint 3: kt_counter\s*\n\s*\nOld value = 0\nNew value = 42"),
        ("stops at SIGUSR1", r"^Program received signal SIGUSR1"),
        ("bt at the signal reaches kt_work", r"^#\d+\s+0x[0-9a-f]+ in kt_work \(n=42\)"),
        ("runs to its end, exit 0", r"^\[Inferior 1 \(process %s\) exited normally\]" % pid),
    ])


def session_attach(mode, target, pid):
    out = gdb([PROGRAM], [
        "set remotetimeout 60", target,
        "info inferiors", "bt", "info registers cs",
        "set var kt_release = 7", "print kt_release", "detach", "monitor exit"])
    judge("attach", mode, out, [
        ("attached to the pid", r"process %s" % pid),
        ("bt reaches kt_wait_loop and main", r"in kt_wait_loop \(\) at .*gdb\.c:\d+\n#\d+\s+.*main \("),
        ("CS %s" % want_cs(mode), r"^cs\s+%s\s" % want_cs(mode)),
        ("wrote kt_release", r"^\$1 = 7$"),
        ("detached", r"Detaching from program|\[Inferior 1 \(process %s\) detached\]" % pid),
    ])


def read_cores(log):
    """The core files the guest sent: {mode: bytes}."""
    cores, cur, buf = {}, None, []
    for line in log.splitlines():
        line = line.strip()
        m = re.match(r"KMLGDB: CORE-BEGIN (\w+)$", line)
        if m:
            cur, buf = m.group(1), []
        elif cur and line == "KMLGDB: CORE-END %s" % cur:
            try:
                cores[cur] = gzip.decompress(base64.b64decode("".join(buf)))
            except (ValueError, OSError) as e:
                report(False, "core-%s" % cur, "the core in the log does not decode: %s" % e)
            cur = None
        elif cur:
            buf.append(line)
    return cores


def session_core(mode, core):
    with tempfile.NamedTemporaryFile(prefix="kt-gdb-core-") as f:
        f.write(core)
        f.flush()
        out = gdb([PROGRAM, f.name], ["bt", "info registers cs", "print kt_counter"])
    judge("core", mode, out, [
        ("killed by SIGSEGV", r"^Program terminated with signal SIGSEGV"),
        ("bt from kt_crash to main", r"^#0\s+.*kt_crash \(\) at .*gdb\.c:\d+\n#1\s+.*main \("),
        ("CS %s" % want_cs(mode), r"^cs\s+%s\s" % want_cs(mode)),
        ("reads the program's data", r"^\$1 = 0$"),
    ])


def main():
    port = free_port()
    # extended-remote: gdb stays connected when the program has ended or
    # been left, and ends gdbserver with "monitor exit" (on a serial line
    # gdbserver cannot see gdb go).
    target = "target extended-remote 127.0.0.1:%d" % port
    env = dict(os.environ, SUITE="gdb", QUIET="1", LOG=LOG,
               SERIAL2="tcp:127.0.0.1:%d,server=on,wait=off" % port)
    open(LOG, "w").close()
    qemu = subprocess.Popen(["bash", os.path.join(TOP, "scripts/qemu-run.sh")], env=env)
    done, sessions = set(), 0
    while True:
        exited = qemu.poll() is not None
        with open(LOG, "rb") as f:
            text = f.read().decode(errors="replace").replace("\r", "")
        for m in re.finditer(r"^KMLGDB: READY (\w+) (\w+)(?: (\d+))?$", text, re.M):
            key = (m.group(1), m.group(2))
            if key in done:
                continue
            done.add(key)
            sessions += 1
            if key[0] == "run":
                session_run(key[1], target)
            else:
                session_attach(key[1], target, m.group(3))
        if exited:
            break
        time.sleep(0.5)
    qrc = qemu.returncode
    with open(os.path.join(os.path.dirname(LOG), os.path.basename(LOG) + ".qrc"), "w") as f:
        f.write("%d\n" % qrc)
    want = {(s, m) for s in ("run", "attach") for m in ("normal", "trusted")}
    for s, m in sorted(want - done):
        report(False, "%s-%s" % (s, m), "the guest never got to this session (QEMU status %d)" % qrc)
    cores = read_cores(text)
    for m in ("normal", "trusted"):
        if m in cores:
            session_core(m, cores[m])
        else:
            report(False, "core-%s" % m, "no core file in the log")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
