#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the VM's root filesystem from Debian sid packages (xfsprogs 7.2 with xfs_healer and
# `xfs_io healthmon` needs sid's libc) into the cache, keyed by this script and its recipe.  The guest
# mounts it read-only over virtio-9p; its /sbin/xfshm-init mounts the run directory and hands over
# to scripts/guest-init.sh from the checkout.
#
#   scripts/build-rootfs.sh [--systemd | --bench | --deb]
#
# --systemd builds the systemd guest's root filesystem (scripts/vm.sh --systemd), a separate one:
# the same packages with systemd, udev and D-Bus added, and /sbin/xfshm-sdinit, which hands over
# to scripts/guest-sdinit.sh.  The default one stays without udev: with udev installed but no
# udevd running, `udevadm settle` and `udevadm wait` (fstests' _dmsetup_create) wait for their
# timeout and fail.  With --systemd it also makes the XFS image of that root filesystem
# (rootfs-systemd-KEY.xfs beside it) that the root filesystem test boots from.  --bench builds
# the benchmark guest's (scripts/bench.sh): the default packages and fio, for the I/O error storm,
# kept out of the test guests' root filesystem because of what fio pulls in (the Ceph, Gluster
# and RDMA client libraries).  --deb builds a Debian system for the package tests (tests/deb):
# the systemd guest's packages, Debian's kernel (linux-image of Debian's stock kernel, installed
# by dpkg, its modules and initramfs its own), initramfs-tools, the Prometheus node exporter and
# curl; it boots like the systemd guest (--systemd is implied).
set -euo pipefail
. "$(dirname "$0")/common.sh"
setup_versions

PACKAGES="xfsprogs util-linux mount dmsetup kmod procps attr acl libcap2-bin bash coreutils
          diffutils sed grep gawk findutils strace"
SYSTEMD_PACKAGES="systemd systemd-sysv udev dbus libnss-systemd libbpf1"
flavour=
for opt in "$@"; do
	case $opt in
	--systemd) [ -n "$flavour" ] || flavour=systemd- ;;
	--bench) flavour=bench- ;;
	--deb) flavour=deb- ;;
	*) die "unknown option '$opt'" ;;
	esac
done
case $flavour in
systemd-) PACKAGES="$PACKAGES $SYSTEMD_PACKAGES" ;;
bench-) PACKAGES="$PACKAGES fio" ;;
deb-)
	XFSHM_KERNEL=distro load_distro
	PACKAGES="$PACKAGES $SYSTEMD_PACKAGES linux-image-$DISTRO_KREL=$DISTRO_VERSION initramfs-tools
		prometheus-node-exporter curl" ;;
esac

# Keyed by this script and the recipe it shares with the distro build root (common.sh), and for
# the Debian system, by the kernel it has installed.
key=$({ cat "$0"; declare -f sid_root; [ "$flavour" != deb- ] || echo "$PACKAGES"; } |
	sha256sum | cut -c1-12)
ROOTFS=$CACHE/rootfs-$flavour$key
if [ -f "$ROOTFS/.done" ]; then
	echo "$ROOTFS"
	exit 0
fi
logf=$CACHE/rootfs${flavour:+-${flavour%-}}.log
exec 9>"$logf.lock"
flock 9
if [ -f "$ROOTFS/.done" ]; then
	echo "$ROOTFS"
	exit 0
fi
log "building the VM root filesystem ${flavour:+($flavour) }from sid in $ROOTFS (about a minute)"
sid_root "$ROOTFS" "$logf" "$PACKAGES"
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
if [ "$flavour" = systemd- ] || [ "$flavour" = deb- ]; then
	cat > "$ROOTFS.tmp/sbin/xfshm-sdinit" <<'EOI'
#!/bin/sh
# PID 1 of the systemd guest until systemd: mount what the checkout's script needs, which makes
# the writable root (an overlay on this read-only one, or the XFS root filesystem), loads xfs.ko
# and execs systemd there.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 xfshm /xfshm
exec /bin/bash /xfshm/guest-sdinit.sh
EOI
	chmod 755 "$ROOTFS.tmp/sbin/xfshm-sdinit"
	mkdir -p "$ROOTFS.tmp/oldroot"
	test -x "$ROOTFS.tmp/lib/systemd/systemd" || die "the root filesystem has no systemd"
fi
if [ "$flavour" = deb- ]; then
	# The initramfs of the installed kernel holds xfs.ko (and what it needs) and no more, as
	# one for an XFS root filesystem would, and is made again with that: the package test
	# (tests/deb) looks for the module that its postinst and postrm put there, and the guest
	# makes it under TCG.
	test -f "$ROOTFS.tmp/boot/initrd.img-$DISTRO_KREL" || die "linux-image-$DISTRO_KREL made no initramfs"
	echo xfs > "$ROOTFS.tmp/usr/share/initramfs-tools/modules.d/xfshm"
	echo MODULES=list > "$ROOTFS.tmp/etc/initramfs-tools/conf.d/xfshm"
	# shellcheck disable=SC2016 # the script's own arguments, expanded where it runs
	unshare --mount --propagation private -- /bin/sh -c '
		set -e
		mount -t proc proc "$1/proc"
		mount --rbind /dev "$1/dev"
		exec chroot "$1" update-initramfs -u -k "$2"' _ "$ROOTFS.tmp" "$DISTRO_KREL" >> "$logf" 2>&1 ||
		die "cannot make the initramfs of $DISTRO_KREL again; log in $logf"
	test -x "$ROOTFS.tmp/usr/bin/prometheus-node-exporter" || die "the root filesystem has no node exporter"
fi
if [ "$flavour" = systemd- ]; then
	# The root filesystem test's XFS image of this tree, made by sid's mkfs.xfs (xfsprogs 7.2
	# populates a new filesystem from a directory) run with sid's own loader and libraries.  It
	# opens every file it copies, and the device nodes of /dev may not open here: the image gets
	# an empty /dev, where the guest mounts devtmpfs.
	rm -f "$ROOTFS.xfs.tmp"
	truncate -s 2G "$ROOTFS.xfs.tmp"
	rm -rf "$ROOTFS.tmp.dev"
	mv "$ROOTFS.tmp/dev" "$ROOTFS.tmp.dev"
	mkdir -m 755 "$ROOTFS.tmp/dev"
	rc=0
	"$ROOTFS.tmp/lib64/ld-linux-x86-64.so.2" \
		--library-path "$ROOTFS.tmp/usr/lib/x86_64-linux-gnu" "$ROOTFS.tmp/usr/sbin/mkfs.xfs" \
		-q -L xfshm-root -p "$ROOTFS.tmp" "$ROOTFS.xfs.tmp" >> "$logf" 2>&1 || rc=$?
	rmdir "$ROOTFS.tmp/dev"
	mv "$ROOTFS.tmp.dev" "$ROOTFS.tmp/dev"
	[ $rc = 0 ] || die "mkfs.xfs cannot make the root filesystem image; log in $logf"
fi
[ "$flavour" != bench- ] || test -x "$ROOTFS.tmp/usr/bin/fio" || die "the root filesystem has no fio"
mv "$ROOTFS.tmp" "$ROOTFS"
[ "$flavour" != systemd- ] || mv "$ROOTFS.xfs.tmp" "$ROOTFS.xfs"
touch "$ROOTFS/.done"
echo "$ROOTFS"
