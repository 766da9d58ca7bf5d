#!/usr/bin/python3
"""Host side of the VM suite: turns each kernel's guest results into verdict lines and one summary line.

Every result the guest wrote (results.jsonl: {"check", "status": PASS|FAIL|SKIP|NOTE, "message"}) is matched
against known-defects.txt, the list of checks that are EXPECTED to fail because a defect is still open:
  FAIL + listed  -> XFAIL, counted as passed (the test still reproduces the defect)
  PASS + listed  -> XPASS, counted as FAILED: the defect is fixed, so its line must leave the list now
  listed, never reported by a run that finished -> STALE, counted as FAILED (a renamed check would rot)
A kernel whose VM did not finish, or a guest driver that crashed, is a failure too: nothing reads green
that did not run.

Usage: judge.py --known known-defects.txt RESULTS_DIR...   (one directory per kernel, as run.sh makes them)
Last line: "vm: N passed, N failed, N skipped".
"""
import fnmatch
import json
import os
import sys


def load_known(path):
    known = []   # (pattern, kernels or None, why)
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3:
            sys.exit(f"judge.py: {path}:{n}: want 'CHECK KERNELS WHY', got {line!r}")
        pat, kern, why = parts
        known.append((pat, None if kern == "*" else set(kern.split(",")), why))
    return known


def main():
    args = sys.argv[1:]
    known_path = None
    if args[:1] == ["--known"]:
        known_path, args = args[1], args[2:]
    known = load_known(known_path) if known_path else []
    passed = failed = skipped = 0
    lines = []

    def out(verdict, kernel, check, msg):
        lines.append(f"{verdict:5} [{kernel}] {check}: {msg}")

    for d in args:
        d = d.rstrip("/")
        kernel = open(os.path.join(d, "kernel-series")).read().strip() if os.path.exists(os.path.join(d, "kernel-series")) else os.path.basename(d)
        infra = os.path.join(d, "infra-error")
        if os.path.exists(infra):   # still report what the guest managed to check before it went
            out("FAIL", kernel, "vm.infrastructure", open(infra, errors="replace").read().strip())
            failed += 1
        rc_path = os.path.join(d, "main.rc")
        rc = open(rc_path).read().strip() if os.path.exists(rc_path) else "missing"
        finished = rc == "0"
        if not finished and not os.path.exists(infra):
            tail = ""
            if os.path.exists(os.path.join(d, "main.log")):
                tail = " | ".join(open(os.path.join(d, "main.log"), errors="replace").read().strip().splitlines()[-6:])
            out("FAIL", kernel, "vm.guest-driver", f"main.py rc={rc}; log tail: {tail}")
            failed += 1
        seen = set()
        results = []
        rpath = os.path.join(d, "results.jsonl")
        if os.path.exists(rpath):
            for raw in open(rpath, encoding="utf-8", errors="replace"):
                try:
                    results.append(json.loads(raw))
                except ValueError:
                    out("FAIL", kernel, "vm.results", f"unreadable line {raw[:120]!r}")
                    failed += 1
        for r in results:
            check, status, msg = r["check"], r["status"], r.get("message", "")
            if status == "NOTE":
                out("NOTE", kernel, check, msg)
                continue
            entry = next((k for k in known if fnmatch.fnmatchcase(check, k[0]) and (k[1] is None or kernel in k[1])), None)
            if entry:
                seen.add(entry[0])
            if status == "SKIP":
                out("SKIP", kernel, check, msg)
                skipped += 1
            elif status == "PASS" and entry:
                out("XPASS", kernel, check, f"passes now, so remove it from known-defects.txt ({entry[2]}): {msg}")
                failed += 1
            elif status == "PASS":
                out("PASS", kernel, check, msg)
                passed += 1
            elif entry:
                out("XFAIL", kernel, check, f"known defect ({entry[2]}): {msg}")
                passed += 1
            else:
                out("FAIL", kernel, check, msg)
                failed += 1
        sc = os.path.join(d, "scenarios")
        complete = finished and os.path.exists(sc) and open(sc).read().strip() == "all"
        if complete:
            for pat, kern, why in known:
                if (kern is None or kernel in kern) and pat not in seen:
                    out("STALE", kernel, pat, f"listed in known-defects.txt ({why}) but no such check ran: fix or remove the line")
                    failed += 1

    print("\n".join(lines))
    print(f"vm: {passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
