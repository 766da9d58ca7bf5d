#!/usr/bin/python3
"""Copies the `lwpwatch capture` bundles of a finished VM run into the repo's replay fixtures.

    tests/integration/vm/import-captures.py [--commit SHA] /var/tmp/lwpwatch-vm/runs/<run>

For each kernel directory of the run: capture/ -> Fixtures/vm/<kernel>/, capture-localevents/ ->
Fixtures/vm/<kernel>-localevents/ (tests/LwpWatch.Daemon.Tests/Fixtures/vm), each with a SOURCE.md written
from the bundle's SOURCE.json (kernel, systemd, Debian package versions, mount options, date, the scenario's
zones and what they need). VmReplayTests replays every directory there. Existing fixtures of the same name
are replaced; commit the result with the commit id of the code that captured it in the message.
"""
import json
import os
import shutil
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DEST = os.path.join(REPO, "tests", "LwpWatch.Daemon.Tests", "Fixtures", "vm")


def source_md(name, src, bundle):
    p = src.get("packages") or {}
    zones = src.get("zones") or {}
    lines = [
        f"# {name}: `lwpwatch capture` on a real cgroup v2 host with systemd as PID 1",
        "",
        "Recorded by the VM suite (tests/integration/vm, `run.sh`): a qemu guest booted from Debian 12 packages only,",
        "the release tarball installed with install.sh, every workload of the scenarios stuck at its cap, then",
        f"`lwpwatch capture --polls {bundle.get('polls')} --interval 5s` as root in the guest. The files and command",
        "outputs below polls/ are what the kernel, systemd (its D-Bus replies, polls/*/bus.json) and docker answered.",
        "",
        f"- kernel: {src.get('kernel')} ({', '.join(src.get('kernel_packages') or [])})",
        f"- systemd: {src.get('systemd')}",
        "- Debian packages: " + ", ".join(f"{k} {v}" for k, v in p.items()),
        f"- docker: cgroup driver/version {src.get('docker')}",
        f"- cgroup2 mount options: {','.join(src.get('cgroup2_options') or [])}",
        f"- /sys/kernel/cgroup/features: {' '.join(src.get('cgroup_features') or [])}",
        f"- lwpwatch: {src.get('lwpwatch')}, built from commit {src.get('lwpwatch_commit') or COMMIT or 'unknown'} of this repository",
        f"- date: {src.get('date')}",
        "",
        "Zones of the scenarios (SOURCE.json has the same, for VmReplayTests) and the tasks each program needs:",
        "",
        "| copy | zone | unit | container | demand |",
        "|---|---|---|---|---|",
    ]
    for k, z in zones.items():
        c = z.get("container")
        lines.append(f"| {k} | `{z.get('zone')}` | {z.get('unit') or ''} | {c[1] + ' ' + c[0][:12] if c else ''} | {z.get('demand')} |")
    lines += ["",
              "Layout: docs/BUNDLE-FORMAT.md (files/ as read, files.json absences, commands.json, bus.json: the",
              "systemd Manager.ListUnits and Properties.GetAll replies as received over the system bus). The",
              "formats themselves: pids.max/current/peak/events(.local) as the kernel writes them (kernel",
              "Documentation/admin-guide/cgroup-v2.rst, kernel/cgroup/pids.c of the kernel named above),",
              "/proc/self/mountinfo (proc(5)), systemd's D-Bus API (org.freedesktop.systemd1(5), systemd 252).",
              "Nothing here was edited by hand: it is what the guest answered.",
              "",
              "See tests/integration/vm/README.md for what each workload does."]
    return "\n".join(lines) + "\n"


COMMIT = None


def main():
    global COMMIT
    args = sys.argv[1:]
    if args[:1] == ["--commit"]:   # for a run whose guest did not record it (SOURCE.json without lwpwatch_commit)
        COMMIT, args = args[1], args[2:]
    if len(args) != 1:
        sys.exit(__doc__)
    run = args[0]
    os.makedirs(DEST, exist_ok=True)
    for k in sorted(os.listdir(run)):
        kdir = os.path.join(run, k)
        if not os.path.isdir(kdir) or k.startswith("share-"):
            continue
        for cap, suffix in (("capture", ""), ("capture-localevents", "-localevents")):
            b = os.path.join(kdir, cap)
            if not os.path.exists(os.path.join(b, "bundle.json")):
                continue
            name = f"linux-{k}{suffix}"
            out = os.path.join(DEST, name)
            shutil.rmtree(out, ignore_errors=True)
            shutil.copytree(b, out)
            # git keeps no empty directory, and a recorded empty one is an answer (e.g. /run/systemd/system exists:
            # systemd is PID 1): an empty .gitkeep keeps it in a clone (the replay reads only what it is asked for).
            for d, subdirs, files in os.walk(out):
                if not subdirs and not files:
                    open(os.path.join(d, ".gitkeep"), "w").close()
            src = json.load(open(os.path.join(out, "SOURCE.json")))
            bundle = json.load(open(os.path.join(out, "bundle.json")))
            with open(os.path.join(out, "SOURCE.md"), "w") as f:
                f.write(source_md(name, src, bundle))
            size = sum(os.path.getsize(os.path.join(d, x)) for d, _, xs in os.walk(out) for x in xs)
            print(f"{out}: {bundle.get('polls')} polls, {size // 1024} KiB")


if __name__ == "__main__":
    main()
