#!/usr/bin/env bash
# Runs every LwpWatch test on a fresh Debian machine of the project's kind (root, cgroup v1 pids mounted).
# Installs what the tests need if it is missing (promtool, alertmanager, gcc, systemd-nspawn, debootstrap,
# dbus-daemon, strace, the Python Prometheus client's OpenMetrics parser), restores, builds, publishes the shipped Linux binary (NativeAOT, packaging/publish.sh:
# any trim/AOT warning fails it), runs `dotnet test`, then runs the end-to-end tests again against that native
# binary (the tests that start `lwpwatch`, [Trait("Binary", "lwpwatch")]; the first pass ran them on the JIT
# build), then with LWPWATCH_VM=1 the VM suite (tests/integration/vm: a real cgroup v2 host with systemd as
# PID 1 in qemu, minutes of TCG), and ends with one summary line over all of them:
# "tests: N passed, N failed, N skipped" (a VM suite left out counts as 1 skipped).
# Extra arguments go to the first `dotnet test` (e.g. --filter ...); the native publish and pass are then
# skipped unless LWPWATCH_NATIVE=1.
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

need=()
command -v promtool >/dev/null && command -v prometheus >/dev/null || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null || need+=(prometheus-alertmanager)
command -v gcc >/dev/null || need+=(gcc libc6-dev)              # test helpers, and the NativeAOT link (ILCompiler falls back to gcc without clang)
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v curl >/dev/null || need+=(curl)
command -v dbus-daemon >/dev/null || need+=(dbus-daemon)                # a private bus for the D-Bus client tests
command -v busctl >/dev/null || need+=(systemd)                          # busctl: the reference for the bus JSON shape
command -v strace >/dev/null || need+=(strace)                           # counts the daemon's child processes per poll
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || need+=(python3-prometheus-client)  # the OpenMetrics parser (promtool reads only 0.0.4)
command -v systemd-analyze >/dev/null || need+=(systemd)          # packaging test: systemd-analyze verify/security
if ((${#need[@]})); then
  echo "test.sh: installing ${need[*]}"
  for i in 1 2 3 4 5 6 7 8 9 10; do   # .ci/run's background VM guest build may hold the dpkg lock: wait and retry
    apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null && break
    [ "$i" = 10 ] && { echo "test.sh: apt-get install failed"; exit 1; }
    sleep 15
  done
fi

dotnet restore LwpWatch.sln --nologo -v q || exit 1
dotnet build LwpWatch.sln --no-restore --nologo -v q -c Debug || exit 1

native=1
if [ $# -gt 0 ] && [ "${LWPWATCH_NATIVE:-0}" != 1 ]; then native=0; fi
if [ "$native" = 1 ]; then
  release=$(bash packaging/native-build.sh) || { echo "test.sh: NativeAOT publish failed"; echo "tests: 0 passed, 1 failed, 0 skipped"; exit 1; }
  native_bin=${release}bin/lwpwatch
  echo "test.sh: native binary $native_bin ($(du -k "$native_bin" | cut -f1) KiB)"
  # The packaging test installs this tarball instead of compiling it a second time.
  LWPWATCH_NATIVE_TARBALL=$(ls "$release"../lwpwatch-*-linux-x64.tar.gz)
  export LWPWATCH_NATIVE_TARBALL
  # So does the VM suite (it would otherwise run its own NativeAOT publish, minutes more of CI).
  export LWPWATCH_VM_TARBALL=${LWPWATCH_VM_TARBALL:-$LWPWATCH_NATIVE_TARBALL}
fi

log=$(mktemp)
dotnet test LwpWatch.sln --no-build --nologo -v q --logger "console;verbosity=minimal" --blame-hang-timeout 10m --blame-hang-dump-type none "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
if [ "$native" = 1 ]; then
  echo "test.sh: end-to-end tests against the native binary $native_bin"
  LWPWATCH_BIN=$native_bin dotnet test tests/LwpWatch.Daemon.Tests --no-build --nologo -v q --logger "console;verbosity=minimal" --blame-hang-timeout 10m --blame-hang-dump-type none \
    --filter "Binary=lwpwatch" 2>&1 | tee -a "$log"
  nrc=${PIPESTATUS[0]}
  [ "$nrc" -eq 0 ] || rc=$nrc
fi

# dotnet test prints one "Failed: x, Passed: y, Skipped: z" line per test assembly and pass; add them up.
read -r passed failed skipped < <(grep -Eo 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" |
  awk -F'[:,]' '{f+=$2; p+=$4; s+=$6} END {print p+0, f+0, s+0}')
# Each failed test by name with the first line of its message, repeated just above the summary line (and by
# .ci/run at its very end), so whoever sees only the last lines of a run still sees what failed.
failures=$(awk '/^  Failed [A-Za-z_].* \[[^]]*\]$/ {if (want) print "failed test: " name; name=$0; sub(/^  Failed /, "", name); sub(/ \[[^]]*\]$/, "", name); want=1; next}
  want && /Error Message:/ {getline; sub(/^ +/, ""); print "failed test: " name ": " substr($0, 1, 240); want=0}
  END {if (want) print "failed test: " name}' "$log")
rm -f "$log"
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi   # a crash or build break counts as a failure

# The VM suite, after the .NET tests (never beside them: a TCG guest takes both cores, and timing tests
# would pay for it). Its last line "vm: N passed, N failed, N skipped" joins the totals.
if [ "${LWPWATCH_VM:-0}" != 1 ]; then
  echo "vm: skipped (LWPWATCH_VM=1 runs tests/integration/vm)"
  skipped=$((skipped + 1))
else
  vmlog=$(mktemp)
  tests/integration/vm/run.sh 2>&1 | tee "$vmlog"
  vrc=${PIPESTATUS[0]}
  read -r vp vf vs < <(grep -Eo '^vm: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$vmlog" | tail -1 |
    awk -F'[ ,]+' '{print $2, $4, $6}')
  vmfailures=$(grep -E '^FAIL ' "$vmlog" | cut -c1-260 | sed 's/^/failed test: /')
  [ -n "$vmfailures" ] && failures=$(printf '%s\n%s' "$failures" "$vmfailures" | sed '/^$/d')
  rm -f "$vmlog"
  if [ -z "${vp:-}" ]; then vp=0; vf=1; vs=0; fi                # no summary line: the suite broke
  if [ "$vrc" -ne 0 ] && [ "$vf" -eq 0 ]; then vf=1; fi
  passed=$((passed + vp)); failed=$((failed + vf)); skipped=$((skipped + vs))
  [ "$vrc" -ne 0 ] && rc=1
fi
[ -n "$failures" ] && printf '%s\n' "$failures"
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$rc"
