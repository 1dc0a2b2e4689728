#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the Rust xfs.ko built for Debian's stock kernel (make distro) on a machine that runs
# that kernel, or go back to Debian's own module.  Needs root; needs no compiler.
#
#   scripts/distro-install.sh install [XFS.KO]   default: the one make distro built
#   scripts/distro-install.sh uninstall
#   scripts/distro-install.sh status
#
# install checks that the module was built for the running kernel (its vermagic), copies it to
# /lib/modules/$(uname -r)/updates/xfs.ko, which depmod prefers over the stock
# kernel/fs/xfs/xfs.ko.xz, runs depmod, and rebuilds the running kernel's initramfs when
# update-initramfs exists (an XFS root filesystem is mounted from the initramfs's copy of xfs.ko).
# uninstall removes that file and does the same.  Neither touches the stock module, and neither
# replaces the xfs.ko loaded now: that happens at the next boot, or at once with
# `modprobe -r xfs && modprobe xfs` when no XFS filesystem is mounted.
set -euo pipefail
krel=$(uname -r)
dest=/lib/modules/$krel/updates/xfs.ko
die() { printf 'distro-install: %s\n' "$*" >&2; exit 1; }
log() { printf '==> %s\n' "$*" >&2; }

refresh() {
	log "depmod $krel"
	depmod -a "$krel"
	if command -v update-initramfs >/dev/null; then
		log "update-initramfs -u -k $krel"
		update-initramfs -u -k "$krel"
	fi
}

loaded() {
	if [ -e /sys/module/xfs ]; then
		echo "loaded now: $(modinfo -F filename xfs 2>/dev/null || echo xfs) (srcversion $(cat /sys/module/xfs/srcversion 2>/dev/null || echo '?'), taints '$(cat /sys/module/xfs/taint 2>/dev/null)')"
	else
		echo "loaded now: none"
	fi
}

case ${1:-} in
install)
	ko=${2:-}
	if [ -z "$ko" ]; then
		ko=$(XFSHM_KERNEL=distro "$(dirname "$0")/build-module.sh" 2>/dev/null | tail -n1) ||
			die "no module given and make distro has not built one"
	fi
	[ -f "$ko" ] || die "no such module: $ko"
	[ "$(id -u)" = 0 ] || die "installing needs root"
	vermagic=$(modinfo -F vermagic "$ko")
	[ "${vermagic%% *}" = "$krel" ] ||
		die "$ko is built for ${vermagic%% *}, this machine runs $krel"
	[ "$(modinfo -F name "$ko")" = xfs ] || die "$ko is not an xfs.ko"
	install -D -m 644 "$ko" "$dest"
	log "installed $ko as $dest"
	refresh
	echo "modprobe now resolves xfs to: $(modinfo -F filename xfs)"
	loaded
	;;
uninstall)
	[ "$(id -u)" = 0 ] || die "uninstalling needs root"
	if [ -f "$dest" ]; then
		rm -f "$dest"
		log "removed $dest"
		refresh
	else
		echo "nothing to remove: $dest does not exist"
	fi
	echo "modprobe now resolves xfs to: $(modinfo -F filename xfs)"
	loaded
	;;
status)
	echo "kernel: $krel"
	echo "modprobe resolves xfs to: $(modinfo -F filename xfs 2>/dev/null || echo nothing)"
	loaded
	;;
*)
	sed -n '3,16p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
