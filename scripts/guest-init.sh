#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test VM as PID 1 (exec'd by the root filesystem's /sbin/xfshm-init): loads the
# chosen xfs.ko, runs the host's command from /xfshm/cmd on the virtio console, records its exit
# status and the kernel log in /xfshm, and powers off.  In the systemd guest (XFSHM_SYSTEMD=1) it
# is xfshm-test.service instead: scripts/guest-sdinit.sh has loaded xfs.ko and mounted the shares,
# and this waits for the boot to finish and records the journal as well.
export PATH=/xfshm/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-linux}
[ "${XFSHM_SYSTEMD:-}" = 1 ] || mount -t 9p -o trans=virtio,version=9p2000.L,ro modules /lib/modules
# shellcheck source=/dev/null # written by scripts/vm.sh for each run
. /xfshm/env
export XFSHM_VARIANT XFSHM_KERNEL XFSHM_ROOT XFSHM_ROOTFS
export TEST_DEV=/dev/vda SCRATCH_DEV=/dev/vdb SCRATCH_RTDEV=/dev/vdc SCRATCH_LOGDEV=/dev/vdd
export TEST_DIR=/mnt/test SCRATCH_MNT=/mnt/scratch XFSHM_OUT=/xfshm/out
hostname xfshm-vm
# devtmpfs has no /dev/fd; bash process substitution and many tools need it.
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
[ -e /dev/stdin ] || ln -s /proc/self/fd/0 /dev/stdin
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr

finish() {
	[ "${XFSHM_SYSTEMD:-}" != 1 ] || journalctl -b --no-pager -o short-monotonic > /xfshm/journal 2>&1
	echo "$1" > /xfshm/status
	dmesg > /xfshm/dmesg 2>/dev/null
	sync
	# A reboot, which QEMU's -no-reboot turns into its exit.  ACPI power-off has hung after
	# the results were written: under -icount, and on the PREEMPT_RT kernel every time.
	echo b > /proc/sysrq-trigger
	echo o > /proc/sysrq-trigger
	sleep 10
	reboot -f
}

# With the XFS root filesystem (scripts/vm.sh --xfs-root) the command runs in a chroot of the
# 9p root it was booted from, the same tree, with the running system's /proc, /sys, /dev, /run
# and shares: after a test shuts the root filesystem down, nothing can be started from it, but
# the tests and this script go on and talk to systemd through /run.
if [ "${XFSHM_SYSTEMD:-}" = 1 ] && [ "$XFSHM_ROOT" = xfs ] && [ -z "${XFSHM_CHROOTED:-}" ]; then
	for m in /proc /sys /dev /run /tmp /host /xfshm /lib/modules; do
		mount --rbind "$m" "/oldroot$m" || { echo "guest: cannot bind $m"; finish 125; }
	done
	# systemctl talks to PID 1 from a chroot only when told to.
	export XFSHM_CHROOTED=1 SYSTEMD_IGNORE_CHROOT=1
	exec chroot /oldroot /bin/bash /xfshm/guest-init.sh
fi
exec </dev/hvc0 >/dev/hvc0 2>&1
if [ "${XFSHM_SYSTEMD:-}" = 1 ]; then
	# Once every unit of the boot has started or failed, the command runs; a unit that failed is
	# named, not fatal.  The starter starts the healers of the mounts it finds on its own time,
	# so a healer need not be up yet: the tests wait for the ones they use.
	state=$(timeout 600 systemctl is-system-running --wait)
	echo "xfshm: systemd is $state" > /dev/kmsg
	[ "$state" = running ] || systemctl --failed --no-legend --plain | sed 's/^/xfshm: failed unit: /'
	cd /host || finish 125
	if [ "$XFSHM_INTERACTIVE" = 1 ]; then
		echo "xfshm VM, systemd ($XFSHM_VARIANT xfs.ko): exit to power off"
		setsid -c bash -l
		finish 0
	fi
	bash /xfshm/cmd
	finish $?
fi
# scripts/vm.sh boots again a guest whose log lacks this line (a kernel that died while booting).
echo "xfshm: guest init" > /dev/kmsg
# A checker's report or a crash while the kernel booted, before this init ran and before anything
# of the project was loaded, is not the code under test's (under TCG, KASAN has reported a wild
# access from an interrupt taken in identify_cpu()): tell scripts/vm.sh, which boots again.
if dmesg | grep -Ef <(grep -v '^#' /host/scripts/splat-patterns) > /xfshm/boot-splat; then
	finish 125
fi
rm -f /xfshm/boot-splat

# Device-mapper (the tests' dm-error and linear targets) is a module in Debian's kernel, and
# with no udev nothing loads it on demand; in the project's kernels it is built in, which
# modprobe knows from modules.builtin.
modprobe dm_mod || { echo "guest: cannot load dm_mod"; finish 125; }

# Load the chosen xfs.ko (and the report driver's loader, if this run has one) with what it
# depends on.  With both variants, the command loads one at a time (xfshm-load).
if [ "$XFSHM_VARIANT" = both ]; then
	for dep in $(modinfo -F depends /xfshm/xfs-c.ko | tr ',' ' '); do
		modprobe "$dep" || { echo "guest: cannot load $dep"; finish 125; }
	done
elif ! xfshm-load "$XFSHM_VARIANT"; then
	finish 125
fi

cd /host || finish 125
if [ "$XFSHM_INTERACTIVE" = 1 ]; then
	echo "xfshm VM ($XFSHM_VARIANT xfs.ko): TEST_DEV=$TEST_DEV SCRATCH_DEV=$SCRATCH_DEV; exit to power off"
	setsid -c bash -l
	finish 0
fi
bash /xfshm/cmd
finish $?
