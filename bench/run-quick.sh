#!/usr/bin/env bash
# Runs every bench command in its quick mode (tiny N, short duration) so the benchmarks cannot rot.
# Figures from quick modes are not judged against the goals (too small and too short); this only proves
# each command still builds, runs end to end, cleans up, and prints its figures. Exit non-zero if any fails.
set -uo pipefail
cd "$(dirname "$0")"
failed=()
for b in collect scale footprint scrape peer latency zonexml pages; do
  [ -x "./$b" ] || continue
  echo "== bench/$b --quick"
  start=$(date +%s)
  if ./"$b" --quick; then
    echo "== bench/$b ok ($(( $(date +%s) - start ))s)"
  else
    echo "== bench/$b FAILED ($(( $(date +%s) - start ))s)"
    failed+=("$b")
  fi
done
left=$(ls -d /sys/fs/cgroup/pids/lwpw-bench-* 2>/dev/null || true)
if [ -n "$left" ]; then
  echo "bench cgroups left behind: $left"
  failed+=("cleanup")
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench quick modes failed: ${failed[*]}"
  exit 1
fi
echo "bench quick modes: all passed"
