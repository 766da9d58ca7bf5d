"""The scenarios, in the order they run in one boot (see README.md for what each one proves).

One boot runs them all, batched: every workload is started first, so their waits (a unit must be stuck for
rules.capStarvation.stuckFor = 60 s before it is a cap-starvation) overlap instead of adding up. Each
workload group has COPIES with identical demand, one per printed hint: copy k receives the k-th hint of a
chosen source (check, explain or the daemon), so every printed hint is applied to a zone in the state it was
printed for, and must fix it.

Check names: <copy>.<what> (e.g. notify-2.hint-fixes), slice.* for the mkdir'ed parent, daemon.* for the
shipped unit, boot.* for the guest itself. known-defects.txt (host side) refers to these names.
"""
import concurrent.futures
import json
import os
import re
import shlex
import subprocess
import time

from lwpvm import (CG, IN, V, active_state, cap_of, cgroup2_options, current_of, events_max, http, http_json, pids, read,
                   show, uptime, wait_until, zone_id)

LW = "/usr/local/bin/lwpwatch"
RELEASE = "/opt/lwpvm-release"
LOAD = "/usr/local/bin/lwpvm-load"
ALWAYS = {"boot"}
# capture right after the daemon starts: every workload is stuck by then, and the bundles exist even if a
# later scenario runs out of time.
ORDER = ["boot", "workloads", "daemon-start", "capture", "observe", "localevents", "apply", "after", "daemon-lifecycle"]
FACTS = {}
WARN_RATIO = 0.85          # replaced by rules.nearCap.warning of the installed config in scenario_boot


# ---- the workloads ---------------------------------------------------------------------------------
class Copy:
    """One zone of a workload group: its name, where the kernel keeps it, what it needs, how it recovers."""

    def __init__(self, group, index, demand, source, hint_index, kind):
        self.group, self.index, self.demand = group, index, demand
        self.source, self.hint_index, self.kind = source, hint_index, kind
        self.name = f"{group}-{index}"
        self.unit = None          # systemd unit that owns the cgroup (None for the mkdir'ed slice)
        self.container = None     # docker: (id, name)
        self.cgdir = None         # /sys/fs/cgroup/...
        self.hints = {}           # source -> [hint, ...] for this zone
        self.ns = {}              # source -> {N, ...}
        self.notes = []           # notes LwpWatch printed with the hints (e.g. "needs: systemctl restart")

    @property
    def zone(self):
        """LwpWatch's zone id: the cgroup path in its lossless string form (CgroupName.Escape: a backslash, as in
        systemd's own "\\x2d", is written \\x5c), so systemd's escapes never turn into other bytes in a hint."""
        return zone_id(self.cgdir[len(CG):]) if self.cgdir else None

    def kernel(self):
        return pids(self.cgdir) if self.cgdir else {}


GROUPS = {}


def copies(*groups):
    """The copies that exist (a workload that could not start is one failed check, in scenario_workloads)."""
    return [c for g in (groups or GROUPS) for c in GROUPS.get(g, []) if c.cgdir]


def define_groups():
    # notify: Type=notify template instances (cgroup below system-lwpvm\x2dnotify.slice: a path that needs
    # quoting in sh), TasksMax=20, 50 threads wanted, retried every second: a raised cap alone fixes it.
    # Copies 1-2 get check's hints, copy 3 explain's first (explain once printed a different number).
    GROUPS["notify"] = [Copy("notify", 1, 51, "check", 0, "unit"), Copy("notify", 2, 51, "check", 1, "unit"),
                        Copy("notify", 3, 51, "explain", 0, "unit")]
    # early: stuck BEFORE the daemon starts: one round of 50 (31 refused in its first second), then it
    # waits; the daemon's first sample already holds every refusal. The daemon's hints are applied.
    GROUPS["early"] = [Copy("early", 1, 51, "daemon", 0, "unit"), Copy("early", 2, 51, "daemon", 1, "unit")]
    # watched: the same program started while the daemon watches (a new cgroup between two polls).
    GROUPS["watched"] = [Copy("watched", 1, 51, "daemon", 0, "unit"), Copy("watched", 2, 51, "daemon", 1, "unit")]
    # scope: systemd-run --scope -p TasksMax=30 of a program that wants 50 children, retried.
    GROUPS["scope"] = [Copy("scope", 1, 51, "check", 0, "scope"), Copy("scope", 2, 51, "check", 1, "scope")]
    # docker: --pids-limit 20, 50 threads wanted, retried; hints: docker update, and whatever else is printed.
    GROUPS["docker"] = [Copy("docker", i, 51, "check", i - 1, "container") for i in (1, 2, 3)]
    for cs in GROUPS.values():
        for c in cs:
            if c.kind == "unit":
                c.unit = f"lwpvm-notify@{c.index}.service" if c.group == "notify" else f"lwpvm-{c.name}.service"
            elif c.kind == "scope":
                c.unit = f"lwpvm-{c.name}.scope"


SLICE_DEMAND = 15


class Slice:
    """A mkdir'ed parent nothing in systemd knows, pids.max 10, with an unlimited child "inner" whose program
    wants 14 children: the cap is on the parent, the forks happen in the child."""

    def __init__(self, tag, path):
        self.tag, self.path = tag, path
        self.zone = path[len(CG):]
        self.hints = []

    def kernel(self):
        return {"parent": pids(self.path), "inner": pids(self.path + "/inner")}

    def create(self):
        if "pids" not in (read(CG + "/cgroup.subtree_control") or ""):
            open(CG + "/cgroup.subtree_control", "w").write("+pids")
        os.makedirs(self.path + "/inner", exist_ok=True)
        open(self.path + "/cgroup.subtree_control", "w").write("+pids")
        open(self.path + "/pids.max", "w").write("10")
        subprocess.Popen(["sh", "-c", f"echo $$ > {self.path}/inner/cgroup.procs && exec {LOAD} forks {SLICE_DEMAND - 1}"],
                         stdout=open(f"/mnt/lwpvm/out/raw/{self.tag}.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)

    def tree(self):
        """What a systemd takeover would change: the child's pids controller, its processes, the unit."""
        s = show(os.path.basename(self.path), "LoadState,ActiveState,ControlGroup")
        return {"subtree_control": (read(self.path + "/cgroup.subtree_control") or "").strip(),
                "inner_has_pids_max": os.path.exists(self.path + "/inner/pids.max"),
                # Whether the workload still runs in the child (a takeover moves it out); not how many: a hint that
                # fixes lets it fork more.
                "inner_has_procs": bool((read(self.path + "/inner/cgroup.procs") or "").split()),
                "systemd_active": s.get("ActiveState")}


SLICES = {"slice": Slice("slice", CG + "/test.slice")}


def write_unit(c, once):
    path = f"/etc/systemd/system/{'lwpvm-notify@.service' if c.group == 'notify' else c.unit}"
    with open(path, "w") as f:
        f.write(f"""[Unit]
Description=VM scenario {c.group}: Type=notify, needs 50 threads before READY=1, capped at TasksMax=20
[Service]
Type=notify
TasksMax=20
TimeoutStartSec=infinity
ExecStart={LOAD} threads 50{' --once' if once else ''}
""")


def start_units(group, once):
    for c in GROUPS[group]:
        write_unit(c, once)
    V.run(None, ["systemctl", "daemon-reload"])
    for c in GROUPS[group]:
        V.run(f"start-{c.name}", ["systemctl", "start", "--no-block", c.unit], quiet=True)


def at_cap(c):
    k = c.kernel()
    return k.get("pids.max") not in (None, "max") and current_of(k) == cap_of(k)


def locate_units(group):
    for c in GROUPS[group]:
        cgp = wait_until(lambda: show(c.unit, "ControlGroup").get("ControlGroup"), 60, 0.5)
        c.cgdir = CG + cgp if cgp else None


def scenario_boot():
    """The guest is what the suite needs, and the release tarball installs in it as documented."""
    global WARN_RATIO
    r = V.run("boot-system-running", ["systemctl", "is-system-running", "--wait"], timeout=180)
    V.timing("boot-settled-uptime", uptime())
    failed = V.run(None, ["systemctl", "--failed", "--plain", "--no-legend"]).out.strip()
    V.ok("boot.system-running", r.out.strip() == "running", f"{r.out.strip()}; failed units: {failed or 'none'}")
    pk = dict(line.split(" ", 1) for line in (read("/etc/lwpvm-packages") or "").splitlines() if " " in line)
    FACTS.update({
        "kernel": os.uname().release,
        "systemd": V.run(None, ["systemctl", "--version"]).out.splitlines()[0],
        "packages": {p: pk.get(p) for p in ("systemd", "dbus", "docker.io", "containerd", "runc", "python3")},
        "kernel_packages": sorted(p + " " + v for p, v in pk.items() if p.startswith("linux-image-6")),
        "cgroup2_options": cgroup2_options(),
        "cgroup_features": (read("/sys/kernel/cgroup/features") or "").split(),
        "controllers": (read(CG + "/cgroup.controllers") or "").split(),
        "pids_events_local": os.path.exists(CG + "/system.slice/pids.events.local"),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    })
    V.ok("boot.cgroup-v2-pids", "pids" in FACTS["controllers"], f"cgroup2 controllers: {FACTS['controllers']}")

    # The release tarball as a user unpacks it, then install.sh from inside lwpwatch-<version>/ as
    # docs/INSTALL.md says. run.sh hands it over gunzipped: gunzip under TCG costs half a minute, and copying
    # an unpacked tree file by file over 9p costs two.
    os.makedirs(RELEASE, exist_ok=True)
    un = V.run("boot-untar", ["tar", "-xf", IN + "/lwpwatch.tar", "-C", RELEASE])
    stage = next((RELEASE + "/" + d for d in sorted(os.listdir(RELEASE))), None)
    inst = V.run("boot-install", ["sh", "-c", f"cd {shlex.quote(stage)} && ./install.sh --no-start"])
    ver = V.run("boot-version", [LW, "--version"])
    V.ok("boot.install", un.rc == 0 and inst.rc == 0 and ver.rc == 0,
         f"tar {un}; {os.path.basename(stage)}: install.sh {inst} {inst.out.strip().splitlines()[-2:]}; lwpwatch --version: {ver.out.strip()}")
    FACTS["lwpwatch"] = ver.out.strip()
    FACTS["lwpwatch_commit"] = (read(IN + "/lwpwatch-commit") or "unknown").strip()
    scale_timeouts()
    m = re.search(r"nearCap:\s*\n(?:\s+#.*\n|\s+\w+:.*\n)*?\s+warning:\s*([\d.]+)", read("/etc/lwpwatch/lwpwatch.yaml") or "")
    WARN_RATIO = float(m.group(1)) if m else WARN_RATIO
    FACTS["nearCapWarning"] = WARN_RATIO
    V.save("facts.json", FACTS)
    V.note("boot.facts", json.dumps(FACTS))
    os.system(f"install -m 0755 {IN}/lwpvm-load {LOAD}")
    chk = V.run("boot-check-idle", [LW, "check", "--format", "json"])
    doc = chk.json() or {}
    zones = {z["id"]: z for z in doc.get("zones", [])}
    js = zones.get("/system.slice/systemd-journald.service")
    kp = pids(CG + "/system.slice/systemd-journald.service")
    V.ok("boot.idle-check", chk.rc in (0, 1) and js is not None and str(js.get("lwpLimit")) == kp["pids.max"],
         f"check {chk}, status={doc.get('status')}, {len(zones)} zones; journald zone {js} vs kernel {kp}")
    V.note("boot.lwpwatch-speed", f"one 'lwpwatch check' took {chk.secs:.1f}s in this guest")


def scale_timeouts():
    """LWPWATCH_VM_TIMEOUT_SCALE=K (run.sh; default 1 = the shipped config untouched): multiplies the time
    bounds of the installed config by K. For a guest on a host so busy that TCG runs it many times slower than
    the hardware those defaults are meant for (busctl alone then outlasts poll.collectorTimeout). CI runs 1."""
    k = int((read(IN + "/timeout-scale") or "1").strip() or 1)
    if k <= 1:
        return
    path = "/etc/lwpwatch/lwpwatch.yaml"
    text = read(path)
    for key in ("collectorTimeout", "commandTimeout", "budget"):
        text = re.sub(rf"^(\s+{key}:\s*)(\d+)s\b", lambda m: f"{m.group(1)}{int(m.group(2)) * k}s", text, flags=re.M)
    with open(path, "w") as f:
        f.write(text)
    r = V.run("boot-config-scaled", [LW, "config", "validate", "--config", path])
    # The unit's own start bound too (its first poll comes before READY=1); a drop-in, as an admin would do it.
    unit = read("/etc/systemd/system/lwpwatch.service") or ""
    m = re.search(r"^TimeoutStartSec=(\d+)s?$", unit, re.M)
    if m:
        os.makedirs("/etc/systemd/system/lwpwatch.service.d", exist_ok=True)
        with open("/etc/systemd/system/lwpwatch.service.d/lwpvm-timeout-scale.conf", "w") as f:
            f.write(f"[Service]\nTimeoutStartSec={int(m.group(1)) * k}s\n")
        V.run(None, ["systemctl", "daemon-reload"])
    V.note("boot.timeout-scale", f"time bounds x{k} in {path} and TimeoutStartSec x{k} (LWPWATCH_VM_TIMEOUT_SCALE): "
                                 f"validate {r} {r.out.strip()}")


def scenario_workloads():
    """Every workload that must be stuck before the daemon starts."""
    define_groups()
    t = time.monotonic()
    start_units("notify", once=False)
    start_units("early", once=True)
    for c in GROUPS["scope"]:
        subprocess.Popen(["systemd-run", "--scope", f"--unit={c.unit}", "-p", "TasksMax=30", LOAD, "forks", "50"],
                         stdout=open(f"/mnt/lwpvm/out/raw/{c.name}.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
    SLICES["slice"].create()
    start_docker()
    locate_units("notify")
    locate_units("early")
    locate_units("scope")
    # watched starts later, while the daemon watches (scenario_daemon_start checks it there)
    for c in [c for g, cs in GROUPS.items() if g != "watched" for c in cs if not c.cgdir]:
        V.fail(f"{c.name}.started", f"{c.unit or c.container}: no cgroup (see raw/ for its start)")
    everything = copies("notify", "early", "scope", "docker")
    waiting = wait_until(lambda: all(c.cgdir and at_cap(c) for c in everything) and pids(SLICES["slice"].path)["pids.current"] == "10", 180, 1)
    V.timing("workloads-at-cap", time.monotonic() - t)
    V.ok("boot.workloads-at-cap", waiting,
         "; ".join(f"{c.name}: {c.zone} {c.kernel().get('pids.current')}/{c.kernel().get('pids.max')}" for c in everything)
         + f"; slice: {SLICES['slice'].kernel()}")


def start_docker():
    """docker.io from Debian; the image is imported from this guest's own files (no registry, no network)."""
    r = V.run("docker-ready", ["sh", "-c", "systemctl start docker && docker info --format '{{.CgroupDriver}} {{.CgroupVersion}}'"], timeout=180)
    FACTS["docker"] = r.out.strip()
    img = V.run("docker-import", ["sh", "-c", f"tar -C / -c {LOAD[1:]} | docker import -c 'CMD [\"{LOAD}\", \"threads\", \"50\"]' - lwpvm/load:1"], timeout=180)
    def run(c):   # in parallel: one `docker run` takes a minute under TCG
        name = f"lwpvm-{c.name}"
        c.docker_run = V.run(f"docker-run-{c.index}", ["docker", "run", "-d", "--name", name, "--network", "none", "--pids-limit", "20",
                                                       "lwpvm/load:1", LOAD, "threads", "50"], timeout=300)
        cid = c.docker_run.out.strip() if c.docker_run.rc == 0 else None
        c.container = (cid, name)
        c.cgdir = f"{CG}/system.slice/docker-{cid}.scope" if cid else None
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        list(pool.map(run, GROUPS["docker"]))
    V.ok("boot.docker", r.rc == 0 and img.rc == 0 and all(c.container[0] for c in GROUPS["docker"]),
         f"docker: {r.out.strip()} {r.err.strip()[:200]}; import {img}; "
         + "; ".join(f"{c.container[1]}: {c.docker_run}" for c in GROUPS["docker"]))


# ---- the daemon, as shipped ------------------------------------------------------------------------
DAEMON = {}


def scenario_daemon_start():
    """lwpwatch.service installed by install.sh: READY only after its first poll."""
    t = time.monotonic()
    r = V.run("daemon-start", ["systemctl", "start", "lwpwatch.service"], timeout=120)
    DAEMON["start_secs"] = time.monotonic() - t
    code, zones = http_json("/api/v1/zones")
    s = show("lwpwatch.service", "ActiveState,SubState,StatusText,MainPID,WatchdogUSec,NRestarts")
    V.ok("daemon.ready-after-first-poll", r.rc == 0 and s.get("ActiveState") == "active" and code == 200 and zones and zones.get("zones"),
         f"systemctl start {r} in {DAEMON['start_secs']:.1f}s (returns at READY=1); right then /api/v1/zones: {code}, "
         f"{len((zones or {}).get('zones', []))} zones taken at {(zones or {}).get('takenAt')}; {s}")
    DAEMON["pid"] = s.get("MainPID")
    DAEMON["wd"] = [(time.monotonic(), show("lwpwatch.service", "WatchdogTimestampMonotonic").get("WatchdogTimestampMonotonic"))]
    # watched: stuck while the daemon watches (a cgroup the daemon has not seen yet, refused in its first second)
    time.sleep(16)      # let the daemon complete a poll without them (poll.interval is 15 s)
    start_units("watched", once=True)
    locate_units("watched")
    for c in [c for c in GROUPS["watched"] if not c.cgdir]:
        V.fail(f"{c.name}.started", f"{c.unit}: no cgroup")
    wait_until(lambda: all(c.cgdir and at_cap(c) for c in GROUPS["watched"]), 60, 0.5)


def daemon_findings():
    code, doc = http_json("/api/v1/findings")
    return doc if code == 200 else None


def daemon_denials(zid):
    """The refusals the daemon's last poll saw in zone zid (0 if it has not seen the zone)."""
    code, doc = http_json("/api/v1/zones")
    zone = next((z for z in (doc or {}).get("zones", []) if z.get("id") == zid), None) if code == 200 else None
    return (zone or {}).get("denials") or 0


def cap_starving(doc, c):
    return any(f["rule"] == "cap-starvation" and f["zone"] == c.zone for f in (doc or {}).get("findings", []))


def scenario_observe():
    """Every tool's view while everything is stuck: the kernel's, check's, explain's, the daemon's."""
    t = time.monotonic()
    units = copies("notify", "early", "watched")
    doc = wait_until(lambda: (lambda d: d if d and all(cap_starving(d, c) for c in units) else None)(daemon_findings()), 240, 5)
    V.timing("daemon-diagnosis-wait", time.monotonic() - t)
    d = daemon_findings()
    V.ok("daemon.diagnoses-every-stuck-unit", doc is not None,
         "cap-starvation on " + ", ".join(f"{c.name}={cap_starving(d, c)}" for c in units))

    everything = copies()
    before = {c.name: c.kernel() for c in everything}
    sl = SLICES["slice"]
    before_slice = sl.kernel()
    chk = V.run("observe-check", [LW, "check", "--format", "json"])
    after = {c.name: c.kernel() for c in everything}
    after_slice = sl.kernel()
    cdoc = chk.json() or {}
    V.ok("observe.check-critical", chk.rc == 2 and cdoc.get("status") == "critical", f"check {chk} status={cdoc.get('status')}")
    ddoc = daemon_findings() or {}
    V.save("observe-daemon-findings.json", ddoc)
    _, alerts = http_json("/api/v1/alerts")
    V.save("observe-alerts.json", alerts or {})
    evidence = {}
    for f in ddoc.get("findings", []):
        eid = (f.get("evidence") or {}).get("evidenceId")
        if eid and eid not in evidence:
            code, body = http_json(f"/api/v1/evidence/{eid}")
            evidence[eid] = body
    V.save("observe-evidence.json", evidence)
    code, met = http("/metrics")
    V.save("observe-metrics.txt", met or "")
    DAEMON["metrics"], DAEMON["findings"], DAEMON["evidence"], DAEMON["alerts"] = met or "", ddoc, evidence, alerts or {}

    # explain: for the copies that apply its hint and for copy 1 of every group (copies are identical), two
    # at a time (the guest has two vCPUs; each explain is three polls a second apart plus its start-up).
    want = [c for c in everything if c.zone and (c.source == "explain" or c.index == 1)]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        text = pool.submit(V.run, "observe-explain-text", [LW, "explain", GROUPS["notify"][0].zone])
        ex = dict(zip([c.name for c in want], pool.map(
            lambda c: V.run(f"observe-explain-{c.name}", [LW, "explain", c.zone, "--format", "json"], quiet=True).json(), want)))
        text.result()
    for c in everything:
        e = ex.get(c.name)
        c.hints = {
            "check": hints_of(cdoc, c.zone),
            "explain": None if e is None and c.name not in ex else
            explain_hints(e, c.zone),
            "daemon": hints_of(ddoc, c.zone),
            "alert": distinct([h for a in (alerts or {}).get("alerts", []) if a.get("zone") == c.zone and a.get("state") == "firing"
                               for h in (a.get("hints") or [])]),
            "evidence": distinct([h for f in ddoc.get("findings", []) if f["zone"] == c.zone
                                  for h in all_hints(evidence.get((f.get("evidence") or {}).get("evidenceId")))]),
        }
        if c.hints["explain"] is None:
            del c.hints["explain"]
        c.notes = [n for doc_ in (cdoc, ddoc) for f in doc_.get("findings", []) if f["zone"] == c.zone
                   for n in ((f.get("evidence") or {}).get("notes") or [])]
        c.ns = {s: {n for n in map(hint_n, hs) if n is not None} for s, hs in c.hints.items()}
        judge_zone(c, cdoc, before[c.name], after[c.name])
        judge_hints(c)
    judge_slice(sl, "slice", cdoc, before_slice, after_slice, FACTS["cgroup2_options"])
    slice_hints(sl, cdoc, ddoc)
    judge_daemon_views(ddoc, evidence)


def distinct(xs):
    out = []
    for x in xs:
        if x not in out:
            out.append(x)
    return out


def explain_hints(doc, zone):
    """explain --format json: {"target", "zones": [{"id", "fix": [...], "findings": [{"hints": [...]}, ...]}]}."""
    zs = [z for z in (doc or {}).get("zones", []) if z.get("id") == zone]
    return distinct([h for z in zs for h in (z.get("fix") or [])] + [h for z in zs for f in z.get("findings") or [] for h in f.get("hints") or []])


def hints_of(doc, zone):
    return distinct([h for f in (doc or {}).get("findings", []) if f["zone"] == zone for h in (f.get("hints") or [])])


def all_hints(obj):
    """Every string in a 'hints' array anywhere in a JSON document (evidence bundles nest them)."""
    found = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("hints", "fix") and isinstance(v, list):
                found += [h for h in v if isinstance(h, str)]
            else:
                found += all_hints(v)
    elif isinstance(obj, list):
        for v in obj:
            found += all_hints(v)
    return found


def hint_n(h):
    m = re.search(r"TasksMax=(\d+)|--pids-limit[= ](\d+)|^echo (\d+) >", h)
    return int(next(g for g in m.groups() if g)) if m else None


def zone_of(doc, zid):
    return next((z for z in (doc or {}).get("zones", []) if z["id"] == zid), None)


def findings_of(doc, zid, rule=None):
    return [f for f in (doc or {}).get("findings", []) if f["zone"] == zid and (rule is None or f["rule"] == rule)]


def judge_zone(c, cdoc, kb, ka):
    """check's zone against the kernel's files read just before and just after it."""
    z = zone_of(cdoc, c.zone)
    if not V.ok(f"{c.name}.zone", z is not None, f"{c.zone} in check's zones" if z else f"no zone {c.zone}"):
        return
    cur = {current_of(kb), current_of(ka)}
    lo, hi = events_max(kb.get("pids.events")), events_max(ka.get("pids.events"))
    V.ok(f"{c.name}.zone-matches-kernel",
         z["lwps"] in cur and z["lwpLimit"] == cap_of(kb) and lo is not None and lo <= (z.get("denials") or 0) <= hi,
         f"check: lwps={z['lwps']} lwpLimit={z['lwpLimit']} denials={z.get('denials')}; kernel: pids.current {sorted(cur)}, "
         f"pids.max {kb.get('pids.max')}, pids.events max {lo}..{hi}")
    if c.kind == "container":
        cid, name = c.container
        text = json.dumps(z) + json.dumps(findings_of(cdoc, c.zone))
        V.ok(f"{c.name}.names-container", name in text and cid[:12] in text,
             f"container {name} ({cid[:12]}): zone {z}; summaries {[f['summary'] for f in findings_of(cdoc, c.zone)]}")
        dh = [h for h in c.hints["check"] if shlex.split(h)[:3] == ["docker", "update", "--pids-limit"]]
        V.ok(f"{c.name}.docker-hint", any(shlex.split(h)[4:] in ([cid], [name], [cid[:12]]) for h in dh),
             f"docker update hints: {dh}; all: {c.hints['check']}")
    if c.kind in ("unit", "scope"):
        V.ok(f"{c.name}.names-unit", z.get("name") == c.unit or c.unit in json.dumps(findings_of(cdoc, c.zone)),
             f"zone name {z.get('name')!r}, unit {c.unit}")
    if c.group in ("notify", "early", "watched"):
        cs = findings_of(cdoc, c.zone, "cap-starvation")
        # One cap-starvation per starved zone: its fingerprint (so its page) carries no service since dfb707c (a
        # second stuck service must not open a second incident); the unit and its stuck services are in the evidence.
        ev = (cs[0].get("evidence") or {}) if cs else {}
        V.ok(f"{c.name}.check-cap-starvation", len(cs) == 1 and ev.get("unit") == c.unit and cs[0]["severity"] == "critical",
             f"{[(f['rule'], f['severity'], f.get('service')) for f in findings_of(cdoc, c.zone)]}")


def judge_hints(c):
    """One number everywhere, big enough for the demand, and every hint safe to paste."""
    V.save(f"hints-{c.name}.json", c.hints)
    sources = {s: sorted(ns) for s, ns in c.ns.items() if ns}
    allns = set().union(*c.ns.values())
    V.ok(f"{c.name}.same-n", len(allns) == 1,
         f"N per source: {sources} (check, explain, the daemon's finding, its alert and its evidence must agree)")
    for s in ("check", "explain", "daemon"):
        if s in c.hints and not c.hints[s]:
            V.fail(f"{c.name}.{s}-hints", f"no hint from {s} for {c.zone}")
    n = min(allns) if allns else None
    V.ok(f"{c.name}.hint-headroom", n is not None and c.demand / n < WARN_RATIO,
         f"demand {c.demand} tasks; smallest N printed {n}: {c.demand}/{n} = {c.demand / n if n else 0:.2f} "
         f"(must stay below nearCap.warning {WARN_RATIO} once applied)")
    bad = []
    for h in distinct([h for hs in c.hints.values() for h in hs]):
        try:
            argv = shlex.split(h)
        except ValueError as e:
            bad.append(f"{h!r}: {e}")
            continue
        if h.startswith("echo ") and (len(argv) != 4 or argv[2] != ">" or argv[3] != c.cgdir + "/pids.max"):
            bad.append(f"{h!r} writes {argv[3:] if len(argv) > 3 else argv!r}, not {c.cgdir}/pids.max")
    V.ok(f"{c.name}.hints-paste-safe", not bad, "; ".join(bad) or f"{sum(len(v) for v in c.hints.values())} hints, each one sh word per id")


def slice_hints(sl, cdoc, ddoc):
    """Every hint check, explain and the daemon print for a mkdir'ed parent: only the pids.max write."""
    ex = V.run(f"explain-{sl.tag}", [LW, "explain", sl.zone, "--format", "json"], quiet=True).json() or {}
    sh = {"check": hints_of(cdoc, sl.zone), "daemon": hints_of(ddoc, sl.zone),
          "explain": explain_hints(ex, sl.zone)}
    V.save(f"hints-{sl.tag}.json", sh)
    sl.hints = distinct(sh["check"] + sh["explain"] + sh["daemon"])
    V.ok(f"{sl.tag}.no-systemctl-hint", sl.hints and not any(h.startswith("systemctl") for h in sl.hints),
         f"hints for {sl.zone}, a cgroup systemd does not own: {sh}")
    ns = {s: sorted({hint_n(h) for h in hs} - {None}) for s, hs in sh.items()}
    V.ok(f"{sl.tag}.same-n", len({n for v in ns.values() for n in v}) == 1, f"N per source: {ns}")


def judge_slice(sl, tag, cdoc, kb, ka, mount_options):
    """The mkdir'ed parent holds the cap: its refusals are its own under every counting semantics."""
    P, I = sl.zone, sl.zone + "/inner"
    local = "pids_localevents" in mount_options or kb["parent"].get("pids.events.local") is None
    if local:    # counted in the cgroup of the forking task: the subtree's pids.events, summed
        lo = events_max(kb["parent"]["pids.events"]) + events_max(kb["inner"]["pids.events"])
        hi = events_max(ka["parent"]["pids.events"]) + events_max(ka["inner"]["pids.events"])
    else:        # hierarchical: counted at the cgroup whose limit refused
        lo, hi = events_max(kb["parent"]["pids.events.local"]), events_max(ka["parent"]["pids.events.local"])
    sem = "local (pids_localevents)" if "pids_localevents" in mount_options else "local (no pids.events.local)" if local else "hierarchical"
    V.note(f"{tag}.kernel-view", f"semantics {sem}; parent {kb['parent']}; inner {kb['inner']}")
    z = zone_of(cdoc, P)
    V.ok(f"{tag}.denials-on-parent", z is not None and lo <= (z.get("denials") or 0) <= hi,
         f"{sem}: {P} denials={z and z.get('denials')} expected {lo}..{hi} from the kernel; zone {z}")
    fp, fi = findings_of(cdoc, P), findings_of(cdoc, I)
    V.ok(f"{tag}.parent-finding", any(f["rule"] == "fork-denied" for f in fp), f"{sem}: findings on {P}: {[(f['rule'], f['severity']) for f in fp]}")
    V.ok(f"{tag}.inner-not-blamed", not any(f["rule"] == "fork-denied" for f in fi),
         f"{sem}: findings on the unlimited child: {[(f['rule'], f['severity'], f['summary']) for f in fi]}")




def prom_unescape(v):
    """A label value of the Prometheus text format (expfmt: \\\\, \\" and \\n are the only escapes)."""
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def judge_daemon_views(ddoc, evidence):
    met = DAEMON["metrics"]
    coll = dict(re.findall(r'^lwpwatch_collector_success\{[^}]*collector="([^"]+)"[^}]*\} (\S+)', met, re.M))
    V.ok("daemon.collectors-in-sandbox", coll and all(v == "1" for v in coll.values()), f"{coll}")
    # Label values as the exposition format escapes them (\\ for a backslash, \" and \n): read them back unescaped,
    # or systemd's \x2d in a unit's cgroup (held as \x5c in zone ids) never matches.
    zl = [prom_unescape(v) for v in re.findall(r'^lwpwatch_zone_lwps\{[^}]*zone="((?:[^"\\]|\\.)*)"', met, re.M)]
    want = [c.zone for c in copies()] + ["/test.slice"]
    V.ok("daemon.sandbox-reads-cgroups", all(w in zl for w in want), f"missing zones in /metrics: {[w for w in want if w not in zl]}")
    tr = [prom_unescape(v) for v in re.findall(r'^lwpwatch_service_in_transition_seconds\{[^}]*service="((?:[^"\\]|\\.)*)"', met, re.M)]
    V.ok("daemon.sandbox-reads-bus", all(c.unit in tr for c in copies("notify", "early", "watched")), f"in transition: {tr}")
    code, zones = http_json("/api/v1/zones")
    hold = {z["id"]: z.get("topHolders") for z in (zones or {}).get("zones", [])}
    V.ok("daemon.sandbox-reads-proc", all(hold.get(c.zone) for c in copies("notify")),
         f"top holders: {[(c.zone, hold.get(c.zone)) for c in copies('notify')]}")
    cs = [f for f in ddoc.get("findings", []) if f["rule"] == "cap-starvation"]
    journal_ok = []
    for f in cs:
        b = evidence.get((f.get("evidence") or {}).get("evidenceId")) or {}
        items = b.get("items", []) if isinstance(b, dict) else []
        # The workload's own lines ("round N: ..."): a unit that keeps retrying is past round 1 within the last 50
        # lines journalctl -n 50 gives, so any round counts (run 3: 3 of 7 tails began at rounds 25-38).
        journal_ok.append(any(re.search(r"\bround \d+:", x.get("text") or "") for x in items))
    V.ok("daemon.sandbox-reads-journal", cs and all(journal_ok),
         f"{sum(journal_ok)}/{len(cs)} cap-starvation evidence bundles hold the unit's own log lines")
    for c in copies("early", "watched"):
        f = next((f for f in ddoc.get("findings", []) if f["zone"] == c.zone and f["rule"] == "cap-starvation"), None)
        k = events_max(c.kernel().get("pids.events"))
        m = re.search(r"(\d+) (?:thread/process creations )?refused", (f or {}).get("summary", ""))
        V.ok(f"{c.name}.daemon-summary-count", f is not None and (m is None or int(m.group(1)) == k),
             f"kernel refused {k} (all since the unit started); the daemon says: {(f or {}).get('summary')!r}")


# ---- pids_localevents ------------------------------------------------------------------------------
def scenario_localevents():
    """cgroup2 remounted with pids_localevents: refusals counted in the forking child, still the parent's."""
    if "pids_localevents" not in FACTS.get("cgroup_features", []):
        V.skip("localevents.slice", f"kernel {FACTS.get('kernel')} has no pids_localevents (/sys/kernel/cgroup/features: {FACTS.get('cgroup_features')})")
        return
    keep = [o for o in FACTS["cgroup2_options"] if o in ("nsdelegate", "memory_localevents", "memory_recursiveprot", "favordynmods")]
    r = V.run("localevents-remount", ["mount", "-o", ",".join(["remount"] + keep + ["pids_localevents"]), CG])
    opts = cgroup2_options()
    V.ok("localevents.remount", r.rc == 0 and "pids_localevents" in opts, f"{r}; cgroup2 options now {opts}")
    try:
        # A parent made under the new semantics (all its counters are of this mount), and the old one, whose
        # parent-side counter stops while its child's goes on: both must still hold their refusals.
        fresh = SLICES["local-slice"] = Slice("local-slice", CG + "/test-local.slice")
        fresh.create()
        # Until its refusals pass twice its cap, the one sizing's demand (held + min(refused, 2 x cap)) still grows
        # with them, and check and explain, run seconds apart, would rightly print different caps.
        cap = int(fresh.kernel()["parent"]["pids.max"])
        wait_until(lambda: (events_max(fresh.kernel()["inner"]["pids.events"]) or 0) > 2 * cap, 180, 1)
        # The daemon's findings are of its last poll (every 15 s), which may predate that: wait for one that saw
        # the refusals past twice the cap too, or its hint is sized from fewer of them than check's and explain's.
        wait_until(lambda: daemon_denials(fresh.zone) > 2 * cap, 60, 1)
        old, new = SLICES["slice"], fresh
        kb = {s.tag: s.kernel() for s in (old, new)}
        chk = V.run("localevents-check", [LW, "check", "--format", "json"])
        ka = {s.tag: s.kernel() for s in (old, new)}
        cdoc = chk.json() or {}
        judge_slice(old, "localevents.slice", cdoc, kb[old.tag], ka[old.tag], opts)
        judge_slice(new, "local-slice", cdoc, kb[new.tag], ka[new.tag], opts)
        slice_hints(new, cdoc, daemon_findings() or {})
        capture("capture-localevents", polls=2)
    finally:
        V.run("localevents-remount-back", ["mount", "-o", ",".join(["remount"] + keep), CG])


def capture(name, polls):
    out = f"/mnt/lwpvm/out/{name}"
    r = V.run(name, [LW, "capture", "--out", out, "--polls", str(polls), "--interval", "5s"], timeout=600)
    V.ok(f"{name}.written", r.rc == 0 and os.path.exists(out + "/bundle.json"), f"lwpwatch capture {r}")
    if r.rc == 0:
        with open(out + "/SOURCE.json", "w") as f:
            json.dump({k: FACTS.get(k) for k in ("kernel", "systemd", "packages", "kernel_packages",
                                                 "cgroup_features", "docker", "date", "lwpwatch", "lwpwatch_commit", "nearCapWarning")}
                      | {"cgroup2_options": cgroup2_options(),    # as mounted while it captured (pids_localevents or not)
                         "zones": {c.name: {"zone": c.zone, "unit": c.unit, "container": c.container, "demand": c.demand}
                                   for c in copies()},
                         "slices": {t: {"zone": sl.zone, "demand": SLICE_DEMAND} for t, sl in SLICES.items()}}, f, indent=1)


def scenario_capture():
    # Every unit stuck longer than rules.capStarvation.stuckFor (60 s) when the bundle is taken, so a replay sees
    # each one as a cap-starvation (the watched ones started only a poll or two ago).
    def stuck_for(c):
        since = int(show(c.unit, "StateChangeTimestampMonotonic").get("StateChangeTimestampMonotonic") or 0)
        return uptime() - since / 1e6 if since else 0
    wait_until(lambda: all(stuck_for(c) >= 75 for c in copies("notify", "early", "watched")), 120, 2)
    capture("capture", polls=3)


# ---- apply every hint --------------------------------------------------------------------------------
def fixed(c):
    k = c.kernel()
    ok = current_of(k) == c.demand
    if c.kind == "unit":
        ok = ok and active_state(c.unit) == "active"
    return ok


def scenario_apply():
    """Each copy gets one printed hint, run with sh exactly as printed; it must fix the copy."""
    for c in copies():
        hs = c.hints.get(c.source) or []
        if c.hint_index >= len(hs):
            V.note(f"{c.name}.hint-fixes", f"{c.source} printed {len(hs)} hint(s) for {c.zone}: none for copy {c.index}")
            c.applied = None
            continue
        c.applied = hs[c.hint_index]
        r = V.run(f"apply-{c.name}", ["sh", "-c", c.applied])
        c.apply_rc = r
    for c in copies():
        if getattr(c, "applied", None) is None:
            continue
        ok = wait_until(lambda: fixed(c), 30, 1)
        restarted = ""
        if not ok and c.unit and any("systemctl restart" in n for n in c.notes):
            # What LwpWatch's own note says a program that gave up needs after the cap is raised.
            V.run(f"apply-{c.name}-restart", ["systemctl", "restart", "--no-block", c.unit])
            restarted = " + systemctl restart (as LwpWatch's note says)"
            c.cgdir = CG + (wait_until(lambda: show(c.unit, "ControlGroup").get("ControlGroup"), 30, 0.5) or "")
            ok = wait_until(lambda: fixed(c), 45, 1)
        k = c.kernel()
        V.ok(f"{c.name}.hint-fixes", ok,
             f"{c.source} hint #{c.hint_index + 1}: {c.applied!r} (sh rc={c.apply_rc.rc} {c.apply_rc.err.strip()[:200]}){restarted}: "
             f"pids {k.get('pids.current')}/{k.get('pids.max')} (needs {c.demand})"
             + (f", {c.unit} {active_state(c.unit)}" if c.kind == "unit" else ""))
    # The mkdir'ed parents: every hint printed for one, in order; then: is it still ours, or systemd's now?
    for sl in SLICES.values():
        before = sl.tree()
        for i, h in enumerate(sl.hints):
            r = V.run(f"apply-{sl.tag}-{i + 1}", ["sh", "-c", h])
            ok = wait_until(lambda: pids(sl.path)["pids.current"] == str(SLICE_DEMAND), 20, 1)
            V.ok(f"{sl.tag}.hint-{i + 1}-fixes", r.rc == 0 and ok, f"{h!r}: sh rc={r.rc} {r.err.strip()[:200]}; pids {pids(sl.path)}")
        time.sleep(2)
        after = sl.tree()
        V.ok(f"{sl.tag}.no-systemd-takeover", sl.hints and after == before, f"before: {before}; after {len(sl.hints)} hint(s): {after}")


def scenario_after():
    """Once fixed: no near-cap warning for the demand seen, and the daemon's findings and alerts resolve."""
    chk = V.run("after-check", [LW, "check", "--format", "json"])
    cdoc = chk.json() or {}
    fixed_copies = [c for c in copies() if getattr(c, "applied", None) and fixed(c)]
    for c in fixed_copies:
        fs = [(f["rule"], f["severity"]) for f in findings_of(cdoc, c.zone)]
        V.ok(f"{c.name}.no-warning-after-fix", not any(r in ("near-cap", "cap-starvation") for r, _ in fs),
             f"check after the fix: {fs}; kernel {c.kernel()}")
    t = time.monotonic()
    gone = lambda: (lambda d: d is not None and not any(f["rule"] in ("near-cap", "cap-starvation") and f["zone"] in {c.zone for c in fixed_copies}
                                                        for f in d.get("findings", [])))(daemon_findings())
    ok = wait_until(gone, 75, 5)
    V.timing("daemon-resolve-wait", time.monotonic() - t)
    d = daemon_findings() or {}
    _, alerts = http_json("/api/v1/alerts")
    V.save("after-daemon-findings.json", d)
    V.save("after-alerts.json", alerts or {})
    left = [(f["rule"], f["zone"]) for f in d.get("findings", []) if f["zone"] in {c.zone for c in fixed_copies}]
    V.ok("daemon.findings-resolve", ok and fixed_copies, f"{len(fixed_copies)} copies fixed; findings left on them: {left}")
    firing = [(a["rule"], a["zone"], a["state"]) for a in (alerts or {}).get("alerts", [])
              if a.get("zone") in {c.zone for c in fixed_copies} and a["rule"] in ("near-cap", "cap-starvation") and a.get("state") != "resolved"]
    V.ok("daemon.alerts-resolve", ok and fixed_copies and not firing, f"near-cap/cap-starvation alerts not resolved on fixed zones: {firing}")


def scenario_daemon_lifecycle():
    """Watchdog pings, reload, security exposure, a clean journal, a clean stop."""
    s1 = show("lwpwatch.service", "ActiveState,NRestarts,WatchdogUSec,WatchdogTimestampMonotonic,MainPID,StatusText")
    wd0 = DAEMON["wd"][0][1]
    V.ok("daemon.watchdog", s1.get("WatchdogUSec") == "1min" and s1.get("WatchdogTimestampMonotonic") not in (None, "0", wd0)
         and s1.get("NRestarts") == "0" and s1.get("MainPID") == DAEMON["pid"],
         f"at start: WatchdogTimestampMonotonic={wd0}; now {s1}")
    sec = V.run("daemon-security", ["systemd-analyze", "security", "lwpwatch.service", "--no-pager"])
    m = re.search(r"Overall exposure level for lwpwatch\.service: ([\d.]+)", sec.out)
    V.ok("daemon.security", m is not None and float(m.group(1)) <= 1.7, m.group(0) if m else f"no score: {sec}")
    r = V.run("daemon-reload", ["systemctl", "reload", "lwpwatch.service"])
    time.sleep(20)
    s2 = show("lwpwatch.service", "ActiveState,NRestarts,MainPID")
    V.ok("daemon.reload", r.rc == 0 and s2.get("ActiveState") == "active" and s2.get("NRestarts") == "0" and s2.get("MainPID") == DAEMON["pid"],
         f"{r}; {s2}")
    t = time.monotonic()
    r = V.run("daemon-stop", ["systemctl", "stop", "lwpwatch.service"])
    secs = time.monotonic() - t
    s3 = show("lwpwatch.service", "ActiveState,Result,ExecMainStatus,ExecMainCode")
    V.ok("daemon.stop", r.rc == 0 and s3.get("Result") == "success" and secs < 45, f"{r} in {secs:.1f}s; {s3}")
    jl = V.run("daemon-journal", ["journalctl", "-u", "lwpwatch.service", "-o", "cat", "--no-pager"]).out.splitlines()
    bad = [line for line in jl if '"Rule":' not in line and re.search(r'"@l":"(Error|Fatal|Warning)"|(?<!-)\b(denied|EPERM|EACCES|exception)\b', line, re.I)]
    V.ok("daemon.journal-clean", not bad, f"{len(jl)} lines; {len(bad)} error/warning lines that are not findings: " + " | ".join(b[:300] for b in bad[:5]))
