# Sourced by run.sh. The recipe of the guest's root file system: Debian 12 from Debian packages only.
# Two stages, each cached by a hash of its own inputs (run.sh hashes the function text with `declare -f`):
#   lwpvm_build_base   debootstrap + packages + the backports kernel (slow: minutes)   key: the function,
#                      the package list, the suite, the mirror
#   lwpvm_configure    idempotent guest configuration, applied to the base right before the image is made
#                      (seconds)                                                        key: base key, the
#                      function, guest/runner.sh
#
# What the guest gets, and why:
#   systemd 252 as PID 1 + dbus         the unit/scope/slice semantics and the bus LwpWatch reads
#   linux-image-amd64 (bookworm, 6.1)   pids.events counted where the fork happened (no pids.events.local)
#   linux-image-amd64 (bookworm-backports, 6.12)
#                                       hierarchical pids.events, pids.events.local, the pids_localevents
#                                       mount option (/sys/kernel/cgroup/features)
#   docker.io, apparmor                 a real container engine (systemd cgroup driver on v2) for --pids-limit;
#                                       apparmor as on a default Debian install (dockerd loads its profile)
#   python3                             the scenario driver (also the HTTP API client)
#   initramfs-tools, udev, kmod         the initrd that finds virtio disks; modprobe for 9p
# Docker is configured for a guest without network (qemu -nic none): no iptables, no default bridge.

LWPVM_SUITE=bookworm
LWPVM_PACKAGES=systemd,systemd-sysv,dbus,udev,kmod,procps,initramfs-tools,linux-image-amd64,python3,docker.io,apparmor

# lwpvm_mirror: the Debian mirror apt already uses on this host (no host name hard-coded).
lwpvm_mirror() {
  local m=""
  [ -r /etc/apt/sources.list.d/debian.sources ] && m=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  [ -n "$m" ] || m=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  echo "${m:-http://deb.debian.org/debian}"
}

# lwpvm_build_base DIR MIRROR LOG: debootstraps DIR (must not exist) with both kernels.
lwpvm_build_base() {
  local dir=$1 mirror=$2 log=$3
  debootstrap --variant=minbase --include="$LWPVM_PACKAGES" "$LWPVM_SUITE" "$dir" "$mirror" >> "$log" 2>&1 || return 1

  # The newer kernel from bookworm-backports (installed next to 6.1; both stay in /boot).
  echo "deb $mirror $LWPVM_SUITE-backports main" > "$dir/etc/apt/sources.list.d/backports.list"
  mount -t proc proc "$dir/proc"
  local rc=0
  { chroot "$dir" apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive chroot "$dir" apt-get install -y -q --no-install-recommends \
      -t "$LWPVM_SUITE-backports" linux-image-amd64; } >> "$log" 2>&1 || rc=$?
  umount "$dir/proc"
  [ "$rc" = 0 ] || return 1

  # What the guest is made of, for the verdict and for the SOURCE notes of fixtures captured in it.
  chroot "$dir" dpkg-query -W -f '${Package} ${Version}\n' > "$dir/etc/lwpvm-packages"
  # Smaller image, faster mkfs: nothing in the guest reads these.
  rm -rf "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/locale/* \
    "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*_Packages "$dir"/var/lib/apt/lists/*_Translation-*
}

# lwpvm_configure DIR RUNNER: makes the base the test guest (every step idempotent: it runs on a cached base).
lwpvm_configure() {
  local dir=$1 runner=$2

  echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' > "$dir/etc/fstab"
  echo lwpvm > "$dir/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 lwpvm\n' > "$dir/etc/hosts"
  : > "$dir/etc/machine-id"            # systemd makes one per boot (the image is booted with -snapshot)
  local sd=$dir/etc/systemd/system
  ln -sf /dev/null "$sd/serial-getty@ttyS0.service"
  ln -sf /dev/null "$sd/getty@tty1.service"
  ln -sf /dev/null "$sd/apt-daily.timer"
  ln -sf /dev/null "$sd/apt-daily-upgrade.timer"
  ln -sf /dev/null "$sd/e2scrub_all.timer"
  ln -sf /dev/null "$sd/fstrim.timer"
  # No network: no bridge, no iptables rules. Containers run with --network none.
  mkdir -p "$dir/etc/docker"
  printf '{"iptables": false, "ip-masq": false, "bridge": "none", "log-driver": "journald"}\n' > "$dir/etc/docker/daemon.json"

  install -m 0755 "$runner" "$dir/usr/local/sbin/lwpvm-runner"
  cat > "$sd/lwpvm-runner.service" <<'UNIT'
[Unit]
Description=LwpWatch VM test runner (runs the scenarios from the 9p share lwpvm, then powers off)
Wants=dbus.service
After=dbus.service systemd-journald.service
[Service]
Type=simple
ExecStart=/usr/local/sbin/lwpvm-runner
TasksMax=infinity
StandardOutput=journal+console
StandardError=journal+console
[Install]
WantedBy=multi-user.target
UNIT
  mkdir -p "$sd/multi-user.target.wants"
  ln -sf /etc/systemd/system/lwpvm-runner.service "$sd/multi-user.target.wants/lwpvm-runner.service"
}
