#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the Rust xfs.ko built for Debian's stock kernel (make distro) on a machine that runs
# that kernel, or go back to Debian's own module.  Needs root; needs no compiler.
#
#   scripts/distro-install.sh install [XFS.KO]   default: the one make distro built here
#   scripts/distro-install.sh uninstall
#   scripts/distro-install.sh status
#
# install refuses a module that could not load here: one whose vermagic is not the running
# kernel's, one built for another Debian upload of it or that takes a symbol the running kernel
# does not export (from XFS.KO.imports, which make distro writes next to the module; copy both),
# or an unsigned one while the kernel is locked down (Secure Boot).  It then copies the module to
# /lib/modules/$(uname -r)/updates/xfs.ko, which depmod prefers over the stock
# kernel/fs/xfs/xfs.ko.xz, runs depmod, and rebuilds the running kernel's initramfs when
# update-initramfs exists (an XFS root filesystem is mounted from the initramfs's copy of xfs.ko),
# keeping the previous one as /boot/initrd.img-$(uname -r).xfshm-bak.  uninstall removes the
# module and does the same.  Neither touches the stock module, and neither replaces the xfs.ko
# loaded now: that happens at the next boot, or at once with `modprobe -r xfs && modprobe xfs`
# when no XFS filesystem is mounted.
set -euo pipefail
export LC_ALL=C
krel=$(uname -r)
dest=/lib/modules/$krel/updates/xfs.ko
die() { printf 'distro-install: %s\n' "$*" >&2; exit 1; }
log() { printf '==> %s\n' "$*" >&2; }
# shellcheck source=scripts/module-checks.sh
. "$(dirname "$0")/module-checks.sh"

refresh() {
	local initrd=/boot/initrd.img-$krel
	log "depmod $krel"
	depmod -a "$krel"
	if command -v update-initramfs >/dev/null; then
		if [ -f "$initrd" ] && [ ! -f "$initrd.xfshm-bak" ]; then
			cp -p "$initrd" "$initrd.xfshm-bak"
			log "kept the previous initramfs as $initrd.xfshm-bak"
		fi
		log "update-initramfs -u -k $krel"
		update-initramfs -u -k "$krel"
	fi
}

loaded() {
	if [ -e /sys/module/xfs ]; then
		echo "loaded now: xfs, taints '$(cat /sys/module/xfs/taint 2>/dev/null)'"
	else
		echo "loaded now: none"
	fi
}

case ${1:-} in
install)
	[ "$(id -u)" = 0 ] || die "installing needs root"
	ko=${2:-${XFSHM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xfs-healthmon-rs}/kbuild-distro-$krel-xfs-oot/out/rust/xfs.ko}
	[ -f "$ko" ] || die "no module at $ko: build it with make distro, or give its path"
	[ "$(modinfo -F name "$ko")" = xfs ] || die "$ko is not an xfs.ko"
	vermagic=$(modinfo -F vermagic "$ko")
	signed=no
	[ -z "$(modinfo -F sig_id "$ko")" ] || signed=yes
	# The refusals the module package's preinst makes too (scripts/module-checks.sh).
	if ! why=$(xfshm_check_module "${vermagic%% *}" "$signed" "$ko.imports"); then
		die "$ko $why"
	fi
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
	echo "modprobe now resolves xfs to: $(modinfo -F filename xfs 2>/dev/null || echo nothing)"
	loaded
	;;
status)
	echo "kernel: $krel"
	echo "modprobe resolves xfs to: $(modinfo -F filename xfs 2>/dev/null || echo nothing)"
	loaded
	;;
*)
	sed -n '3,21p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
