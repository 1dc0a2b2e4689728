#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Configure and build the VM kernel into the cache and print its build directory.
#
#   scripts/build-kernel.sh [--prepare]
#
# The kernel is built without its modules: XFS is the only one (CONFIG_XFS_FS=m), and every
# xfs.ko, the C reference among them, is built from the tree's fs/xfs by scripts/build-module.sh,
# which compiles those sources once per kernel for all its variants.  --prepare stops at a tree
# prepared for building external modules (modules_prepare, which builds the Rust crates): enough
# to compile the crate against, as make check's warning check does for the bench kernel.
# The build directory is keyed by the kernel version, the config base and the fragment, so it is
# rebuilt only when one of them changes; an interrupted build resumes where it stopped.
set -euo pipefail
. "$(dirname "$0")/common.sh"
# Debian's stock kernel is not built but prepared from its packages.
[ "$XFSHM_KERNEL" != distro ] || exec "$TOP/scripts/build-distro.sh"
prepare_only=
[ "${1:-}" != --prepare ] || prepare_only=y
setup_versions
KBUILD=$(kbuild_dir)

if [ -f "$KBUILD/.built" ] && [ -f "$KBUILD/modroot/.done" ] ||
	{ [ -n "$prepare_only" ] && [ -f "$KBUILD/.prepared" ]; }; then
	echo "$KBUILD"
	exit 0
fi
mkdir -p "$KBUILD"
frag=$KBUILD/.fragment
kernel_fragment > "$frag"
if [ ! -f "$KBUILD/.configured" ]; then
	log "configuring the $XFSHM_KERNEL kernel $LINUX_VERSION ($(kernel_base) and the fragment) in $KBUILD"
	if [ "$XFSHM_KERNEL" = rt ]; then
		# The test kernel's configuration, then the RT lines with olddefconfig.  (PREEMPT_RT
		# needs EXPERT, and under EXPERT allnoconfig would switch off what is otherwise on
		# without a prompt: BLOCK, FUTEX, EPOLL, ...)
		XFSHM_KERNEL="test" kernel_fragment > "$KBUILD/.fragment-test"
		kmake -s KCONFIG_ALLCONFIG="$KBUILD/.fragment-test" allnoconfig
		grep -E '^CONFIG_' "$TOP/scripts/kernel-rt.config" >> "$KBUILD/.config"
		kmake -s olddefconfig
	elif [ "$(kernel_base)" = allnoconfig ]; then
		kmake -s KCONFIG_ALLCONFIG="$frag" allnoconfig
	else
		cp "$frag" "$KBUILD/.config"
		kmake -s olddefconfig
	fi
	# Every line of the fragment must have survived (a missing dependency drops it).
	bad=
	while IFS= read -r line; do
		sym=${line%%=*}
		val=${line#*=}
		if [ "$val" = n ]; then
			! grep -q "^$sym=" "$KBUILD/.config" || bad="$bad $line"
		else
			grep -qxF "$line" "$KBUILD/.config" || bad="$bad $line"
		fi
	done < <(grep -E '^CONFIG_' "$frag")
	[ -z "$bad" ] || die "config fragment lines lost by $(kernel_base):$bad"
	# XFS must be the only module: the kernel build below builds none.
	mods=$(grep -E '=m$' "$KBUILD/.config" | grep -vx 'CONFIG_XFS_FS=m' | tr '\n' ' ' || true)
	[ -z "$mods" ] || [ "$XFSHM_KERNEL" = bench ] || die "the $XFSHM_KERNEL kernel has other modules than XFS: $mods"
	kmake -s rustavailable >/dev/null || die "the kernel build says Rust is not available (see 'make rustavailable')"
	touch "$KBUILD/.configured"
fi
if [ ! -f "$KBUILD/.prepared" ]; then
	log "preparing the $XFSHM_KERNEL kernel tree for external modules (scripts, the Rust crates)"
	kmake -s -j"$NPROC" modules_prepare >"$KBUILD/prepare.log" 2>&1 || {
		tail -n 40 "$KBUILD/prepare.log" >&2
		die "modules_prepare failed; full log in $KBUILD/prepare.log"
	}
	touch "$KBUILD/.prepared"
fi
if [ -n "$prepare_only" ]; then
	echo "$KBUILD"
	exit 0
fi
if [ ! -f "$KBUILD/.built" ]; then
	log "building the $XFSHM_KERNEL kernel $LINUX_VERSION"
	kmake -s -j"$NPROC" bzImage >"$KBUILD/build.log" 2>&1 || {
		tail -n 40 "$KBUILD/build.log" >&2
		die "kernel build failed; full log in $KBUILD/build.log"
	}
	# What `make modules` would leave for external modules when no in-tree module exports a
	# symbol: vmlinux's exports as Module.symvers.
	cp "$KBUILD/vmlinux.symvers" "$KBUILD/Module.symvers"
	touch "$KBUILD/.built"
fi
# The guest mounts this module tree at /lib/modules: no module (the chosen xfs.ko is loaded by
# path, so nothing such as a mount's module autoload can load another monitor behind a test),
# the list of built-in ones for modprobe.
rm -rf "$KBUILD/modroot"
krel=$(kmake -s kernelrelease)
mkdir -p "$KBUILD/modroot/lib/modules/$krel"
cp "$KBUILD/modules.builtin" "$KBUILD/modules.builtin.modinfo" "$KBUILD/modroot/lib/modules/$krel/"
: > "$KBUILD/modroot/lib/modules/$krel/modules.order"
depmod -b "$KBUILD/modroot" "$krel"
touch "$KBUILD/modroot/.done"
echo "$KBUILD"
