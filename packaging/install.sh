#!/usr/bin/env bash
# Installs LwpWatch from an unpacked release tarball (run it from inside lwpwatch-<version>/):
#   binaries   -> $PREFIX (default /opt/lwpwatch), with $BINDIR/lwpwatch (default /usr/local/bin) pointing at them
#   config     -> /etc/lwpwatch/lwpwatch.yaml (an existing file is never overwritten: the new one lands as .new)
#   state dir  -> /var/lib/lwpwatch (owned by the lwpwatch user on Linux)
#   Linux      -> packaging/systemd/lwpwatch.service into /etc/systemd/system, system user `lwpwatch`,
#                 then `systemctl enable --now lwpwatch` when systemd runs
#   illumos    -> SMF manifest into /opt/custom/smf (SmartOS imports it at boot) or /var/svc/manifest/site,
#                 then `svccfg import` + `svcadm enable lwpwatch`
# With --destdir DIR everything is staged below DIR and nothing on the running system is touched (no user,
# no systemctl/svccfg): for packaging and for the install test.
#
# Usage: ./install.sh [--destdir DIR] [--prefix DIR] [--bindir DIR] [--platform linux|illumos] [--no-start]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
DESTDIR=""
PREFIX=/opt/lwpwatch
BINDIR=/usr/local/bin
PLATFORM=""
START=1
while [ $# -gt 0 ]; do
  case "$1" in
    --destdir) DESTDIR=${2%/}; shift 2 ;;
    --prefix) PREFIX=${2%/}; shift 2 ;;
    --bindir) BINDIR=${2%/}; shift 2 ;;
    --platform) PLATFORM=$2; shift 2 ;;
    --no-start) START=0; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument '$1'" >&2; exit 64 ;;
  esac
done
if [ -z "$PLATFORM" ]; then
  if [ "$(uname -s)" = SunOS ]; then PLATFORM=illumos; else PLATFORM=linux; fi
fi
case "$PLATFORM" in linux|illumos) ;; *) echo "install.sh: --platform must be linux or illumos" >&2; exit 64 ;; esac
LIVE=0
[ -z "$DESTDIR" ] && LIVE=1
if [ "$LIVE" = 1 ] && [ "$(id -u)" != 0 ]; then
  echo "install.sh: run as root (or stage with --destdir DIR)" >&2; exit 1
fi

say() { echo "install.sh: $*"; }
D() { printf '%s%s' "$DESTDIR" "$1"; }

# --- binaries ------------------------------------------------------------------------------------
mkdir -p "$(D "$PREFIX")" "$(D "$BINDIR")"
if [ -d "$HERE/bin" ]; then
  # the native build (linux-x64 NativeAOT): the binary and the SQLite library it loads from its own directory
  rm -rf "$(D "$PREFIX/bin")"
  cp -R "$HERE/bin" "$(D "$PREFIX/bin")"
  chmod 755 "$(D "$PREFIX/bin/lwpwatch")"
elif [ -d "$HERE/lib" ]; then
  # portable build: no apphost, so a wrapper that execs the runtime (exec keeps the pid for sd_notify/SMF)
  rm -rf "$(D "$PREFIX/lib")"
  cp -R "$HERE/lib" "$(D "$PREFIX/lib")"
  mkdir -p "$(D "$PREFIX/bin")"
  cat > "$(D "$PREFIX/bin/lwpwatch")" <<WRAP
#!/bin/sh
exec "\${DOTNET:-dotnet}" "$PREFIX/lib/lwpwatch.dll" "\$@"
WRAP
  chmod 755 "$(D "$PREFIX/bin/lwpwatch")"
  if [ "$PLATFORM" = illumos ]; then
    # The bundled SQLite (e_sqlite3) has no illumos build; the OS/pkgsrc libsqlite3 exports the same API.
    for lib in /opt/local/lib/libsqlite3.so /usr/lib/64/libsqlite3.so.0 /usr/lib/amd64/libsqlite3.so.0 /usr/lib/64/libsqlite3.so; do
      if [ -e "$lib" ]; then ln -sf "$lib" "$(D "$PREFIX/lib/libe_sqlite3.so")"; say "using $lib for SQLite"; break; fi
    done
  fi
else
  echo "install.sh: no bin/ or lib/ next to install.sh: run it from an unpacked release tarball" >&2; exit 1
fi
[ "$PREFIX/bin" = "$BINDIR" ] || ln -sfn "$PREFIX/bin/lwpwatch" "$(D "$BINDIR/lwpwatch")"
say "installed $(cat "$HERE/VERSION" 2>/dev/null || echo lwpwatch) into $(D "$PREFIX")"

# --- config --------------------------------------------------------------------------------------
mkdir -p "$(D /etc/lwpwatch)"
if [ -e "$(D /etc/lwpwatch/lwpwatch.yaml)" ]; then
  install -m 0644 "$HERE/config/lwpwatch.yaml" "$(D /etc/lwpwatch/lwpwatch.yaml.new)"
  say "kept the existing /etc/lwpwatch/lwpwatch.yaml; the shipped reference is lwpwatch.yaml.new"
else
  install -m 0644 "$HERE/config/lwpwatch.yaml" "$(D /etc/lwpwatch/lwpwatch.yaml)"
fi
# Catch a bad config now rather than at the first start (skipped when staging a foreign platform).
if [ "$PLATFORM" = linux ] || [ "$(uname -s)" = SunOS ]; then
  if [ -d "$HERE/lib" ]; then
    # The wrapper names the final path; when staging (--destdir) the assembly is still below DESTDIR.
    "${DOTNET:-dotnet}" "$(D "$PREFIX/lib/lwpwatch.dll")" config validate --config "$(D /etc/lwpwatch/lwpwatch.yaml)"
  else
    "$(D "$PREFIX/bin/lwpwatch")" config validate --config "$(D /etc/lwpwatch/lwpwatch.yaml)"
  fi
fi

# --- state directory and service -----------------------------------------------------------------
mkdir -p "$(D /var/lib/lwpwatch)"
chmod 0750 "$(D /var/lib/lwpwatch)"
if [ "$PLATFORM" = linux ]; then
  unit_dir=/etc/systemd/system
  mkdir -p "$(D $unit_dir)"
  # The portable build runs on the .NET JIT, which needs writable+executable pages: drop that hardening for it.
  jit_sed=()
  [ -d "$HERE/lib" ] && jit_sed=(-e '/^MemoryDenyWriteExecute=yes$/d')
  sed -e "s#^ExecStart=/usr/local/bin/lwpwatch #ExecStart=$BINDIR/lwpwatch #" "${jit_sed[@]}" \
    "$HERE/packaging/systemd/lwpwatch.service" > "$(D $unit_dir/lwpwatch.service)"
  chmod 0644 "$(D $unit_dir/lwpwatch.service)"
  if [ "$LIVE" = 1 ]; then
    if ! getent passwd lwpwatch >/dev/null; then
      useradd --system --user-group --no-create-home --home-dir /var/lib/lwpwatch --shell /usr/sbin/nologin lwpwatch
      say "created system user lwpwatch"
    fi
    # Unit logs of other services (evidence bundles) are readable to the journal group only.
    getent group systemd-journal >/dev/null && usermod -a -G systemd-journal lwpwatch
    chown lwpwatch:lwpwatch /var/lib/lwpwatch
    if [ -d /run/systemd/system ]; then
      systemctl daemon-reload
      if [ "$START" = 1 ]; then systemctl enable --now lwpwatch; else systemctl enable lwpwatch; fi
      say "systemd unit lwpwatch.service enabled$([ "$START" = 1 ] && echo ' and started')"
    else
      say "systemd is not running here: unit installed, not started"
    fi
  fi
else
  manifest_dir=/var/svc/manifest/site
  [ -d "$(D /opt/custom)" ] && manifest_dir=/opt/custom/smf   # SmartOS: the GZ root is a ramdisk, /opt persists
  mkdir -p "$(D "$manifest_dir")"
  sed -e "s#/opt/lwpwatch/bin/lwpwatch#$PREFIX/bin/lwpwatch#" "$HERE/packaging/smf/lwpwatch.xml" > "$(D "$manifest_dir/lwpwatch.xml")"
  chmod 0444 "$(D "$manifest_dir/lwpwatch.xml")"
  if [ "$LIVE" = 1 ]; then
    svccfg validate "$manifest_dir/lwpwatch.xml"
    svccfg import "$manifest_dir/lwpwatch.xml"
    [ "$START" = 1 ] && svcadm enable lwpwatch
    say "SMF service svc:/application/lwpwatch:default imported$([ "$START" = 1 ] && echo ' and enabled')"
  fi
fi
say "done. Metrics: curl -s http://127.0.0.1:9781/metrics | head"
