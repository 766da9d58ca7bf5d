#!/usr/bin/env bash
# Runs every LwpWatch test on a fresh Debian machine of the project's kind (root, cgroup v1 pids mounted).
# Installs what the tests need if it is missing (promtool, alertmanager, gcc, systemd-nspawn, debootstrap,
# dbus-daemon, strace),
# restores, builds, runs `dotnet test`, and ends with one summary line: "tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

need=()
command -v promtool >/dev/null && command -v prometheus >/dev/null || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null || need+=(prometheus-alertmanager)
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v curl >/dev/null || need+=(curl)
command -v dbus-daemon >/dev/null || need+=(dbus-daemon)                # a private bus for the D-Bus client tests
command -v busctl >/dev/null || need+=(systemd)                          # busctl: the reference for the bus JSON shape
command -v strace >/dev/null || need+=(strace)                           # counts the daemon's child processes per poll
command -v systemd-analyze >/dev/null || need+=(systemd)          # packaging test: systemd-analyze verify/security
if ((${#need[@]})); then
  echo "test.sh: installing ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || { echo "test.sh: apt-get install failed"; exit 1; }
fi

dotnet restore LwpWatch.sln --nologo -v q || exit 1
dotnet build LwpWatch.sln --no-restore --nologo -v q -c Debug || exit 1

log=$(mktemp)
dotnet test LwpWatch.sln --no-build --nologo -v q --blame-hang-timeout 10m --blame-hang-dump-type none "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

# dotnet test prints one "Failed: x, Passed: y, Skipped: z" line per test assembly; add them up.
read -r passed failed skipped < <(grep -Eo 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" |
  awk -F'[:,]' '{f+=$2; p+=$4; s+=$6} END {print p+0, f+0, s+0}')
rm -f "$log"
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi   # a crash or build break counts as a failure
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$rc"
