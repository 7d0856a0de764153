#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Split the overlay files along the exported series (patches/export.map).

The repo keeps every new kernel file whole.  The exported series adds
each piece together with the hook that makes it live, so a new file
grows over several patches.  patches/export.map says how:

  step ID hook=NNNN-name.patch   a hook patch of patches/series (its message
                                 is the commit's); the new lines given to ID
                                 join it
  step ID msg=export/NAME.msg    a commit that adds new lines only; the file
                                 holds its message (Subject: line, blank
                                 line, body)
  file PATH ID                   PATH is a new file; its lines belong to ID
                                 up to the first cut
  cut PATH ID [@-N] LINE         from the first line after the previous cut
                                 of PATH that is LINE (runs of blanks count
                                 as one; <blank> is an empty line), or N
                                 lines above it, PATH's lines belong to ID,
                                 up to the next cut

The file as of step k is its lines whose step comes no later than k, so
the last step gives the repo's file exactly.

  split-series.py check TOP                  the map covers every overlay file
  split-series.py steps TOP                  ID KIND ARG, one line a step
  split-series.py emit TOP ID DIR            the new files as of step ID, in DIR
  split-series.py regions TOP [PATH]         which lines go to which step
"""
import os
import sys


def die(msg):
    sys.stderr.write("split-series: %s\n" % msg)
    sys.exit(1)


def load(top):
    path = os.path.join(top, "patches", "export.map")
    steps, order, files = [], {}, {}
    cuts = {}
    for n, raw in enumerate(open(path), 1):
        line = raw.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        word = line.split(None, 1)[0]
        rest = line[len(word):].strip()
        where = "%s:%d" % (path, n)
        if word == "step":
            sid, spec = rest.split(None, 1)
            kind, arg = spec.split("=", 1)
            if kind not in ("hook", "msg") or sid in order:
                die("%s: bad or repeated step" % where)
            order[sid] = len(steps)
            steps.append((sid, kind, arg.strip()))
        elif word == "file":
            fpath, sid = rest.split()
            files[fpath] = sid
            cuts.setdefault(fpath, [])
        elif word == "cut":
            fpath, sid, text = rest.split(None, 2)
            back = 0
            if text.startswith("@-"):
                off, text = text.split(None, 1)
                back = int(off[2:])
            if fpath not in files:
                die("%s: cut of %s before its file line" % (where, fpath))
            cuts[fpath].append((sid, norm(text), back, where))
        else:
            die("%s: unknown keyword %s" % (where, word))
    for fpath, sid in files.items():
        if sid not in order:
            die("file %s: unknown step %s" % (fpath, sid))
        for cid, _, _, where in cuts[fpath]:
            if cid not in order:
                die("%s: unknown step %s" % (where, cid))
    return steps, order, files, cuts


def norm(text):
    """A line as cuts match it: blanks collapsed; <blank> is an empty line."""
    text = " ".join(text.split())
    return "" if text == "<blank>" else text


def owners(top, fpath, base, fcuts):
    """The file's lines, each with the step it belongs to."""
    lines = open(os.path.join(top, fpath)).read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    step = [base] * len(lines)
    i = 0
    for sid, text, back, where in fcuts:
        j = i
        while j < len(lines) and norm(lines[j]) != text:
            j += 1
        if j == len(lines):
            die("%s: %s has no line %r after line %d" % (where, fpath, text, i))
        if j - back < 0:
            die("%s: @-%d goes above the top of %s" % (where, back, fpath))
        for k in range(j - back, len(lines)):
            step[k] = sid
        # search on after the matched line
        i = j + 1
    return list(zip(step, lines))


def main():
    if len(sys.argv) < 3:
        die(__doc__)
    cmd, top = sys.argv[1], sys.argv[2]
    steps, order, files, cuts = load(top)
    if cmd == "check":
        overlay = os.path.join(top, "build", "src", ".kml", "overlay.list")
        want = set(open(overlay).read().split()) if len(sys.argv) < 4 else \
            set(open(sys.argv[3]).read().split())
        missing = want - set(files)
        extra = set(files) - want
        if missing or extra:
            die("overlay files not in the map: %s; in the map but not overlay files: %s"
                % (" ".join(sorted(missing)) or "none", " ".join(sorted(extra)) or "none"))
        for fpath in files:
            owners(top, fpath, files[fpath], cuts[fpath])
        for sid, kind, arg in steps:
            p = os.path.join(top, "patches", arg)
            if not os.path.isfile(p):
                die("step %s: %s missing" % (sid, p))
        print("map: %d steps, %d files, %d cuts" % (len(steps), len(files),
                                                   sum(len(c) for c in cuts.values())))
    elif cmd == "regions":
        # each run of lines of one step: step, first line number, length, text
        for fpath in sorted(files):
            if len(sys.argv) > 3 and fpath != sys.argv[3]:
                continue
            prev, start, first = None, 0, ""
            own = owners(top, fpath, files[fpath], cuts[fpath]) + [(None, "")]
            for n, (s, l) in enumerate(own):
                if s != prev:
                    if prev is not None:
                        print("%s:%d +%d %s: %s" % (fpath, start + 1, n - start, prev, first[:70]))
                    prev, start, first = s, n, l
    elif cmd == "steps":
        for sid, kind, arg in steps:
            print(sid, kind, arg)
    elif cmd == "emit":
        sid, outdir = sys.argv[3], sys.argv[4]
        if sid not in order:
            die("unknown step %s" % sid)
        k = order[sid]
        for fpath in sorted(files):
            keep = [l for s, l in owners(top, fpath, files[fpath], cuts[fpath])
                    if order[s] <= k]
            if not keep:
                continue
            dst = os.path.join(outdir, fpath)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "w") as f:
                f.write("\n".join(keep) + "\n")
            print(fpath)
    else:
        die("unknown command %s" % cmd)


if __name__ == "__main__":
    main()
