#!/usr/bin/env bash
# Builds LwpWatch release tarballs into ./artifacts (or --out DIR):
#   lwpwatch-<v>-linux-x64.tar.gz                 framework-dependent: needs the .NET 10 ASP.NET Core runtime
#   lwpwatch-<v>-linux-x64-self-contained.tar.gz  no runtime needed on the node
#   lwpwatch-<v>-portable.tar.gz                  framework-dependent, no apphost: `dotnet lwpwatch.dll`, for
#                                                 illumos/SmartOS hosts that have a .NET runtime
# Each tarball unpacks to lwpwatch-<v>/ with bin/ (or lib/ for portable), config/, packaging/, docs/ and
# install.sh. Build artifacts go under a scratch --artifacts-path, never into the source tree's bin/obj.
#
# Usage: packaging/publish.sh [--out DIR] [--only fd|sc|portable]... [--version V]
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
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "publish.sh: unknown argument '$1'" >&2; exit 64 ;;
  esac
done
[ ${#ONLY[@]} -gt 0 ] || ONLY=(fd sc portable)
for v in "${ONLY[@]}"; do
  case "$v" in fd|sc|portable) ;; *) echo "publish.sh: --only takes fd, sc or portable, got '$v'" >&2; exit 64 ;; esac
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
    fd) name=lwpwatch-$VERSION-linux-x64 ;;
    sc) name=lwpwatch-$VERSION-linux-x64-self-contained ;;
    portable) name=lwpwatch-$VERSION-portable ;;
  esac
  dir=$WORK/stage/$name/lwpwatch-$VERSION
  local bindir=$dir/bin
  [ "$variant" = portable ] && bindir=$dir/lib
  echo "publish.sh: $name"
  dotnet publish "$PROJECT" -c Release --nologo -v q --artifacts-path "$WORK/artifacts-$variant" -o "$bindir" \
    -p:Version="$VERSION" -p:DebugType=none -p:GenerateDocumentationFile=false "$@"
  stage_common "$dir"
  # Deterministic-ish tarballs: sorted names, root-owned, no access times.
  tar --sort=name --owner=0 --group=0 --numeric-owner -C "$WORK/stage/$name" -czf "$OUT/$name.tar.gz" "lwpwatch-$VERSION"
  echo "publish.sh: wrote $OUT/$name.tar.gz ($(du -h "$OUT/$name.tar.gz" | cut -f1))"
}

for v in "${ONLY[@]}"; do
  case "$v" in
    fd) publish fd -r linux-x64 --self-contained false ;;
    sc) publish sc -r linux-x64 --self-contained true ;;
    # No RID and no apphost: the same IL runs on any OS with a .NET 10 runtime (illumos ports included).
    # SQLite: the bundled e_sqlite3 has no illumos build; install.sh links the system libsqlite3 instead.
    portable) publish portable --self-contained false -p:UseAppHost=false ;;
  esac
done
