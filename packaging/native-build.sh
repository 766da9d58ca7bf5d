#!/usr/bin/env bash
# Prints the directory of an unpacked NativeAOT release (bin/lwpwatch, ...) of the source tree as it is now,
# building it with packaging/publish.sh --only native unless this exact source was built before. The cache
# (${LWPWATCH_NATIVE_CACHE:-/var/tmp/lwpwatch-native}/<source hash>/) lets test.sh and every bench/ command
# share one compile. LWPWATCH_NATIVE_FRESH=1 compiles again even on a cache hit: .ci/run sets it for test.sh, so
# the warnings-as-errors AOT publish runs in every CI run, and bench/ afterwards reuses that build.
# Progress goes to stderr; stdout is only the directory. The tarball is next to it: <dir>/../*.tar.gz.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${LWPWATCH_NATIVE_CACHE:-/var/tmp/lwpwatch-native}

# Everything the binary is built from (sources, package versions, the SDK), not bin/obj output.
key=$( { (cd "$ROOT" && find src Directory.Build.props Directory.Packages.props packaging/publish.sh -type f \
           -not -path '*/bin/*' -not -path '*/obj/*' -print0 | sort -z | xargs -0 sha256sum); dotnet --version; } \
       | sha256sum | cut -c1-16)
out=$CACHE/$key
fresh=0
[ "${LWPWATCH_NATIVE_FRESH:-0}" = 1 ] && fresh=1
if [ "$fresh" = 1 ] || ! ls "$out"/lwpwatch-*/bin/lwpwatch >/dev/null 2>&1; then
  rm -rf "$out.tmp"
  mkdir -p "$out.tmp"
  t0=$SECONDS
  bash "$ROOT/packaging/publish.sh" --only native --out "$out.tmp" >&2
  echo "native-build.sh: NativeAOT publish took $((SECONDS - t0))s" >&2
  tar -xzf "$out.tmp"/lwpwatch-*-linux-x64.tar.gz -C "$out.tmp"
  rm -rf "$out"
  mv "$out.tmp" "$out"
  # Keep the three newest builds.
  ls -1dt "$CACHE"/*/ 2>/dev/null | tail -n +4 | xargs -r rm -rf
fi
# World-readable: tests run the binary as nobody.
chmod 755 "$CACHE" "$out"
ls -d "$out"/lwpwatch-*/
