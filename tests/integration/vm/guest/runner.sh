#!/bin/sh
# Baked into the VM image as /usr/local/sbin/lwpvm-runner (lwpvm-runner.service, multi-user.target).
# Mounts the host's 9p share "lwpvm", runs its in/main.py (the scenarios: they live in the share, so
# changing a scenario never rebuilds the image), records the exit code, then powers the VM off.
# Kernel argument lwpvm.probe: only print PROBE-OK on the console and power off (the accelerator probe).
# Kept small on purpose: it is part of the image key.
con() { echo "LWPVM: $*" > /dev/ttyS0; }
read -r up _ < /proc/uptime
con "runner start uptime=$up kernel=$(uname -r)"
if grep -qw lwpvm.probe /proc/cmdline; then con PROBE-OK; sync; systemctl poweroff --force --force; exit 0; fi
modprobe -q 9pnet_virtio; modprobe -q 9p
mkdir -p /mnt/lwpvm
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 lwpvm /mnt/lwpvm; then
  con "9p mount failed"; sync; systemctl poweroff --force --force; exit 1
fi
mkdir -p /mnt/lwpvm/out
timeout "$(cat /mnt/lwpvm/in/guest-timeout 2>/dev/null || echo 1200)" \
  python3 -u /mnt/lwpvm/in/main.py > /mnt/lwpvm/out/main.log 2>&1
rc=$?
echo "$rc" > /mnt/lwpvm/out/main.rc
read -r up _ < /proc/uptime
con "main.py rc=$rc uptime=$up"
sync; umount /mnt/lwpvm
con POWEROFF
systemctl poweroff --force --force
