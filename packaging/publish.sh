#!/usr/bin/env bash
# Builds LwpWatch release tarballs into ./artifacts (or --out DIR):
#   lwpwatch-<v>-linux-x64.tar.gz   NativeAOT, the Linux binary: bin/lwpwatch (native code, no .NET runtime on
#                                   the node) and bin/libe_sqlite3.so. Needs gcc (or clang) to build.
#   lwpwatch-<v>-portable.tar.gz    framework-dependent, no apphost: `dotnet lwpwatch.dll`, for illumos/SmartOS
#                                   (no NativeAOT there) and any host that has a .NET 10 runtime
# Each tarball unpacks to lwpwatch-<v>/ with bin/ (or lib/ for portable), config/, packaging/, docs/ and
# install.sh. Build artifacts go under a scratch --artifacts-path, never into the source tree's bin/obj.
# The native build fails on any trim/AOT warning (warnings are errors), so what ships never relies on
# reflection that NativeAOT cannot do.
#
# Usage: packaging/publish.sh [--out DIR] [--only native|portable]... [--version V]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/artifacts
ONLY=()
VERSION=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --only) ONLY+=("$2"); shift 2 ;;
    --version) VERSION=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "publish.sh: unknown argument '$1'" >&2; exit 64 ;;
  esac
done
[ ${#ONLY[@]} -gt 0 ] || ONLY=(native portable)
for i in "${!ONLY[@]}"; do
  case "${ONLY[$i]}" in
    native|portable) ;;
    # The JIT apphost tarballs of earlier releases (framework-dependent, self-contained): the Linux tarball is
    # the native one now; scripts that still ask for them get it, with a note.
    fd|sc) echo "publish.sh: --only ${ONLY[$i]} is gone; building native (the linux-x64 tarball)" >&2; ONLY[$i]=native ;;
    *) echo "publish.sh: --only takes native or portable, got '${ONLY[$i]}'" >&2; exit 64 ;;
  esac
done
if [ -z "$VERSION" ]; then
  VERSION=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$ROOT/Directory.Build.props" | head -1)
fi
[ -n "$VERSION" ] || { echo "publish.sh: no <Version> in Directory.Build.props; pass --version" >&2; exit 1; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
PROJECT=$ROOT/src/LwpWatch.Daemon/LwpWatch.Daemon.csproj
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lwpwatch-publish.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"

# The files every tarball carries besides the binaries.
stage_common() {
  local dir=$1
  mkdir -p "$dir/config" "$dir/packaging" "$dir/docs"
  cp "$ROOT/config/lwpwatch.yaml" "$dir/config/"
  cp -R "$ROOT/packaging/systemd" "$ROOT/packaging/smf" "$ROOT/packaging/prometheus" "$dir/packaging/"
  cp "$ROOT/packaging/install.sh" "$dir/install.sh"
  chmod 755 "$dir/install.sh"
  [ -d "$ROOT/docs" ] && cp -R "$ROOT/docs/." "$dir/docs/"
  [ -f "$ROOT/README.md" ] && cp "$ROOT/README.md" "$dir/"
  printf '%s\n' "$VERSION" > "$dir/VERSION"
}

publish() {
  local variant=$1 name dir; shift
  case "$variant" in
    native) name=lwpwatch-$VERSION-linux-x64 ;;
    portable) name=lwpwatch-$VERSION-portable ;;
  esac
  dir=$WORK/stage/$name/lwpwatch-$VERSION
  local bindir=$dir/bin
  [ "$variant" = portable ] && bindir=$dir/lib
  echo "publish.sh: $name"
  local t0=$SECONDS
  dotnet publish "$PROJECT" -c Release --nologo -v q --artifacts-path "$WORK/artifacts-$variant" -o "$bindir" \
    -p:Version="$VERSION" -p:DebugType=none -p:GenerateDocumentationFile=false "$@"
  echo "publish.sh: $name built in $((SECONDS - t0))s"
  stage_common "$dir"
  # Deterministic-ish tarballs: sorted names, root-owned, no access times.
  tar --sort=name --owner=0 --group=0 --numeric-owner -C "$WORK/stage/$name" -czf "$OUT/$name.tar.gz" "lwpwatch-$VERSION"
  echo "publish.sh: wrote $OUT/$name.tar.gz ($(du -h "$OUT/$name.tar.gz" | cut -f1))"
}

for v in "${ONLY[@]}"; do
  case "$v" in
    # Native code, no runtime: starts in milliseconds and costs the node a fraction of a JIT runtime's memory
    # (bench/RESULTS.md). The SQLite library stays a shared object next to the binary.
    native) publish native -r linux-x64 -p:PublishAot=true ;;
    # No RID and no apphost: the same IL runs on any OS with a .NET 10 runtime (illumos ports included).
    # SQLite: the bundled e_sqlite3 has no illumos build; install.sh links the system libsqlite3 instead.
    portable) publish portable --self-contained false -p:UseAppHost=false ;;
  esac
done
