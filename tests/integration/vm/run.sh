#!/usr/bin/env bash
# The VM suite: LwpWatch on a REAL cgroup v2 host with systemd as PID 1 (Debian 12 in qemu), the release
# tarball installed in it exactly as a user installs it, every scenario asserted against the kernel's own
# files read in the guest. See README.md beside this file.
#
#   tests/integration/vm/run.sh [--kernel 6.12|6.1|all] [--scenarios LIST] [--accel auto|tcg|kvm]
#                               [--tarball FILE] [--judge DIR] [--prepare] [--prepare-guest]
#
# Stages (each cached under $LWPWATCH_VM_DIR, default /var/tmp/lwpwatch-vm, keyed by a hash of its inputs):
#   app     packaging/publish.sh --only $LWPWATCH_VM_VARIANT (the shipped tarball)   key: src, packaging, config
#   rootfs  debootstrap + both kernels (rootfs.sh)                                   key: rootfs.sh, runner.sh
#   image   mkfs.ext4 -d of the rootfs                                               key: the rootfs key
#   kvm     one accelerator probe per host kernel + qemu version (KVM, else TCG)
# --prepare builds (or finds) every cached stage and exits without booting; --prepare-guest only the guest's
# (rootfs, image, accelerator verdict), not the app: .ci/run builds those beside the .NET tests, which make
# the tarball themselves.
# Then one boot per kernel: qemu -snapshot (the image stays pristine), -nic none, the host talks to the
# guest only through the 9p share "lwpvm" and the serial console. The guest's runner runs guest/main.py
# from the share and powers off; judge.py turns its results into PASS/FAIL/XFAIL/SKIP lines.
#
# Last line: "vm: N passed, N failed, N skipped" (test.sh adds it to the suite's totals).
# Exit: 0 all passed, 1 a check failed or an infrastructure step failed (also counted as a failure).
# Needs root, ~3 GB under $LWPWATCH_VM_DIR, Debian packages only; installs what it needs with apt-get.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
W=${LWPWATCH_VM_DIR:-/var/tmp/lwpwatch-vm}
KERNELS=${LWPWATCH_VM_KERNELS:-6.12}
SCENARIOS=${LWPWATCH_VM_SCENARIOS:-all}
ACCEL=${LWPWATCH_VM_ACCEL:-auto}
VARIANT=${LWPWATCH_VM_VARIANT:-native}   # the shipped Linux tarball (NativeAOT)
TARBALL=${LWPWATCH_VM_TARBALL:-}
BOOT_TIMEOUT=${LWPWATCH_VM_TIMEOUT:-2400}
JUDGE_ONLY=""
PREPARE_ONLY=0
GUEST_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --kernel) KERNELS=$2; shift 2 ;;
    --scenarios) SCENARIOS=$2; shift 2 ;;
    --accel) ACCEL=$2; shift 2 ;;
    --tarball) TARBALL=$2; shift 2 ;;
    --judge) JUDGE_ONLY=$2; shift 2 ;;
    --prepare) PREPARE_ONLY=1; shift ;;
    --prepare-guest) PREPARE_ONLY=1; GUEST_ONLY=1; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; exit 64 ;;
  esac
done
[ "$KERNELS" = all ] && KERNELS="6.12 6.1"
KERNELS=${KERNELS//,/ }

log() { printf '[vm %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.0f", b-a}'; }
infra_fail() { # the suite could not run: one failed check per kernel, so nothing reads as green
  log "ERROR: $*"
  for k in $KERNELS; do echo "FAIL  [$k] vm.infrastructure: $*"; done
  echo "vm: 0 passed, $(wc -w <<< "$KERNELS") failed, 0 skipped"
  exit 1
}

if [ -n "$JUDGE_ONLY" ]; then   # re-judge a finished run's raw results (no boot)
  exec python3 "$HERE/judge.py" --known "$HERE/known-defects.txt" "$JUDGE_ONLY"/*/
fi
[ "$(id -u)" = 0 ] || infra_fail "needs root (debootstrap, mkfs, chroot, 9p share)"

# ---- tools ------------------------------------------------------------------------------------------
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
command -v python3 >/dev/null || need+=(python3)
command -v gcc >/dev/null && [ -e /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(gcc libc6-dev)
[ -r /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)
if ((${#need[@]})); then
  log "installing ${need[*]}"
  for i in 1 2 3 4 5 6; do   # another apt may hold the dpkg lock: wait and retry
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"; } \
      > "$W.apt.log" 2>&1 && break
    [ "$i" = 6 ] && infra_fail "apt-get install ${need[*]} failed (see $W.apt.log)"
    sleep 20
  done
fi

mkdir -p "$W"
TIMINGS=$W/timings.log
timing() { printf '%s %s %s\n' "$(date -Is)" "$1" "$2" >> "$TIMINGS"; log "time $1 = $2 s"; }
exec 8>"$W/build.lock"          # one builder at a time across sessions; boots run concurrently
hash_of() { sha256sum "$@" | sha256sum | cut -c1-16; }
. "$HERE/rootfs.sh"
MIRROR=$(lwpvm_mirror)

# ---- app: the shipped tarball ----------------------------------------------------------------------
# Keyed by the content of everything that goes into it (uncommitted edits included), not by a commit.
app_key() {
  (cd "$REPO" && find src packaging config Directory.Build.props Directory.Packages.props -type f \
     -not -path '*/bin/*' -not -path '*/obj/*' -print0 | sort -z | xargs -0 sha256sum; echo "variant=$VARIANT") | sha256sum | cut -c1-16
}
build_app() {
  if [ -n "$TARBALL" ]; then
    [ -r "$TARBALL" ] || infra_fail "--tarball $TARBALL not readable"
    APP_TGZ=$TARBALL; log "app: given tarball $TARBALL"; return
  fi
  local key dir; key=$(app_key); dir=$W/app-$key
  if ! ls "$dir"/lwpwatch-*.tar.gz >/dev/null 2>&1; then
    flock 8
    if ! ls "$dir"/lwpwatch-*.tar.gz >/dev/null 2>&1; then
      log "app: packaging/publish.sh --only $VARIANT (key $key)"
      local t; t=$(now)
      rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
      "$REPO/packaging/publish.sh" --only "$VARIANT" --out "$dir.tmp" > "$W/publish.log" 2>&1 \
        || { flock -u 8; infra_fail "packaging/publish.sh failed (see $W/publish.log)"; }
      mv "$dir.tmp" "$dir"
      timing "app-publish-$VARIANT" "$(since "$t")"
      find "$W" -maxdepth 1 -name 'app-*' -not -name "app-$key" -exec rm -rf {} +   # older builds
    fi
    flock -u 8
  fi
  APP_TGZ=$(ls "$dir"/lwpwatch-*.tar.gz | head -1)
  log "app: $APP_TGZ"
}

# ---- rootfs + image -------------------------------------------------------------------------------
BASE_KEY=$( (declare -f lwpvm_build_base; echo "$LWPVM_PACKAGES $LWPVM_SUITE $MIRROR") | sha256sum | cut -c1-16)
IMAGE_KEY=$( (echo "$BASE_KEY"; declare -f lwpvm_configure; cat "$HERE/guest/runner.sh") | sha256sum | cut -c1-16)
ROOTFS=$W/rootfs-$BASE_KEY
IMG=$W/image-$IMAGE_KEY.img
build_rootfs_and_image() {
  [ -f "$IMG" ] && [ -d "$ROOTFS/boot" ] && return
  flock 8
  if [ ! -d "$ROOTFS/boot" ]; then
    log "rootfs: debootstrap $LWPVM_SUITE from $MIRROR + backports kernel (key $BASE_KEY)"
    local t; t=$(now)
    rm -rf "$ROOTFS.tmp"; : > "$W/rootfs.log"
    if ! lwpvm_build_base "$ROOTFS.tmp" "$MIRROR" "$W/rootfs.log"; then
      umount "$ROOTFS.tmp/proc" 2>/dev/null; flock -u 8
      infra_fail "rootfs build failed (see $W/rootfs.log)"
    fi
    mv "$ROOTFS.tmp" "$ROOTFS"        # atomic: a half-built rootfs is never taken for a cached one
    timing rootfs-build "$(since "$t")"
  fi
  if [ ! -f "$IMG" ]; then
    log "image: configure + mkfs.ext4 -d $ROOTFS (key $IMAGE_KEY)"
    local t mb; t=$(now)
    lwpvm_configure "$ROOTFS" "$HERE/guest/runner.sh" || { flock -u 8; infra_fail "guest configuration failed"; }
    mb=$(( $(du -sm "$ROOTFS" | cut -f1) * 12 / 10 + 1024 ))   # room for docker's layers and the journal
    rm -f "$IMG.tmp"; truncate -s "${mb}M" "$IMG.tmp"
    mkfs.ext4 -q -F -L lwpvm -d "$ROOTFS" "$IMG.tmp" > "$W/mkfs.log" 2>&1 || { flock -u 8; infra_fail "mkfs.ext4 failed (see $W/mkfs.log)"; }
    mv "$IMG.tmp" "$IMG"
    timing image-build "$(since "$t")"
    # Older keys: their rootfs and image are dead weight (a boot still using one keeps its open file).
    find "$W" -maxdepth 1 \( -name 'rootfs-*' -o -name 'image-*.img' \) -not -name "rootfs-$BASE_KEY" -not -name "image-$IMAGE_KEY.img" \
      -exec rm -rf {} +
  fi
  flock -u 8
}
kernel_of() { ls "$ROOTFS/boot" | sed -n 's/^vmlinuz-//p' | grep "^$1[.]" | sort -V | tail -1; }

# ---- accelerator ----------------------------------------------------------------------------------
# boot LOG TIMEOUT KVER SHARE APPEND ACCEL...: qemu in the foreground, console lines stamped with seconds.
boot() {
  local logf=$1 tmo=$2 kv=$3 share=$4 extra=$5; shift 5
  local t0 virtfs=() pidf; t0=$(now); pidf=$logf.qemu.pid
  [ -n "$share" ] && virtfs=(-virtfs "local,path=$share,mount_tag=lwpvm,security_model=none,id=lwpvm")
  timeout --kill-after=10 "$tmo" qemu-system-x86_64 "$@" -m 3072 -smp 2 -nographic -no-reboot \
    -kernel "$ROOTFS/boot/vmlinuz-$kv" -initrd "$ROOTFS/boot/initrd.img-$kv" \
    -append "root=/dev/vda rw console=ttyS0 quiet systemd.show_status=0 $extra" \
    -drive "file=$IMG,format=raw,if=virtio,snapshot=on" "${virtfs[@]}" -nic none -pidfile "$pidf" < /dev/null 2>&1 |
    while IFS= read -r line; do printf '%7.1f %s\n' "$(awk -v a="$t0" -v b="$(now)" 'BEGIN{print b-a}')" "$line"; done > "$logf"
  return "${PIPESTATUS[0]}"
}
TCG="-accel tcg,thread=multi -cpu max"
accel_args() {
  case "$ACCEL" in
    tcg) echo "$TCG"; return ;;
    kvm) echo "-accel kvm -cpu host"; return ;;
  esac
  # Probe once per host kernel + qemu: on some VM hosts /dev/kvm exists but guests abort or hang in early boot.
  local key verdict f; key=$(echo "$(uname -r) $(qemu-system-x86_64 --version | head -1)" | sha256sum | cut -c1-16)
  f=$W/kvm-verdict-$key
  if [ ! -f "$f" ]; then
    verdict=tcg
    if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
      local t; t=$(now)
      boot "$W/kvm-probe.log" 45 "$(kernel_of 6.1)" "" lwpvm.probe -accel kvm -cpu host
      grep -q 'LWPVM: PROBE-OK' "$W/kvm-probe.log" && verdict=kvm
      timing "kvm-probe-$verdict" "$(since "$t")"
    fi
    echo "$verdict" > "$f"
  fi
  if [ "$(cat "$f")" = kvm ]; then echo "-accel kvm -cpu host"; else echo "$TCG"; fi
}

# ---- guest files ----------------------------------------------------------------------------------
prepare_share() { # prepare_share DIR KERNEL_SERIES
  local sh=$1
  rm -rf "$sh"; mkdir -p "$sh/in" "$sh/out"
  cp "$HERE"/guest/*.py "$sh/in/"
  gzip -dc "$APP_TGZ" > "$sh/in/lwpwatch.tar" || return 1     # the guest untars it (gunzip is slow under TCG)
  gcc -O2 -Wall -Werror -static -pthread -o "$sh/in/lwpvm-load" "$HERE/guest/load.c" 2> "$sh/gcc.log" || return 1
  echo "$SCENARIOS" > "$sh/in/scenarios"
  echo "${LWPWATCH_VM_TIMEOUT_SCALE:-1}" > "$sh/in/timeout-scale"
  echo "$2" > "$sh/in/kernel-series"
  # What built the tarball, for the SOURCE notes of captured fixtures ("+dirty": uncommitted edits in it).
  if [ -n "$TARBALL" ]; then echo "tarball $(basename "$TARBALL")"; else
    echo "$(git -C "$REPO" rev-parse HEAD 2>/dev/null || echo unknown)$(git -C "$REPO" status --porcelain -- src packaging config 2>/dev/null | grep -q . && echo +dirty)"
  fi > "$sh/in/lwpwatch-commit"
  echo $((BOOT_TIMEOUT - 120)) > "$sh/in/guest-timeout"
}

# ---- main -----------------------------------------------------------------------------------------
# Everything below runs from one function, called on the last line: bash has parsed all of it before it
# starts, so editing this file while a run is in flight cannot change the run.
main() {
  T0=$(now)
  [ "$GUEST_ONLY" = 1 ] || build_app
  build_rootfs_and_image
  AARGS=$(accel_args)
  log "accelerator: $AARGS"
  if [ "$PREPARE_ONLY" = 1 ]; then timing vm-prepare "$(since "$T0")"; exit 0; fi   # caches only, no boot
  RUNS=$W/runs; mkdir -p "$RUNS"
  RUN=$RUNS/$(date +%Y%m%d-%H%M%S)-$$
  mkdir -p "$RUN"
  ls -1dt "$RUNS"/*/ 2>/dev/null | tail -n +6 | xargs -r rm -rf     # keep the last 5 runs
  dirs=()
  for k in $KERNELS; do
    kv=$(kernel_of "$k")
    R=$RUN/$k; mkdir -p "$R"; dirs+=("$R")
    echo "$k" > "$R/kernel-series"
    if [ -z "$kv" ]; then echo "no kernel $k.* in the rootfs" > "$R/infra-error"; continue; fi
    SH=$RUN/share-$k
    prepare_share "$SH" "$k" || { echo "guest files: $(cat "$SH/gcc.log")" > "$R/infra-error"; continue; }
    log "boot $kv (scenarios: $SCENARIOS, timeout ${BOOT_TIMEOUT}s)"
    t=$(now)
    # shellcheck disable=SC2086
    boot "$R/console.log" "$BOOT_TIMEOUT" "$kv" "$SH" "" $AARGS; qrc=$?
    timing "vm-$k-boot-to-poweroff" "$(since "$t")"
    cp -a "$SH/out/." "$R/"
    ts=$(awk '/LWPVM: runner start/{print $1; exit}' "$R/console.log"); [ -n "$ts" ] && timing "vm-$k-qemu-to-runner" "${ts%.*}"
    if ! grep -q 'LWPVM: POWEROFF' "$R/console.log"; then
      echo "the VM did not finish (qemu rc=$qrc); console tail: $(tail -5 "$R/console.log" | tr '\n' '|')" > "$R/infra-error"
    fi
    rm -rf "$SH"
  done
  timing vm-suite-total "$(since "$T0")"
  log "results: $RUN"
  python3 "$HERE/judge.py" --known "$HERE/known-defects.txt" "${dirs[@]}"
}
main "$@"; exit $?
