"""Guest-side toolkit of the VM scenarios: results, raw outputs, commands with time bounds, kernel and
systemd views. Python's standard library only (the guest has python3, nothing from pip)."""
import json
import os
import re
import shlex
import subprocess
import time
import urllib.error
import urllib.request

SHARE = "/mnt/lwpvm"
IN = SHARE + "/in"
OUT = SHARE + "/out"
RAW = OUT + "/raw"
CG = "/sys/fs/cgroup"


def uptime():
    with open("/proc/uptime") as f:
        return float(f.read().split()[0])


def read(path, default=None):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return default


class _V:
    """The one run: where results go and what was asked for."""

    scenarios = "all"
    kernel_series = "?"
    scale = 1

    def open(self):
        os.makedirs(RAW, exist_ok=True)
        self.scenarios = (read(IN + "/scenarios") or "all").strip()
        self.kernel_series = (read(IN + "/kernel-series") or "?").strip()
        # LWPWATCH_VM_TIMEOUT_SCALE (run.sh; 1 in CI): a guest on a busy host runs many times slower, so the
        # harness's own bounds (commands, waits) stretch with the installed config's (scenarios.scale_timeouts).
        self.scale = max(1, int((read(IN + "/timeout-scale") or "1").strip() or 1))
        with open(OUT + "/scenarios", "w") as f:
            f.write(self.scenarios + "\n")
        self._results = open(OUT + "/results.jsonl", "a", buffering=1)
        self._timings = open(OUT + "/timings.txt", "a", buffering=1)

    def wants(self, name):
        return self.scenarios == "all" or name in self.scenarios.split(",")

    def con(self, msg):
        line = f"[{uptime():7.1f}] {msg}"
        print(line, flush=True)
        try:
            with open("/dev/ttyS0", "w") as c:
                c.write(f"LWPVM: {line}\n")
        except OSError:
            pass

    # ---- results
    def result(self, check, status, message):
        self._results.write(json.dumps({"check": check, "status": status, "message": str(message)[:4000]}) + "\n")
        if status != "NOTE":
            self.con(f"{status} {check}: {str(message)[:300]}")

    def ok(self, check, cond, message):
        self.result(check, "PASS" if cond else "FAIL", message)
        return bool(cond)

    def fail(self, check, message):
        self.result(check, "FAIL", message)

    def skip(self, check, why):
        self.result(check, "SKIP", why)

    def note(self, name, message):
        self.result(name, "NOTE", message)

    def timing(self, name, secs):
        self._timings.write(f"{name} {secs:.1f}\n")
        self.con(f"time {name} = {secs:.1f} s")

    # ---- commands
    def run(self, name, argv, timeout=300, quiet=False):
        """Runs argv (no shell) with a time bound; stdout/stderr/"rc seconds" saved under raw/NAME."""
        t = time.monotonic()
        timeout *= self.scale
        try:
            p = subprocess.run(argv, capture_output=True, timeout=timeout)
            rc, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            rc, out, err = 124, e.stdout or b"", (e.stderr or b"") + f"\n(timed out after {timeout}s)".encode()
        except OSError as e:
            rc, out, err = 127, b"", str(e).encode()
        secs = time.monotonic() - t
        if name:
            for ext, data in (("out", out), ("err", err)):
                with open(f"{RAW}/{name}.{ext}", "wb") as f:
                    f.write(data)
            with open(f"{RAW}/{name}.rc", "w") as f:
                f.write(f"{rc} {secs:.1f}\n{shlex.join(argv)}\n")
            if not quiet:
                self.con(f"{name}: rc={rc} in {secs:.1f}s")
        return Result(rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), secs)

    def sh(self, name, script, timeout=300):
        return self.run(name, ["/bin/sh", "-c", script], timeout)

    def save(self, name, text):
        with open(f"{RAW}/{name}", "w") as f:
            f.write(text if isinstance(text, str) else json.dumps(text, indent=1))


class Result:
    def __init__(self, rc, out, err, secs):
        self.rc, self.out, self.err, self.secs = rc, out, err, secs

    def json(self):
        try:
            return json.loads(self.out)
        except ValueError:
            return None

    def __repr__(self):
        return f"rc={self.rc} ({self.secs:.1f}s) err={self.err.strip()[:300]!r}"


V = _V()


def wait_until(fn, timeout, interval=1.0):
    """fn() until it returns something truthy or timeout seconds (times V.scale) pass; returns the last value."""
    end = time.monotonic() + timeout * V.scale
    while True:
        v = fn()
        if v or time.monotonic() >= end:
            return v
        time.sleep(interval)


# ---- kernel view ----------------------------------------------------------------------------------
PIDS_FILES = ("pids.max", "pids.current", "pids.peak", "pids.events", "pids.events.local")


def pids(cgdir):
    """Every pids.* file of a cgroup directory, as the kernel prints it (None when absent)."""
    return {f: (read(f"{cgdir}/{f}") or "").strip() or None for f in PIDS_FILES}


def events_max(text):
    """'max 31\\n...' -> 31 (None when the file is absent)."""
    if text is None:
        return None
    m = re.search(r"^max (\d+)", text, re.M)
    return int(m.group(1)) if m else 0


def cap_of(p):
    v = p.get("pids.max")
    return None if v in (None, "max") else int(v)


def current_of(p):
    v = p.get("pids.current")
    return None if v is None else int(v)


def zone_id(path):
    """A cgroup path as LwpWatch names it (src/LwpWatch.Core/Model/CgroupName.cs, Escape): valid UTF-8 kept, the
    backslash and every byte that is not part of valid UTF-8 written \\xHH (lower-case hex)."""
    b, out, i = os.fsencode(path), [], 0
    while i < len(b):
        for n in (1, 2, 3, 4):
            try:
                ch = b[i:i + n].decode("utf-8")
                break
            except UnicodeDecodeError:
                ch = None
        if ch is None:
            out.append("\\x%02x" % b[i])
            i += 1
        else:
            out.append("\\x5c" if ch == "\\" else ch)
            i += n
    return "".join(out)


def cgroup2_options():
    for line in (read("/proc/self/mountinfo") or "").splitlines():
        left, _, right = line.partition(" - ")
        f = left.split()
        if len(f) > 4 and f[4] == CG and right.startswith("cgroup2 "):
            return right.split()[2].split(",")
    return []


# ---- systemd view ---------------------------------------------------------------------------------
SHOW = "Id,LoadState,ActiveState,SubState,Result,TasksCurrent,TasksMax,ControlGroup,MainPID,StateChangeTimestampMonotonic,NRestarts"


def show(unit, props=SHOW):
    r = V.run(None, ["systemctl", "show", unit, "-p", props])
    return dict(line.split("=", 1) for line in r.out.splitlines() if "=" in line)


def active_state(unit):
    return show(unit, "ActiveState").get("ActiveState")


# ---- the daemon's HTTP API ------------------------------------------------------------------------
API = "http://127.0.0.1:9781"


def http(path, timeout=20):
    try:
        with urllib.request.urlopen(API + path, timeout=timeout * V.scale) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (OSError, urllib.error.URLError) as e:
        return None, str(e)


def http_json(path, timeout=20):
    code, body = http(path, timeout)
    try:
        return code, json.loads(body) if code == 200 else None
    except ValueError:
        return code, None
