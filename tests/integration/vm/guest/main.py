#!/usr/bin/python3
"""The VM scenarios, run inside the guest as root (systemd 252 is PID 1, cgroup v2) by lwpvm-runner.

Every check compares LwpWatch's output with what the kernel and systemd say in the same guest (pids.* files,
systemctl show, docker inspect) and is written to out/results.jsonl as PASS/FAIL/SKIP (NOTE lines explain);
raw outputs go to out/raw/. The host's judge.py applies known-defects.txt and counts.
"""
import json
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lwpvm  # noqa: E402
from lwpvm import V  # noqa: E402


def main():
    V.open()
    V.con(f"main.py start: kernel {os.uname().release}, scenarios {V.scenarios}")
    import scenarios  # noqa: E402
    ok = True
    for name in scenarios.ORDER:
        if name not in scenarios.ALWAYS and not V.wants(name):
            continue
        t = time.monotonic()
        try:
            getattr(scenarios, "scenario_" + name.replace("-", "_"))()
        except Exception:   # a crashed scenario is a failed check, and the others still run
            ok = False
            V.fail(f"{name}.crashed", traceback.format_exc()[-1500:])
        V.timing(f"scenario-{name}", time.monotonic() - t)
    V.timing("guest-total", lwpvm.uptime())
    V.con("main.py done")
    return 0 if ok else 3


if __name__ == "__main__":
    sys.exit(main())
