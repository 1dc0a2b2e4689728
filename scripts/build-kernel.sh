#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Configure and build the VM kernel (with its in-tree C xfs.ko, the reference) into the cache.
# The build directory is keyed by the kernel version and the config fragment, so it is rebuilt
# only when one of them changes; an interrupted build resumes where it stopped.
set -euo pipefail
. "$(dirname "$0")/common.sh"
# Debian's stock kernel is not built but prepared from its packages.
[ "$XFSHM_KERNEL" != distro ] || exec "$TOP/scripts/build-distro.sh"
"$TOP/scripts/setup.sh"
load_versions
KBUILD=$(kbuild_dir)

if [ -f "$KBUILD/.built" ] && [ -f "$KBUILD/modroot/.done" ]; then
	echo "$KBUILD"
	exit 0
fi
mkdir -p "$KBUILD"
frag=$KBUILD/.fragment
kernel_fragment > "$frag"
if [ ! -f "$KBUILD/.configured" ]; then
	log "configuring the $XFSHM_KERNEL kernel $LINUX_VERSION in $KBUILD"
	cp "$frag" "$KBUILD/.config"
	kmake -s olddefconfig
	# Every line of the fragment must have survived olddefconfig (a missing dependency drops it).
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
	[ -z "$bad" ] || die "config fragment lines lost by olddefconfig:$bad"
	kmake -s rustavailable >/dev/null || die "the kernel build says Rust is not available (see 'make rustavailable')"
	touch "$KBUILD/.configured"
fi
if [ ! -f "$KBUILD/.built" ]; then
	log "building the $XFSHM_KERNEL kernel $LINUX_VERSION (about 10 minutes cold on 2 cores)"
	kmake -s -j"$NPROC" bzImage modules >"$KBUILD/build.log" 2>&1 || {
		tail -n 40 "$KBUILD/build.log" >&2
		die "kernel build failed; full log in $KBUILD/build.log"
	}
	touch "$KBUILD/.built"
fi
# The guest mounts these modules at /lib/modules.  The stock xfs.ko is left out so that nothing
# (a mount's module autoload, say) can load the C monitor behind a test of the Rust one; the C
# reference is loaded by path from fs/xfs/xfs.ko instead.
rm -rf "$KBUILD/modroot"
kmake -s INSTALL_MOD_PATH="$KBUILD/modroot" modules_install >/dev/null
find "$KBUILD/modroot" -name 'xfs.ko*' -delete
depmod -b "$KBUILD/modroot" "$(kmake -s kernelrelease)"
touch "$KBUILD/modroot/.done"
echo "$KBUILD"
