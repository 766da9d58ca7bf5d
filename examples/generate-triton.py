#!/usr/bin/env python3
"""Generate examples/triton-fs-local-stuck: a capture bundle (format version 1, docs/BUNDLE-FORMAT.md)
of a SmartOS compute node during the Triton incident, exactly as LwpWatch's illumos collectors would have
recorded it: per poll `zoneadm list -pc`, `kstat -p zones:::`, `kstat -p caps:::`, `svcs -Z ...`, the zone
configuration files /etc/zones/<uuid>.xml and the provisioning marker's mtime, /proc/*/psinfo, and the
evidence a critical finding gathers (`svcs -xv`, the service log read in process). No vmadm, no prctl: the
caps, alias and provisioning deadline are in the zone XML.

The story: VM 9a3f0c1e-... (alias delegate-test-7) is created with max_lwps 400 and a delegated dataset.
During its first boot svc:/system/filesystem/local:default runs `zfs mount`, and two zfs mount processes
grow until the zone holds 398 of its 400 LWPs; forks start failing (forkfail_cap rises), fs-local stays
offline with next state online for minutes, the provisioning marker stays in place and vmadm will give up
at the transition deadline in the zone XML = creation + 300 s. A healthy VM (web-frontend-1) and the global
zone run alongside.

Formats (each checked against its source; tests/LwpWatch.Collectors.Tests/Fixtures/illumos/SOURCE.md):
zone XML as libzonecfg writes it and smartos-live vmload-xml.js reads it (alias = base64 of UTF-8,
transition = provisioning:running:<ms>), kstat -p as illumos-gate kstat.c prints it (TAB before the value),
caps:::nprocs_zone_<id> value = max-lwps at boot (SmartOS infers zone.max-processes from max-lwps).

Usage: python3 examples/generate-triton.py [OUTPUT_DIR]   (default: examples/triton-fs-local-stuck)
Deterministic: the same script always writes the same bytes (tests compare a fresh run with the repo copy).
"""
import base64
import json
import os
import shutil
import struct
import sys
import time

HOST = "cn-triton-07"
CREATED = 1757322292               # zone boot = VM creation (2025-09-08T09:04:52Z)
DEADLINE_MS = (CREATED + 300) * 1000
FIRST_POLL = CREATED + 45
INTERVAL = 30
POLLS = 8

SICK = "9a3f0c1e-5b7d-4c21-8e44-0f6d2b1a7c90"
SICK_ALIAS = "delegate-test-7"
SICK_ID = 12
SICK_MAX_LWPS = 400
WEB = "c0f63bf1-aa36-4c78-8c3c-a9cfe3b0001e"
WEB_ALIAS = "web-frontend-1"
WEB_ID = 1
WEB_MAX_LWPS = 2000

# LWPs of the two `zfs mount` processes together, per poll; with the zone's other processes (32 LWPs)
# the zone ends at 398 of 400.
ZFS_LWPS = [60, 140, 230, 300, 350, 366, 366, 366]
# forkfail_cap of the sick zone per poll: zero until it nears the cap, then rising (1734 = the fixture's).
FORKFAIL_CAP = [0, 0, 0, 0, 12, 310, 920, 1734]

SMF_STATES_SICK = [
    ("online", "-", "svc:/system/filesystem/minimal:default", CREATED - 1),
    ("offline", "-", "svc:/smartdc/zoneinit:default", CREATED - 3),
    ("offline", "online", "svc:/system/filesystem/local:default", CREATED),
    ("offline", "-", "svc:/milestone/multi-user:default", CREATED - 3),
    ("online", "-", "svc:/system/svc/restarter:default", CREATED - 6),
]
WEB_BOOT = CREATED - 6 * 86400
SMF_STATES_WEB = [
    ("online", "-", "svc:/system/filesystem/local:default", WEB_BOOT),
    ("online", "-", "svc:/milestone/multi-user:default", WEB_BOOT),
    ("online", "-", "svc:/network/nginx:default", WEB_BOOT),
    ("online", "-", "svc:/smartdc/application/web:default", WEB_BOOT + 40),
]
GZ_BOOT = 1757300000
SMF_STATES_GZ = [
    ("online", "-", "svc:/system/svc/restarter:default", GZ_BOOT),
    ("online", "-", "svc:/system/filesystem/local:default", GZ_BOOT),
    ("online", "-", "svc:/smartdc/agent/vm-agent:default", GZ_BOOT + 90),
    ("online", "-", "svc:/smartdc/agent/cn-agent:default", GZ_BOOT + 90),
    ("disabled", "-", "svc:/network/ssh:default", 1700000000),
]

# (pid, ppid, fname, psargs, lwps) per zone; the zfs rows get their LWPs per poll.
GLOBAL_PROCS = [
    (1, 0, "init", "/sbin/init", 1),
    (8, 1, "svc.startd", "/lib/svc/bin/svc.startd", 14),
    (10, 1, "svc.configd", "/lib/svc/bin/svc.configd", 48),
    (180, 1, "nscd", "/usr/sbin/nscd", 31),
    (210, 1, "zoneadmd", "zoneadmd -z " + SICK, 5),
    (211, 1, "zoneadmd", "zoneadmd -z " + WEB, 5),
    (390, 1, "node", "/opt/smartdc/agents/lib/node_modules/vm-agent/node/bin/node vm-agent.js", 11),
    (391, 1, "node", "/opt/smartdc/agents/lib/node_modules/cn-agent/node/bin/node cn-agent.js", 11),
    (402, 1, "vminfod", "/usr/vm/sbin/vminfod", 11),
    (500, 1, "fmd", "/usr/lib/fm/fmd/fmd", 26),
    (612, 1, "sshd", "/usr/lib/ssh/sshd", 1),
]
WEB_PROCS = [
    (3100, 1, "init", "/sbin/init", 1),
    (3120, 3100, "svc.startd", "/lib/svc/bin/svc.startd", 12),
    (3122, 3100, "svc.configd", "/lib/svc/bin/svc.configd", 15),
    (3300, 3120, "nginx", "nginx: master process /opt/local/sbin/nginx", 1),
    (3301, 3300, "nginx", "nginx: worker process", 1),
    (3302, 3300, "nginx", "nginx: worker process", 1),
    (3400, 3120, "node", "/opt/local/bin/node /opt/web/server.js", 11),
    (3401, 3400, "node", "/opt/local/bin/node /opt/web/worker.js --id 1", 11),
    (3402, 3400, "node", "/opt/local/bin/node /opt/web/worker.js --id 2", 11),
]
SICK_PROCS = [
    (20958, 20950, "init", "/sbin/init", 1),
    (20970, 20958, "svc.startd", "/lib/svc/bin/svc.startd", 12),
    (20972, 20958, "svc.configd", "/lib/svc/bin/svc.configd", 17),
    (20985, 20970, "fs-local", "/bin/sh /lib/svc/method/fs-local", 1),
    (20986, 20985, "ctrun", "/usr/bin/ctrun -l child -o noorphan /lib/svc/method/fs-local", 1),
    (20990, 20985, "zfs", "/usr/sbin/zfs mount -a", None),
    (20991, 20985, "zfs", "/usr/sbin/zfs mount zones/" + SICK + "/data", None),
]


def iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z", time.gmtime(epoch))


def stime(then, now):
    """svcs STIME: %k:%M:%S within 24 h, %b_%d within ~12 months, else %Y (the node runs in UTC)."""
    t = time.gmtime(then)
    if now - then < 86400:
        return "%2d:%s" % (t.tm_hour, time.strftime("%M:%S", t))
    if now - then < 12 * 30 * 86400:
        return time.strftime("%b_%d", t)
    return time.strftime("%Y", t)


def psinfo(pid, ppid, zoneid, nlwp, fname, psargs, start):
    """psinfo_t as a 64-bit reader sees it on x86 (416 bytes, little-endian; Fixtures/illumos/psinfo-layout.md)."""
    b = bytearray(416)
    struct.pack_into("<iiiiii", b, 0, 0x02000000, nlwp, pid, ppid, pid, pid)   # flag nlwp pid ppid pgid sid
    struct.pack_into("<qq", b, 88, start, 0)                                    # pr_start
    struct.pack_into("16s", b, 136, fname.encode()[:16])
    struct.pack_into("80s", b, 152, psargs.encode()[:80])
    struct.pack_into("<ii", b, 232, 0, len(psargs.split()))                      # wstat argc
    b[256] = 2                                                                   # PR_MODEL_LP64
    struct.pack_into("<iiiiiii", b, 260, 1, 0, 0, 0, zoneid, 0, 0)               # task proj nzomb pool zoneid contract filler
    return bytes(b)


def kstat_zone(lines, zid, name, forkfail_cap, waitrq, boot):
    kname = name[:30]
    stats = {
        "avenrun_15min": 3, "avenrun_1min": 9, "avenrun_5min": 6, "boot_time": boot, "class": "zone_misc",
        "crtime": "85371.482312610", "forkfail_cap": forkfail_cap, "forkfail_misc": 0, "forkfail_nomem": 0,
        "forkfail_noproc": 0, "init_pid": 1, "init_restarts": 0, "mapfail_seglim": 0, "nested_interp": 0,
        "nsec_sys": 9120000000, "nsec_user": 2230000000, "nsec_waitrq": waitrq, "snaptime": "1210123.006622201",
        "zonename": name,
    }
    for k in sorted(stats):
        lines.append("zones:%d:%s:%s\t%s" % (zid, kname, k, stats[k]))


def kstat_caps(lines, zid, name, nprocs, max_processes):
    for res, usage, value in (("lockedmem", 0, 1073741824), ("nprocs", nprocs, max_processes), ("swapresv", 211812352, 4294967296)):
        kname = "%s_zone_%d" % (res, zid)
        for k, v in (("class", "zone_caps"), ("crtime", "85371.482312610"), ("snaptime", "1210123.006622201"),
                     ("usage", usage), ("value", value), ("zonename", name)):
            lines.append("caps:%d:%s:%s\t%s" % (zid, kname, k, v))


def zone_xml(uuid, brand, debugid, max_lwps, alias, extra_attrs, dataset):
    """/etc/zones/<uuid>.xml as libzonecfg writes it for a VM vmadm created (element order as VM.js adds them)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<!DOCTYPE zone PUBLIC "-//Sun Microsystems Inc//DTD Zones//EN" "file:///usr/share/lib/xml/dtd/zonecfg.dtd.1">',
        '<!--',
        '    DO NOT EDIT THIS FILE.  Use zonecfg(8) instead.',
        '-->',
        '<zone name="%s" zonepath="/zones/%s" autoboot="true" brand="%s" ip-type="exclusive" debugid="%d">' % (uuid, uuid, brand, debugid),
    ]
    lines += ['  <attr name="%s" type="string" value="%s"/>' % kv for kv in extra_attrs]
    lines += [
        '  <rctl name="zone.cpu-shares">',
        '    <rctl-value priv="privileged" limit="100" action="none"/>',
        '  </rctl>',
        '  <rctl name="zone.max-lwps">',
        '    <rctl-value priv="privileged" limit="%d" action="deny"/>' % max_lwps,
        '  </rctl>',
        '  <rctl name="zone.max-physical-memory">',
        '    <rctl-value priv="privileged" limit="1073741824" action="deny"/>',
        '  </rctl>',
        '  <attr name="alias" type="string" value="%s"/>' % base64.b64encode(alias.encode("utf-8")).decode("ascii"),
    ]
    if uuid == SICK:
        lines.append('  <attr name="transition" type="string" value="provisioning:running:%d"/>' % DEADLINE_MS)
    if dataset:
        lines.append('  <dataset name="zones/%s/data"/>' % uuid)
    lines.append('</zone>')
    return "\n".join(lines) + "\n"


def command(argv, stdout, duration, stderr="", exit_code=0):
    return {"argv": argv, "exitCode": exit_code, "stdout": stdout, "stderr": stderr, "durationMs": duration}


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def poll(root, n):
    now = FIRST_POLL + (n - 1) * INTERVAL
    pdir = os.path.join(root, "polls", "%04d" % n)
    files = os.path.join(pdir, "files")
    os.makedirs(os.path.join(files, "proc"))
    write_json(os.path.join(pdir, "poll.json"), {"takenAt": iso(now)})

    zfs = ZFS_LWPS[n - 1]
    zones = [(0, "global", GLOBAL_PROCS, GZ_BOOT), (WEB_ID, WEB, WEB_PROCS, WEB_BOOT), (SICK_ID, SICK, SICK_PROCS, CREATED)]
    nprocs = {}
    for zid, name, procs, boot in zones:
        nprocs[zid] = len(procs)
        for pid, ppid, fname, psargs, lwps in procs:
            if lwps is None:  # the two zfs mounts share the growth
                lwps = (zfs + 1) // 2 if pid == 20990 else zfs // 2
            d = os.path.join(files, "proc", str(pid))
            os.makedirs(d)
            with open(os.path.join(d, "psinfo"), "wb") as f:
                f.write(psinfo(pid, ppid, zid, lwps, fname, psargs, boot + 5))

    zoneadm = "".join([
        "0:global:running:/::liveimg:shared:0\n",
        "%d:%s:running:/zones/%s:%s:joyent-minimal:excl:%d\n" % (WEB_ID, WEB, WEB, WEB, WEB_ID),
        "%d:%s:running:/zones/%s:%s:joyent:excl:%d\n" % (SICK_ID, SICK, SICK, SICK, SICK_ID),
    ])

    kstat = []
    kstat_zone(kstat, 0, "global", 0, 1233000000 + n * 1000000, GZ_BOOT)
    kstat_zone(kstat, WEB_ID, WEB, 0, 40000000 + n * 100000, WEB_BOOT)
    kstat_zone(kstat, SICK_ID, SICK, FORKFAIL_CAP[n - 1], 120000000 + n * 9000000, CREATED)
    # zone.max-processes is unset, so the zone took max-lwps as of its boot (2147483647 = no cap, the global zone).
    for zid, name, max_processes in ((0, "global", 2147483647), (WEB_ID, WEB, WEB_MAX_LWPS), (SICK_ID, SICK, SICK_MAX_LWPS)):
        kstat_caps(kstat, zid, name, nprocs[zid], max_processes)

    etc = os.path.join(files, "etc", "zones")
    os.makedirs(etc)
    with open(os.path.join(etc, SICK + ".xml"), "w", encoding="utf-8") as f:
        f.write(zone_xml(SICK, "joyent", 14, SICK_MAX_LWPS, SICK_ALIAS, [
            ("provisioning", "true"), ("vm-version", "1"), ("create-timestamp", time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(CREATED)))], True))
    with open(os.path.join(etc, WEB + ".xml"), "w", encoding="utf-8") as f:
        f.write(zone_xml(WEB, "joyent-minimal", 3, WEB_MAX_LWPS, WEB_ALIAS, [
            ("vm-version", "1"), ("create-timestamp", time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(WEB_BOOT - 600)))], False))

    svcs = []
    for zone, rows in ((SICK, SMF_STATES_SICK), (WEB, SMF_STATES_WEB), ("global", SMF_STATES_GZ)):
        for state, nstate, fmri, since in rows:
            svcs.append("%-16s %-14s %-13s %-8s %s" % (zone, state, nstate, stime(since, now), fmri))

    # What the evidence gatherer runs for a critical finding in the sick zone (svcs -xv, then the log it names,
    # read in process beneath the zone root), so a replay can show the same proof the node would have saved.
    log = "/zones/%s/root/var/svc/log/system-filesystem-local:default.log" % SICK
    explain = "".join([
        "svc:/system/filesystem/local:default (local file system mounts)\n",
        "  Zone: %s\n" % SICK,
        " State: offline since %s\n" % time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(CREATED)),
        "Reason: Start method is running.\n",
        "   See: http://illumos.org/msg/SMF-8000-C4\n",
        "   See: %s\n" % log,
        "Impact: 2 dependent services are not running:\n",
        "        svc:/milestone/multi-user:default\n",
        "        svc:/smartdc/zoneinit:default\n",
    ])
    tail = "".join([
        "[ %s Executing start method (\"/lib/svc/method/fs-local\"). ]\n" % time.strftime("%b %d %H:%M:%S", time.gmtime(CREATED)),
    ] + [
        "cannot mount 'zones/%s/data/%03d': Resource temporarily unavailable\n" % (SICK, i)
        for i in range(min(FORKFAIL_CAP[n - 1] // 40, 49))
    ])

    write_json(os.path.join(pdir, "commands.json"), [
        command(["zoneadm", "list", "-pc"], zoneadm, 14),
        command(["kstat", "-p", "zones:::"], "\n".join(l for l in kstat if l.startswith("zones:")) + "\n", 31),
        command(["kstat", "-p", "caps:::"], "\n".join(l for l in kstat if l.startswith("caps:")) + "\n", 12),
        command(["svcs", "-Z", "-a", "-H", "-o", "zone,state,nstate,stime,fmri"], "\n".join(svcs) + "\n", 220 + 40 * n),
        command(["svcs", "-xv", "-z", SICK, "svc:/system/filesystem/local:default"], explain, 95),
        command(["svcs", "-xv", "-z", SICK], explain, 130),
    ])
    logdir = os.path.join(files, "zones", SICK, "root", "var", "svc", "log")
    os.makedirs(logdir)
    with open(os.path.join(logdir, "system-filesystem-local:default.log"), "w", encoding="utf-8") as f:
        f.write(tail)

    # The mtimes the caps collector asked for: each zone's XML (written by vmadm when it created the VM), the
    # sick VM's provisioning marker (created with the VM) and the healthy VM's (absent: null).
    write_json(os.path.join(pdir, "files.json"), sorted([
        {"path": "/etc/zones/%s.xml" % SICK, "mtime": iso(CREATED - 1)},
        {"path": "/etc/zones/%s.xml" % WEB, "mtime": iso(WEB_BOOT - 600)},
        {"path": "/zones/%s/root/var/svc/provisioning" % SICK, "mtime": iso(CREATED + 2)},
        {"path": "/zones/%s/root/var/svc/provisioning" % WEB, "mtime": None},
    ], key=lambda e: e["path"]))
    marker = os.path.join(files, "zones", SICK, "root", "var", "svc")
    open(os.path.join(marker, "provisioning"), "wb").close()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "triton-fs-local-stuck")
    if os.path.exists(root):
        shutil.rmtree(root)
    os.makedirs(root)
    write_json(os.path.join(root, "bundle.json"), {"version": 1, "platform": "illumos", "host": HOST, "polls": POLLS})
    for n in range(1, POLLS + 1):
        poll(root, n)


if __name__ == "__main__":
    main()
