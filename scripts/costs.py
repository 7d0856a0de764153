#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Per-operation counts of the costly instruction classes, and modeled cycles.

  costs.py counts SERIAL_LOG PLUGIN_LOG [--csv FILE] [--label L]
      Pairs the KMLCOSTRUN lines of the guest's serial log with the region
      snapshots of the cost plugin (tests/cost/kml-costs.c) and prints, per
      benchmark and mode, the instructions and the count of every class per
      operation (the median over the runs of a benchmark and mode).
  costs.py check SERIAL_LOG PLUGIN_LOG EXPECT LABEL
      The same, judged against EXPECT (tests/cost/expect.txt): one
      "PASS|FAIL  LABEL  costs/<name> (<mode>): ..." line per expectation,
      then "SUMMARY passed=N failed=N xfail=0 skipped=0".
  costs.py model COUNTS_CSV TABLE
      Modeled cycles per operation from a counts CSV (the "counts" output)
      and a complete cost table (the "table" output).
  costs.py bench PTI MODE_TAG SERIAL_LOG PLUGIN_LOG TABLE [TABLE...]
      For scripts/bench.sh: CSV rows "benchmark,mode,pti,metric,value" of
      one boot: plugin_instructions_per_op, count_<class>_per_op for every class
      that occurs, and modeled_cycles_per_op with the first TABLE (and
      modeled_cycles_per_op@<name> with the others, <name> the file's name
      without .tsv).
  costs.py demo SERIAL_LOG PLUGIN_LOG TABLE [TABLE...]
      make run's table (scripts/run-demo.sh): per path and operation of
      kt-demo, instructions, the costly instructions counted, and modeled
      cycles with each TABLE.
  costs.py targets SERIAL_LOG PLUGIN_LOG TABLE
      The cost boot's paths (kt-costs) against issue 25's targets, modeled
      with TABLE, then again with every estimated cost (a "range a-b" in
      its source) at the low end and at the high end of its range.
  costs.py profile BENCH SERIAL_LOG:PLUGIN_LOG:MODE [SERIAL_LOG:PLUGIN_LOG:MODE]
                   [--top N]
      Where a benchmark's instructions go (a plugin run with syms=, the
      kernel's System.map): instructions per operation of every function,
      for one run, or for two side by side with the difference (the
      second minus the first), largest first.  For example, stock against
      /trusted: the stock boot's logs with mode stock, the KML boot's
      with mode kml-trusted.
  costs.py paths SERIAL_LOG PLUGIN_LOG LABEL
      The cost boot's code paths, from its profile (syms=): a getpid,
      read and write from /bin run the stock entry (entry_SYSCALL_64) and
      no KML entry code; the same from /trusted, and every direct call,
      run KML's entry and none of the stock entry's code.  One
      "PASS|FAIL  LABEL  paths/<name> (<mode>): ..." line each, then a
      SUMMARY line.
  costs.py table MEASURED LITERATURE
      A complete cost table: the classes MEASURED has (calibrate's output,
      or bench/cycles/xeon-*.tsv), the others from LITERATURE
      (bench/cycles/literature.tsv), and the cost of a plain instruction,
      derived from MEASURED's whole getpid() round trip and the classes of
      that path (LITERATURE's @reference line).

The counts are exact instruction counts; the cycles are a model: counts
times the table's cost of each class, and the table's "plain" cost for
every other instruction.
"""
import csv
import os
import re
import statistics
import sys


def parse_plugin(path):
    classes, marks = None, []
    with open(path, errors="replace") as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "KMLCOST-CLASSES":
                classes = w[1:]
            elif w[0] == "KMLCOST" and len(w) >= 4:
                marks.append((w[1], int(w[2]), int(w[3]), [int(x) for x in w[4:]]))
    if classes is None:
        raise SystemExit(f"costs.py: {path}: no KMLCOST-CLASSES header (was the plugin loaded?)")
    return classes, marks


def parse_runs(path):
    runs = []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.replace("\r", "").strip()
            i = line.find("KMLCOSTRUN: ")
            if i < 0:
                continue
            w = line[i:].split()
            if len(w) < 6:
                raise SystemExit(f"costs.py: bad line: {line}")
            kv = dict(x.split("=", 1) for x in w[4:] if "=" in x)
            runs.append({"name": w[1], "mode": w[2], "kind": w[3],
                         "ops": float(kv["ops"]),
                         "w": [float(x) for x in kv["w"].split(",")]})
    return runs


def regions(classes, marks):
    """The marks as (insns, counts) differences of begin/end pairs."""
    out, i = [], 0
    while i < len(marks):
        b = marks[i]
        if b[0] != "B" or i + 1 >= len(marks) or marks[i + 1][0] != "E":
            raise SystemExit(f"costs.py: plugin snapshot {b[1]}: a {b[0]} marker out of order "
                             "(more than one marking process at a time?)")
        e = marks[i + 1]
        out.append((e[2] - b[2], [y - x for x, y in zip(b[3], e[3])]))
        i += 2
    return out


def profiles(serial, plugin):
    """{(benchmark, mode): {function: instructions per operation}}, each the
    mean over its batch runs (KMLSYM lines: a plugin run with syms=)."""
    classes, marks = parse_plugin(plugin)
    regions(classes, marks)     # checks the pairing
    syms = {}
    with open(plugin, errors="replace") as f:
        for line in f:
            if line.startswith("KMLSYM "):
                _, seq, name, n = line.split()
                syms.setdefault(int(seq), {})[name] = int(n)
    if not syms:
        raise SystemExit(f"costs.py: {plugin}: no KMLSYM lines (run the plugin with syms=System.map)")
    ends = [m[1] for m in marks if m[0] == "E"]
    runs = parse_runs(serial)
    if sum(len(r["w"]) for r in runs) != len(ends):
        raise SystemExit("costs.py: the guest's regions and the plugin's do not match")
    acc, nruns, k = {}, {}, 0
    for r in runs:
        key = (r["name"], r["mode"])
        for w in r["w"]:
            if r["kind"] == "batch":
                d = acc.setdefault(key, {})
                for name, n in syms.get(ends[k], {}).items():
                    d[name] = d.get(name, 0.0) + w * n / r["ops"]
            k += 1
        if r["kind"] == "batch":
            nruns[key] = nruns.get(key, 0) + 1
    return {key: {name: v / nruns[key] for name, v in d.items()} for key, d in acc.items()}


def has_syms(plugin):
    with open(plugin, errors="replace") as f:
        return any(line.startswith("KMLSYM ") for line in f)


def profile_of(profs, serial, bench, mode):
    if (bench, mode) not in profs:
        raise SystemExit(f"costs.py: no batch of {bench} in mode {mode} in {serial}")
    return profs[(bench, mode)]


def per_op(serial, plugin):
    """{(name, mode): {"insns": x, class: x, ..., "runs": n}}, classes."""
    classes, marks = parse_plugin(plugin)
    regs = regions(classes, marks)
    runs = parse_runs(serial)
    need = sum(len(r["w"]) for r in runs)
    if need != len(regs):
        raise SystemExit(f"costs.py: the guest reported {need} regions, the plugin saw {len(regs)}")
    acc, k = {}, 0
    for r in runs:
        insns, cnt = 0.0, [0.0] * len(classes)
        for w in r["w"]:
            ri, rc = regs[k]
            k += 1
            insns += w * ri
            cnt = [a + w * b for a, b in zip(cnt, rc)]
        if r["kind"] != "batch":
            continue
        d = {"insns": insns / r["ops"]}
        for c, v in zip(classes, cnt):
            d[c] = v / r["ops"]
        acc.setdefault((r["name"], r["mode"]), []).append(d)
    res = {}
    for key, ds in acc.items():
        res[key] = {f: statistics.median(d[f] for d in ds) for f in ds[0]}
        res[key]["runs"] = len(ds)
    return res, [c for c in classes if c != "plain"]


def write_counts(res, classes, path, label):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["label", "benchmark", "mode", "insns"] + classes)
        for (name, mode), d in sorted(res.items()):
            w.writerow([label, name, mode, f"{d['insns']:.2f}"] + [f"{d[c]:.3f}" for c in classes])


def show(res, classes):
    for (name, mode), d in sorted(res.items()):
        nz = " ".join(f"{c}={d[c]:.2f}" for c in classes if d[c] >= 0.005)
        print(f"{name:16s} {mode:10s} insns={d['insns']:9.1f} {nz}")


def read_tsv(path):
    """(rows {class: (cycles, source)}, cpu, reference) of a cost table."""
    rows, cpu, ref = {}, "", None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# cpu\t"):
                cpu = line.split("\t", 1)[1]
                continue
            if not line.strip() or line.startswith("#"):
                continue
            w = line.split("\t")
            if w[0] == "@reference":
                ref = (w[1], dict(x.split("=") for x in w[2].split()))
                continue
            rows[w[0]] = (float(w[1]), w[2] if len(w) > 2 else "")
    return rows, cpu, ref


def load_table(path):
    """{class: cycles} of a complete table (with "plain")."""
    rows, _, _ = read_tsv(path)
    if "plain" not in rows:
        raise SystemExit(f"costs.py: {path} has no cost for 'plain' (make it with 'costs.py table')")
    return {c: v for c, (v, _) in rows.items()}


def table_cpu(path):
    return read_tsv(path)[1]


def complete_table(measured, literature):
    m, cpu, _ = read_tsv(measured)
    lit, _, ref = read_tsv(literature)
    rows = dict(lit)
    rows.update(m)
    if ref is None:
        raise SystemExit(f"costs.py: {literature} has no @reference line")
    name, counts = ref
    if name not in rows:
        raise SystemExit(f"costs.py: {measured} has no {name}: cannot derive the plain cost")
    total = rows[name][0]
    insns = float(counts["insns"])
    costly = sum(float(v) * rows[c][0] for c, v in counts.items() if c != "insns")
    ncostly = sum(float(v) for c, v in counts.items() if c != "insns")
    plain = (total - costly) / (insns - ncostly)
    if plain <= 0:
        raise SystemExit(f"costs.py: the classes of {name} cost more ({costly:.0f}) than the "
                         f"whole round trip ({total:.0f}): check the table")
    print(f"# cpu\t{cpu}")
    print("# class\tcycles\tsource")
    print(f"plain\t{plain:.3f}\tderived: ({name} {total:.0f} - its classes {costly:.0f}) / "
          f"{insns - ncostly:.0f} plain instructions of the reference path")
    for c in sorted(rows):
        print(f"{c}\t{rows[c][0]:g}\t{rows[c][1]}")


def modeled(d, classes, table):
    """Cycles of one operation: classes at their cost, the rest at plain's."""
    costly = sum(d[c] for c in classes)
    cyc = (d["insns"] - costly) * table["plain"]
    for c in classes:
        cyc += d[c] * table.get(c, table["plain"])
    return cyc


def check(res, classes, expect, label):
    """expect lines: name mode class op value [when]; op is == <= >=;
    value is a number or @region/mode[+k] (that region's count of the
    class, plus k); a line with "when" counts only where LABEL has it
    ("!when": where it has not)."""
    passed = failed = 0
    with open(expect) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            w = line.split()
            name, mode, cls, op = w[0], w[1], w[2], w[3]
            if len(w) > 5 and (w[5][1:] in label if w[5][0] == "!" else w[5] not in label):
                continue
            if w[4].startswith("@"):
                ref, _, plus = w[4][1:].partition("+")
                rkey = tuple(ref.split("/", 1))
                if rkey not in res or cls not in res[rkey]:
                    failed += 1
                    print(f"FAIL  {label}  costs/{name} ({mode}): {cls} {op} {w[4]}: no region {ref}")
                    continue
                val = res[rkey][cls] + float(plus or 0)
            else:
                val = float(w[4])
            key = (name, mode)
            what = f"costs/{name} ({mode}): {cls} {op} {w[4]} per operation"
            if key not in res:
                failed += 1
                print(f"FAIL  {label}  {what}: no such region measured")
                continue
            got = res[key].get(cls)
            if got is None:
                failed += 1
                print(f"FAIL  {label}  {what}: unknown class")
                continue
            # Counts are per operation, means over 1000: a timer interrupt
            # in the region adds a few hundredths; allow 0.05.
            ok = {"==": abs(got - val) <= 0.05, "<=": got <= val + 0.05,
                  ">=": got >= val - 0.05}[op]
            if ok:
                passed += 1
                print(f"PASS  {label}  {what} (measured {got:.2f}{'' if w[4][0] != '@' else f', there {val:.2f}'})")
            else:
                failed += 1
                print(f"FAIL  {label}  {what}: measured {got:.2f}{'' if w[4][0] != '@' else f', there {val:.2f}'}")
    print(f"SUMMARY passed={passed} failed={failed} xfail=0 skipped=0")
    return failed == 0


def main(argv):
    if len(argv) >= 3 and argv[0] == "counts":
        res, classes = per_op(argv[1], argv[2])
        label = "-"
        if "--label" in argv:
            label = argv[argv.index("--label") + 1]
        if "--csv" in argv:
            write_counts(res, classes, argv[argv.index("--csv") + 1], label)
        show(res, classes)
        return 0
    if len(argv) == 5 and argv[0] == "check":
        try:
            res, classes = per_op(argv[1], argv[2])
        except SystemExit as e:
            print(f"FAIL  {argv[4]}  costs: {e}")
            print("SUMMARY passed=0 failed=1 xfail=0 skipped=0")
            return 1
        return 0 if check(res, classes, argv[3], argv[4]) else 1
    if len(argv) >= 6 and argv[0] == "bench":
        pti, serial, plugin, tables = argv[1], argv[3], argv[4], argv[5:]
        res, classes = per_op(serial, plugin)
        loaded = [(os.path.basename(t).rsplit(".", 1)[0], load_table(t)) for t in tables]
        for (name, mode), d in sorted(res.items()):
            print(f"{name},{mode},{pti},plugin_instructions_per_op,{d['insns']:.1f}")
            for c in classes:
                if d[c] >= 0.005:
                    print(f"{name},{mode},{pti},count_{c}_per_op,{d[c]:.3f}")
            for i, (tn, t) in enumerate(loaded):
                metric = "modeled_cycles_per_op" + ("" if i == 0 else "@" + tn)
                print(f"{name},{mode},{pti},{metric},{modeled(d, classes, t):.1f}")
        # With a profile (syms=): the share of the instructions that ran
        # in the kernel's half, everything but "[user]" (under -icount,
        # the system time's share).
        if has_syms(plugin):
            for (name, mode), prof in sorted(profiles(serial, plugin).items()):
                total = sum(prof.values())
                if total > 0:
                    share = (total - prof.get("[user]", 0.0)) / total
                    print(f"{name},{mode},{pti},kernel_share,{share:.4f}")
        return 0
    if len(argv) >= 4 and argv[0] == "demo":
        res, classes = per_op(argv[1], argv[2])
        tables = [(read_tsv(t)[1] or os.path.basename(t), load_table(t)) for t in argv[3:]]
        paths = [("bin", "", "/bin, SYSCALL"), ("trusted", "", "/trusted, SYSCALL"),
                 ("trusted", "direct_", "/trusted, direct call")]
        ops = [("getpid", "getpid"), ("read", "read 1 byte"), ("write", "write 1 byte")]
        names = " / ".join(n.split(",")[0] for n, _ in tables)
        print(f"  {'':24s}" + "".join(f"{t:>24s}" for _, t in ops))
        print(f"  {'':24s}" + f"{'insns  cycles':>24s}" * len(ops) + f"   (cycles: {names})")
        for mode, pre, label in paths:
            if (pre + "getpid", mode) not in res:
                continue
            line = f"  {label:24s}"
            for op, _ in ops:
                d = res.get((pre + op, mode))
                if not d:
                    line += f"{'n/a':>24s}"
                    continue
                cyc = " / ".join(f"{modeled(d, classes, t):.0f}" for _, t in tables)
                line += f"{d['insns']:>12.0f}  {cyc:>10s}"
            print(line)
        print("\n  Costly instructions per getpid, counted:")
        for mode, pre, label in paths:
            d = res.get((pre + "getpid", mode))
            if d:
                costly = ", ".join(f"{c} {d[c]:.0f}" for c in classes if d[c] >= 0.5)
                print(f"    {label + ':':24s}{costly}")
        print()
        b = res.get(("getpid", "bin"))
        t = res.get(("getpid", "trusted"))
        dd = res.get(("direct_getpid", "trusted"))
        if b and t:
            for name, tab in tables:
                sb = modeled(b, classes, tab)
                msg = f"  Modeled on {name}: a getpid from /trusted costs {modeled(t, classes, tab) / sb:.2f}x"
                if dd:
                    msg += f", through the direct call {modeled(dd, classes, tab) / sb:.2f}x,"
                print(msg + " what it costs from /bin.")
        return 0
    if len(argv) == 4 and argv[0] == "targets":
        res, classes = per_op(argv[1], argv[2])
        rows, cpu, _ = read_tsv(argv[3])
        base = {c: v for c, (v, _) in rows.items()}
        ranges = {}
        for c, (v, src) in rows.items():
            m = re.search(r"range ([0-9.]+)-([0-9.]+)", src)
            if m:
                ranges[c] = (float(m.group(1)), float(m.group(2)))
        targets = [
            ("/trusted SYSCALL getpid / stock", ("syscall_getpid", "trusted"), ("syscall_getpid", "normal"), 0.7),
            ("direct getpid / stock", ("direct_getpid", "trusted"), ("syscall_getpid", "normal"), 0.4),
            ("/trusted SYSCALL read / stock", ("syscall_read", "trusted"), ("syscall_read", "normal"), None),
            ("direct read / stock", ("direct_read", "trusted"), ("syscall_read", "normal"), None),
            ("pipe KML<->KML / normal<->normal", ("pipe_trusted", "trusted"), ("pipe_bin", "normal"), 1.02),
            ("pipe KML<->normal / normal<->normal", ("pipe_bin", "trusted"), ("pipe_bin", "normal"), 1.10),
            ("sched_yield /trusted / stock", ("yield_self", "trusted"), ("yield_self", "normal"), None),
        ]
        variants = [("table", base)]
        if ranges:
            variants.append(("estimates low", dict(base, **{c: lo for c, (lo, hi) in ranges.items()})))
            variants.append(("estimates high", dict(base, **{c: hi for c, (lo, hi) in ranges.items()})))
        print(f"# modeled with {argv[3]} ({cpu}); estimated classes: {', '.join(sorted(ranges))}")
        print(f"{'ratio':38s} {'target':>7s}" + "".join(f"{n:>16s}" for n, _ in variants))
        for name, a, b, goal in targets:
            if a not in res or b not in res:
                continue
            cells = []
            for _, t in variants:
                cells.append(f"{modeled(res[a], classes, t) / modeled(res[b], classes, t):.3f}")
            g = f"<= {goal}" if goal else ""
            print(f"{name:38s} {g:>7s}" + "".join(f"{c:>16s}" for c in cells))
        return 0
    if len(argv) >= 3 and argv[0] == "profile":
        top = 40
        if "--top" in argv:
            i = argv.index("--top")
            top = int(argv[i + 1])
            argv = argv[:i] + argv[i + 2:]
        runs = []
        for spec in argv[2:4]:
            serial, plugin, mode = spec.split(":", 2)
            runs.append(profile_of(profiles(serial, plugin), serial, argv[1], mode))
        if len(runs) == 1:
            p = runs[0]
            print(f"# {argv[1]}: instructions per operation by function, total {sum(p.values()):.1f}")
            for name, v in sorted(p.items(), key=lambda x: -abs(x[1]))[:top]:
                print(f"{v:10.1f}  {name}")
            return 0
        a, b = runs
        names = set(a) | set(b)
        d = {n: b.get(n, 0.0) - a.get(n, 0.0) for n in names}
        print(f"# {argv[1]}: instructions per operation, {sum(a.values()):.1f} -> {sum(b.values()):.1f} "
              f"({sum(d.values()):+.1f}); the largest differences by function")
        print(f"{'first':>10s} {'second':>10s} {'diff':>9s}  function")
        for n in sorted(names, key=lambda x: -abs(d[x]))[:top]:
            print(f"{a.get(n, 0.0):10.1f} {b.get(n, 0.0):10.1f} {d[n]:+9.1f}  {n}")
        return 0
    if len(argv) == 4 and argv[0] == "paths":
        serial, plugin, label = argv[1:]
        # The stock SYSCALL entry's own code (do_syscall_64() and what it
        # calls are shared: KML's generic entry runs them too).
        stock = {"entry_SYSCALL_64", "entry_SYSCALL_64_after_hwframe",
                 "syscall_return_via_sysret", "entry_SYSRETQ_unsafe_stack",
                 "entry_SYSRETQ_end"}
        checks = [(f"{k}_{op}", mode) for op in ("getpid", "read", "write")
                  for k, mode in (("syscall", "normal"), ("syscall", "trusted"), ("direct", "trusted"))]
        passed = failed = 0
        try:
            profs = profiles(serial, plugin)
        except SystemExit as e:
            profs, err = None, e
        for name, mode in checks:
            try:
                if profs is None:
                    raise err
                p = profile_of(profs, serial, name, mode)
            except SystemExit as e:
                print(f"FAIL  {label}  paths/{name} ({mode}): {e}")
                failed += 1
                continue
            # a function that ran at least once per operation
            ran = {f for f, v in p.items() if v >= 0.99}
            kml = sorted(f for f in ran if "kml" in f)
            st = sorted(ran & stock)
            if mode == "normal":
                ok = "entry_SYSCALL_64" in ran and not kml
                what = f"stock entry: {', '.join(st) or 'none'}; KML code: {', '.join(kml) or 'none'}"
            else:
                ok = not st and any(f.startswith("entry_") for f in kml)
                what = f"KML entry code: {', '.join(kml) or 'none'}; stock entry: {', '.join(st) or 'none'}"
            print(f"{'PASS' if ok else 'FAIL'}  {label}  paths/{name} ({mode}): {what}")
            passed += ok
            failed += not ok
        print(f"SUMMARY passed={passed} failed={failed} xfail=0 skipped=0")
        return 0 if not failed else 1
    if len(argv) == 3 and argv[0] == "table":
        complete_table(argv[1], argv[2])
        return 0
    if len(argv) == 3 and argv[0] == "model":
        table = load_table(argv[2])
        with open(argv[1]) as f:
            rows = list(csv.DictReader(f))
        classes = [c for c in rows[0].keys() if c not in ("label", "benchmark", "mode", "insns")] if rows else []
        print("label,benchmark,mode,insns,modeled_cycles")
        for r in rows:
            d = {c: float(r[c]) for c in classes + ["insns"]}
            print(f"{r['label']},{r['benchmark']},{r['mode']},{d['insns']:.1f},{modeled(d, classes, table):.1f}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
