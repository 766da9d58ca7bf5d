#!/usr/bin/env bash
# A throw-away real systemd (PID 1 of its own namespaces, systemd-nspawn over a cached debootstrap rootfs)
# with units stuck in transition, for LwpWatch's end-to-end tests. Recipe: shared LINUX-TESTING.md section 2.
#
#   systemd-sandbox.sh setup            build/refresh the cached rootfs (once per machine, ~30 s; then ~1 s)
#   systemd-sandbox.sh start NAME       boot container NAME; prints "<leader pid>" when stuck-notify is at its cap
#   systemd-sandbox.sh in_ct NAME CMD.. run CMD inside container NAME
#   systemd-sandbox.sh stop NAME        SIGKILL the container's PID 1, remove its cgroups depth-first
#
# NAME is also the cgroup under every host hierarchy (/sys/fs/cgroup/{pids,systemd,unified}/NAME), so the
# host view of a unit is /sys/fs/cgroup/pids/NAME + its ControlGroup.
# Units: stuck-notify (Type=notify, TasksMax=20, needs 50 threads: stuck activating until its cap is raised),
# stuck-pre (ExecStartPre=/bin/sleep infinity, plenty of headroom: stuck activating for a non-cap reason).
set -euo pipefail
WORK=${LWPW_SANDBOX_DIR:-/var/tmp/lwpwatch-systemd}
ROOTFS=$WORK/rootfs

need() { command -v "$1" >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${@:2}" >/dev/null; }; }

setup() {
  need systemd-nspawn systemd-container
  need debootstrap debootstrap
  need gcc gcc
  mkdir -p "$WORK"
  # Several sessions may call setup at once: one builds, the others wait.
  exec 9>"$WORK/setup.lock"
  flock -w 600 9
  if [ ! -x "$ROOTFS/lib/systemd/systemd" ]; then
    rm -rf "$WORK/rootfs.tmp"
    # The mirror apt already uses (no host name hard-coded).
    MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$MIRROR" ] || MIRROR=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
    debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$WORK/rootfs.tmp" "$MIRROR" >"$WORK/debootstrap.log" 2>&1
    mv "$WORK/rootfs.tmp" "$ROOTFS"     # atomic: a half-built rootfs is never mistaken for a cached one
  fi
  # spawn N: asks for N threads (like a worker pool: every one attempted, so the first round under a cap of 20
# gives 19 created and 31 refused), retries the missing ones every 200 ms, then tells systemd READY=1 itself
  # (Type=notify; systemd-notify would be a child, not the main pid). While capped it never gets ready.
  cat > "$WORK/spawn.c" <<'C'
#include <pthread.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
static void *idle(void *a) { (void)a; for (;;) pause(); return 0; }
static void notify_ready(void) {
  const char *p = getenv("NOTIFY_SOCKET"); if (!p || !*p) return;
  struct sockaddr_un sa; memset(&sa, 0, sizeof sa); sa.sun_family = AF_UNIX;
  strncpy(sa.sun_path, p, sizeof sa.sun_path - 1); if (p[0] == '@') sa.sun_path[0] = 0;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0); if (fd < 0) return;
  sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(p)));
  close(fd);
}
int main(int c, char **v) {
  int n = c > 1 ? atoi(v[1]) : 100, ok = 0, round = 0;
  while (ok < n) {
    int failed = 0, want = n - ok;
    for (int i = 0; i < want; i++) { pthread_t t; if (pthread_create(&t, 0, idle, 0)) failed++; else ok++; }
    if (round++ == 0 || !failed) { printf("threads_created=%d failed=%d of %d\n", ok, failed, n); fflush(stdout); }
    if (failed) usleep(200000);
  }
  notify_ready();
  for (;;) pause();
}
C
  gcc -O2 -pthread -o "$ROOTFS/usr/local/bin/spawn" "$WORK/spawn.c"
  local U=$ROOTFS/etc/systemd/system
  cat > "$U/stuck-notify.service" <<'U1'
[Service]
Type=notify
TasksMax=20
TimeoutStartSec=infinity
ExecStart=/usr/local/bin/spawn 50
U1
  cat > "$U/stuck-pre.service" <<'U2'
[Service]
TasksMax=20
TimeoutStartSec=infinity
ExecStartPre=/bin/sleep infinity
ExecStart=/bin/true
U2
  mkdir -p "$U/multi-user.target.wants"
  for u in stuck-notify stuck-pre; do ln -sf "/etc/systemd/system/$u.service" "$U/multi-user.target.wants/$u.service"; done
  # Persistent set-property drop-ins from earlier runs would start stuck-notify uncapped.
  rm -rf "$ROOTFS/etc/systemd/system.control" "$ROOTFS/run/systemd/system.control"
}

leader() { cat "$WORK/$1.leader"; }

start() {
  local NAME=$1 L="" i
  [ -x "$ROOTFS/lib/systemd/systemd" ] || { echo "rootfs missing: run setup first" >&2; exit 1; }
  for h in pids systemd unified; do mkdir -p "/sys/fs/cgroup/$h/$NAME"; done
  # The launcher moves itself into dedicated cgroups first, so the container's cgroup namespace root is
  # /sys/fs/cgroup/<h>/NAME and nothing is created in the host root. nspawn mounts v1 controllers read-only
  # without a user namespace and systemd only uses controllers it can write at start-up, so PID 1 is a shell
  # that remounts pids rw and then execs systemd. --register=no/--keep-unit: there is no host systemd.
  setsid sh -c 'for h in pids systemd unified; do echo $$ > /sys/fs/cgroup/$h/'"$NAME"'/cgroup.procs; done
    exec systemd-nspawn -D '"$ROOTFS"' -M '"$NAME"' --register=no --keep-unit --private-network \
      --console=read-only --kill-signal=SIGRTMIN+3 \
      /bin/sh -c "mount -o remount,bind,rw /sys/fs/cgroup/pids && exec /lib/systemd/systemd"' \
    </dev/null >"$WORK/$NAME.console.log" 2>&1 &
  echo $! > "$WORK/$NAME.nspawn"
  for i in $(seq 1 300); do
    L=$(ps -o pid= --ppid "$(cat "$WORK/$NAME.nspawn")" 2>/dev/null | tr -d ' ' || true)
    [ -n "$L" ] && [ -S "/proc/$L/root/run/dbus/system_bus_socket" ] && break
    sleep 0.05
  done
  [ -n "$L" ] || { echo "container $NAME did not start; console:" >&2; tail -20 "$WORK/$NAME.console.log" >&2; exit 1; }
  echo "$L" > "$WORK/$NAME.leader"
  # Poll the unit state (is-system-running --wait never returns while a unit is stuck).
  for i in $(seq 1 300); do
    [ "$(in_ct "$NAME" systemctl show -p TasksCurrent --value stuck-notify.service 2>/dev/null)" = 20 ] && break
    sleep 0.05
  done
  echo "$L"
}

in_ct() { local NAME=$1; shift; nsenter -t "$(leader "$NAME")" -m -u -i -n -p -- "$@"; }

stop() {
  local NAME=$1 N L i
  N=$(cat "$WORK/$NAME.nspawn" 2>/dev/null || true); L=$(cat "$WORK/$NAME.leader" 2>/dev/null || true)
  # SIGKILL of the container's PID 1 ends every process of its PID namespace (stuck units included).
  if [ -n "$L" ]; then kill -KILL "$L" 2>/dev/null || true; fi
  if [ -n "$N" ]; then
    for i in $(seq 1 100); do kill -0 "$N" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$N" 2>/dev/null || true
  fi
  for h in pids systemd unified; do
    if [ -d "/sys/fs/cgroup/$h/$NAME" ]; then
      # A cgroup can be rmdir'ed only once its last task has been reaped: retry briefly.
      for i in $(seq 1 50); do
        find "/sys/fs/cgroup/$h/$NAME" -depth -type d -exec rmdir {} \; 2>/dev/null || true
        [ -d "/sys/fs/cgroup/$h/$NAME" ] || break
        sleep 0.1
      done
    fi
  done
  rm -f "$WORK/$NAME.nspawn" "$WORK/$NAME.leader" "$WORK/$NAME.console.log"
  # set-property (persistent) writes drop-ins into the shared rootfs: the next boot must start capped again.
  rm -rf "$ROOTFS/etc/systemd/system.control"
  for h in pids systemd unified; do [ ! -d "/sys/fs/cgroup/$h/$NAME" ] || { echo "cgroup /sys/fs/cgroup/$h/$NAME left behind" >&2; exit 1; }; done
}

cmd=${1:?usage: $0 setup|start NAME|in_ct NAME CMD...|stop NAME}; shift
"$cmd" "$@"
