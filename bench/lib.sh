# Shared plumbing for the bench/ commands (sourced, not run). Every command that sources this gets:
#   - a private temp dir ($BENCH_TMP) removed on exit,
#   - cleanup of every cgroup and process it created, on success, failure or Ctrl-C (trap EXIT),
#   - helpers to build the C programs and the .NET bench/daemon once per run.
# Processes are stopped by their recorded pids only; cgroups are removed depth-first by their own path.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
PIDS_ROOT=${PIDS_ROOT:-/sys/fs/cgroup/pids}
BENCH_TMP=$(mktemp -d /tmp/lwpw-bench.XXXXXX)
BENCH_CGROUPS=()   # cgroup dirs to remove (whole subtrees)
BENCH_PROCS=()     # pids to stop (SIGTERM, then SIGKILL)

say() { printf '%s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

stop_procs() {
  local p
  for p in "${BENCH_PROCS[@]:-}"; do
    [ -n "$p" ] && kill -TERM "$p" 2>/dev/null
  done
  for p in "${BENCH_PROCS[@]:-}"; do
    [ -n "$p" ] || continue
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  BENCH_PROCS=()
}

remove_cgroups() {
  local cg
  for cg in "${BENCH_CGROUPS[@]:-}"; do
    [ -n "$cg" ] && [ -d "$cg" ] || continue
    # tasks leave asynchronously after SIGKILL; rmdir says EBUSY until they are gone
    for _ in $(seq 1 200); do
      find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
      [ -d "$cg" ] || break
      sleep 0.05
    done
    [ -d "$cg" ] && say "warning: could not remove $cg"
  done
  BENCH_CGROUPS=()
}

# drop_zones: end the spawner and remove the zones of the last make_zones (also done at exit)
drop_zones() {
  set +e
  stop_procs
  remove_cgroups
  rm -rf "${VIEW_ROOT:-/nonexistent}"
  set -e
}

bench_cleanup() {
  local rc=$?
  set +e
  stop_procs
  remove_cgroups
  rm -rf "$BENCH_TMP"
  exit "$rc"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

need_root_cgroups() {
  [ "$(id -u)" = 0 ] || die "needs root (creates cgroups under $PIDS_ROOT)"
  [ -f "$PIDS_ROOT/cgroup.procs" ] || die "no cgroup v1 pids hierarchy at $PIDS_ROOT"
}

build_c() {   # build_c NAME -> $BENCH_TMP/NAME
  gcc -O2 -Wall -Wextra -pthread -o "$BENCH_TMP/$1" "$BENCH_DIR/helpers/$1.c"
}

# The .NET bench harness (Release). Incremental, so repeated runs cost ~2 s.
BENCH_DLL="$BENCH_DIR/LwpWatch.Bench/bin/Release/net10.0/LwpWatch.Bench.dll"
build_bench() {
  dotnet build "$BENCH_DIR/LwpWatch.Bench/LwpWatch.Bench.csproj" -c Release -nologo -v q >"$BENCH_TMP/build-bench.log" 2>&1 \
    || { cat "$BENCH_TMP/build-bench.log" >&2; die "bench harness build failed"; }
}

# The daemon (`lwpwatch`), Release.
LWPWATCH_DLL="$REPO/src/LwpWatch.Daemon/bin/Release/net10.0/lwpwatch.dll"
build_daemon() {
  dotnet build "$REPO/src/LwpWatch.Daemon/LwpWatch.Daemon.csproj" -c Release -nologo -v q >"$BENCH_TMP/build-daemon.log" 2>&1 \
    || { cat "$BENCH_TMP/build-daemon.log" >&2; die "daemon build failed"; }
}

# make_zones N THREADS -> sets ZONE_BASE (a fresh cgroup with N child zones z1..zN, each holding one real
# process with THREADS tasks) and VIEW_ROOT (a directory whose "pids" entry is ZONE_BASE, usable as
# linux.cgroupRoot so LwpWatch sees exactly these N zones and nothing else on the host).
# Caps: every 100th zone is capped one below its thread count (at cap, 1 refused thread), every 10th is
# unlimited ("max"), the rest have 4x headroom.
make_zones() {
  local n=$1 threads=$2 i
  need_root_cgroups
  [ -x "$BENCH_TMP/spawner" ] || build_c spawner
  ZONE_BASE="$PIDS_ROOT/lwpw-bench-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
  mkdir "$ZONE_BASE"
  BENCH_CGROUPS+=("$ZONE_BASE")
  (cd "$ZONE_BASE" && eval "mkdir z{1..$n}")
  for ((i = 1; i <= n; i++)); do
    if ((i % 100 == 0)); then echo $((threads - 1)) > "$ZONE_BASE/z$i/pids.max"
    elif ((i % 10 == 0)); then :   # stays "max"
    else echo $((threads * 4)) > "$ZONE_BASE/z$i/pids.max"; fi
  done
  "$BENCH_TMP/spawner" "$ZONE_BASE" "$n" "$threads" >"$BENCH_TMP/spawner.out" 2>"$BENCH_TMP/spawner.err" &
  BENCH_PROCS+=($!)
  local sp=$!
  for _ in $(seq 1 600); do
    grep -q '^ready' "$BENCH_TMP/spawner.out" 2>/dev/null && break
    kill -0 "$sp" 2>/dev/null || { cat "$BENCH_TMP/spawner.err" >&2; die "spawner exited early"; }
    sleep 0.05
  done
  grep -q '^ready' "$BENCH_TMP/spawner.out" || die "spawner not ready after 30 s"
  VIEW_ROOT="$BENCH_TMP/view"
  mkdir -p "$VIEW_ROOT"
  ln -s "$ZONE_BASE" "$VIEW_ROOT/pids"
  say "zones: $n cgroups under $ZONE_BASE, $(cat "$BENCH_TMP/spawner.out")"
}

# median of numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) exit 1; print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# field KEY "k1=v1 k2=v2 ..." -> v
field() { printf '%s\n' "$2" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2; exit}'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "inf"; else printf "%.2f", a / b }'; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# write_config FILE INTERVAL CGROUP_ROOT PORT -> a config for the daemon under test
write_config() {
  mkdir -p "$BENCH_TMP/state"
  cat > "$1" <<YAML
poll:
  interval: $2
http:
  listen: http://127.0.0.1:$4
linux:
  cgroupRoot: $3
state:
  dir: $BENCH_TMP/state
YAML
}

# start_daemon CONFIG [extra env...] -> DAEMON_PID, DAEMON_URL; waits until /readyz answers 200 (first poll done)
GC_HOOK_DLL="$BENCH_DIR/LwpWatch.Bench.GcHook/bin/Release/net10.0/LwpWatch.Bench.GcHook.dll"
start_daemon() {
  local cfg=$1; shift
  [ -f "$LWPWATCH_DLL" ] || die "daemon not built"
  DAEMON_URL=$(awk '/listen:/ {print $2}' "$cfg")
  # The daemon runs with the shipped unit's Environment= (runtime knobs), then any the caller adds.
  local unit_env
  read -r -a unit_env <<<"$(sed -n 's/^Environment=//p' "$REPO/packaging/systemd/lwpwatch.service" | tr '\n' ' ')"
  env "${unit_env[@]}" "$@" dotnet "$LWPWATCH_DLL" run --config "$cfg" >"$BENCH_TMP/daemon.log" 2>&1 &
  DAEMON_PID=$!
  BENCH_PROCS+=("$DAEMON_PID")
  for _ in $(seq 1 600); do
    kill -0 "$DAEMON_PID" 2>/dev/null || { tail -20 "$BENCH_TMP/daemon.log" >&2; die "daemon exited"; }
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$DAEMON_URL/readyz")" = 200 ] && return 0
    sleep 0.1
  done
  tail -20 "$BENCH_TMP/daemon.log" >&2
  die "daemon not ready after 60 s"
}

# cpu_ticks PID -> utime+stime in clock ticks
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
CLK_TCK=$(getconf CLK_TCK)
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
now_ms() { date +%s%3N; }

# metric NAME [LABEL-FILTER] < exposition -> first value
metric() { awk -v n="$1" -v f="${2:-}" '$1 ~ "^"n"($|\\{)" && index($1, f) { print $2; exit }'; }
