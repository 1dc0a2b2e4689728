#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# PID 1 of the systemd guest until systemd runs (exec'd by the systemd root filesystem's
# /sbin/xfshm-sdinit, scripts/build-rootfs.sh --systemd): loads the chosen xfs.ko, makes the
# writable root (an overlay of a tmpfs on the read-only 9p root, or with XFSHM_ROOT=xfs the XFS
# image of the same tree on /dev/vde, mounted by the xfs.ko just loaded), moves the shares there,
# adds the test unit and switches to it with systemd as PID 1.  The unit, xfshm-test.service,
# runs scripts/guest-init.sh once the boot is done; that records the status and the journal and
# powers off.
export PATH=/xfshm/bin:/usr/sbin:/usr/bin:/sbin:/bin
# shellcheck source=/dev/null # written by scripts/vm.sh for each run
. /xfshm/env

# The run directory: /xfshm, or under the new root once it has moved there.
share=/xfshm
fail() { # STATUS MESSAGE: record the status and power off, as guest-init.sh's finish does
	echo "xfshm-sdinit: $2" > /dev/kmsg
	echo "$1" > "$share/status"
	dmesg > "$share/dmesg" 2>/dev/null
	sync
	# A reboot, which QEMU's -no-reboot turns into its exit.  ACPI power-off has hung after
	# the results were written: under -icount, and on the PREEMPT_RT kernel every time.
	echo b > /proc/sysrq-trigger
	echo o > /proc/sysrq-trigger
	sleep 10
	reboot -f
	exit 1
}

# devtmpfs has no /dev/fd, which bash's process substitution needs.
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
# scripts/vm.sh boots again a guest whose log lacks this line (a kernel that died while booting).
echo "xfshm: guest init" > /dev/kmsg
mount -t 9p -o trans=virtio,version=9p2000.L,ro host /host || fail 125 "cannot mount the checkout"
# A checker's report before anything of ours was loaded is the boot's, not ours (guest-init.sh).
if dmesg | grep -Ef <(grep -v '^#' /host/scripts/splat-patterns) > /xfshm/boot-splat; then
	fail 125 "the kernel reported a problem while booting"
fi
rm -f /xfshm/boot-splat
# The Debian system of the package tests (XFSHM_ROOTFS=deb) has its kernel's modules installed,
# and no xfs.ko is loaded there: the tests install the module package and load it as the system
# would.
shares="/host /xfshm"
if [ "${XFSHM_ROOTFS:-}" != deb ]; then
	mount -t 9p -o trans=virtio,version=9p2000.L,ro modules /lib/modules ||
		fail 125 "cannot mount the modules"
	shares="$shares /lib/modules"
fi

# xfs.ko before systemd, so that every unit, the starter's first scan among them, sees the
# variant under test; Debian's kernel has overlayfs and device-mapper as modules.
modprobe dm_mod || fail 125 "cannot load dm_mod"
if [ "${XFSHM_ROOTFS:-}" != deb ]; then
	xfshm-load "$XFSHM_VARIANT" || fail 125 "cannot load the $XFSHM_VARIANT xfs.ko"
fi

new=/mnt
if [ "${XFSHM_ROOT:-}" = xfs ]; then
	mount -t xfs /dev/vde "$new" || fail 125 "cannot mount the XFS root filesystem"
else
	modprobe overlay 2>/dev/null
	mount -t tmpfs -o mode=0755 tmpfs "$new" || fail 125 "cannot mount a tmpfs"
	mkdir -p "$new/upper" "$new/work" "$new/root"
	mount -t overlay -o "lowerdir=/,upperdir=$new/upper,workdir=$new/work" overlay "$new/root" ||
		fail 125 "cannot mount the overlay root"
	new=$new/root
fi

# What the test unit and systemd find in the new root: the shares, and no gettys on the consoles
# (the test command owns the virtio console); no timers whose catch-up runs at boot (apt,
# fstrim, and xfs_scrub_all, which would scrub the test filesystems at a random time); a
# volatile journal (captured at the end, and kept when the root filesystem shuts down).
for m in $shares; do
	mount --move "$m" "$new$m" || fail 125 "cannot move $m to the new root"
done
share=$new/xfshm
etc=$new/etc/systemd/system
mkdir -p "$etc/multi-user.target.wants" "$new/etc/systemd/journald.conf.d"
for u in getty.target apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer fstrim.timer \
	xfs_scrub_all.timer e2scrub_all.timer; do
	ln -sf /dev/null "$etc/$u"
done
printf '[Journal]\nStorage=volatile\nRateLimitBurst=0\n' > "$new/etc/systemd/journald.conf.d/xfshm.conf"
cat > "$etc/xfshm-test.service" <<'EOF'
[Unit]
Description=xfshm: the test command
[Service]
Type=exec
Environment=XFSHM_SYSTEMD=1
ExecStart=/bin/bash /xfshm/guest-init.sh
EOF
ln -sf ../xfshm-test.service "$etc/multi-user.target.wants/xfshm-test.service"
echo "xfshm-vm" > "$new/etc/hostname"

# Switch as switch_root does (sid's util-linux has no pivot_root or switch_root): move the new root
# over / and chroot into it.  The 9p root stays reachable at /oldroot, a bind mount of it.
mkdir -p "$new/oldroot"
mount --bind / "$new/oldroot" || fail 125 "cannot bind the 9p root"
cd "$new" || fail 125 "no new root"
mount --move . / || fail 125 "cannot move the new root over /"
exec chroot . /lib/systemd/systemd
