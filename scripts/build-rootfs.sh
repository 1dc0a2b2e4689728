#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the VM's root filesystem from Debian sid packages (xfsprogs 7.2 with xfs_healer and
# `xfs_io healthmon` needs sid's libc) into the cache, keyed by this script and its recipe.  The guest
# mounts it read-only over virtio-9p; its /sbin/xfshm-init mounts the run directory and hands over
# to scripts/guest-init.sh from the checkout.
set -euo pipefail
. "$(dirname "$0")/common.sh"
"$TOP/scripts/setup.sh" >/dev/null

PACKAGES="xfsprogs util-linux mount dmsetup kmod procps attr acl libcap2-bin bash coreutils
          diffutils sed grep gawk findutils strace"

# Keyed by this script and the recipe it shares with the distro build root (common.sh).
key=$({ cat "$0"; declare -f sid_root; } | sha256sum | cut -c1-12)
ROOTFS=$CACHE/rootfs-$key
if [ -f "$ROOTFS/.done" ]; then
	echo "$ROOTFS"
	exit 0
fi
log "building the VM root filesystem from sid in $ROOTFS (about a minute)"
sid_root "$ROOTFS" "$CACHE/rootfs.log" "$PACKAGES"
# /lib/modules is where the guest mounts the kernel's modules (scripts/guest-init.sh).
mkdir -p "$ROOTFS.tmp/host" "$ROOTFS.tmp/xfshm" "$ROOTFS.tmp/mnt/test" "$ROOTFS.tmp/mnt/scratch" \
	"$ROOTFS.tmp/usr/lib/modules"
cat > "$ROOTFS.tmp/sbin/xfshm-init" <<'EOI'
#!/bin/sh
# PID 1 of the test VM: mount the pseudo filesystems and the two 9p shares, then run the
# checkout's guest script, which does the rest and powers the machine off.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/tmp
mount -t tmpfs tmpfs /mnt
mkdir -p /mnt/test /mnt/scratch
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,ro host /host
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 xfshm /xfshm
exec /bin/bash /xfshm/guest-init.sh
EOI
chmod 755 "$ROOTFS.tmp/sbin/xfshm-init"
test -x "$ROOTFS.tmp/usr/libexec/xfsprogs/xfs_healer" || die "the root filesystem has no xfs_healer"
mv "$ROOTFS.tmp" "$ROOTFS"
touch "$ROOTFS/.done"
echo "$ROOTFS"
