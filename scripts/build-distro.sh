#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prepare Debian's stock kernel (XFSHM_KERNEL=distro) in the cache and print its build directory,
# laid out like the project's own kernel builds so that build-module.sh and vm.sh use it as they
# use those:
#
#   .config, include/, scripts/, rust/   the linux-source tree prepared with the headers package's
#                                        .config, with the Rust metadata (rust/*.rmeta,
#                                        libmacros.so) that the headers package lacks
#   Module.symvers, vmlinux              the headers package's (exports, and the BTF base)
#   arch/x86/boot/bzImage                the image package's vmlinuz
#   modroot/lib/modules/KREL             the image package's modules, without xfs.ko
#   fs/xfs/xfs.ko                        Debian's own C xfs.ko, the reference
#   initrd.img                           loads virtio and 9p, then mounts the VM's root
#   rust-exports                         the Rust symbols vmlinux exports (headers' Module.symvers)
#
# Everything is built with Debian's own toolchain for that kernel (gcc-16, binutils, rustc and
# rust-src, bindgen and libclang, pahole) in a sid build root made with mmdebstrap, never with the
# host's.  The build fails with a clear message when that toolchain no longer reproduces the
# kernel: when olddefconfig changes the headers' .config (a compiler, assembler, linker, rustc,
# bindgen or pahole whose version differs from the one that built the kernel) or when the rebuilt
# Rust crates do not export exactly the Rust symbols of the headers' Module.symvers (their crate
# hashes differ).
set -euo pipefail
. "$(dirname "$0")/common.sh"
[ "$XFSHM_KERNEL" = distro ] || die "build-distro.sh is for XFSHM_KERNEL=distro"
setup_versions
load_distro

# The stock kernel has virtio_blk, 9p and its transport as modules, which must be loaded before
# the VM's root (virtio-9p) can be mounted: a busybox initramfs loads them (in the order
# modprobe gives) and hands over to the root's init: the kernel's init= (/sbin/xfshm-init, or the
# systemd guest's /sbin/xfshm-sdinit), which the kernel itself does not pass to an initramfs.
make_distro_initrd() {
	local dir=$KBUILD/initrd.d m name
	rm -rf "$dir"
	mkdir -p "$dir/bin" "$dir/lib/modules" "$dir/proc" "$dir/dev" "$dir/newroot"
	cp "$DROOT/usr/bin/busybox" "$dir/bin/busybox"
	droot modprobe -d "$KBUILD/modroot" -S "$DISTRO_KREL" --show-depends -a virtio_blk 9pnet_virtio 9p |
		awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' > "$KBUILD/initrd.modules"
	[ -s "$KBUILD/initrd.modules" ] || die "modprobe found no module for virtio_blk and 9p"
	while read -r m; do
		name=$(basename "$m")
		name=${name%.xz}
		name=${name%.zst}
		case $m in
		*.xz) xz -dc "$m" > "$dir/lib/modules/$name" ;;
		*.zst) zstd -qdc "$m" > "$dir/lib/modules/$name" ;;
		*) cp "$m" "$dir/lib/modules/$name" ;;
		esac
		echo "$name" >> "$dir/modules"
	done < "$KBUILD/initrd.modules"
	cat > "$dir/init" <<'EOI'
#!/bin/busybox sh
# PID 1 of the stock kernel's initramfs: load the modules the 9p root needs, mount it, and hand
# over to the init the kernel was given.
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t devtmpfs devtmpfs /dev
for m in $($bb cat /modules); do
	$bb insmod "/lib/modules/$m" || echo "initrd: cannot load $m"
done
if ! $bb mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro rootfs /newroot; then
	echo "initrd: cannot mount the root filesystem"
	$bb poweroff -f
fi
init=/sbin/xfshm-init
for arg in $($bb cat /proc/cmdline); do
	case $arg in init=*) init=${arg#init=} ;; esac
done
$bb umount /dev
$bb umount /proc
exec $bb switch_root /newroot "$init"
EOI
	chmod 755 "$dir/init"
	(cd "$dir" && find . | cpio --quiet -o -H newc) | gzip -9 > "$KBUILD/initrd.img"
	rm -rf "$dir"
}

# The initramfs is made again whenever its recipe changes.
update_distro_initrd() {
	local ikey
	ikey=$(declare -f make_distro_initrd | sha256sum | cut -c1-12)
	if [ ! -f "$KBUILD/initrd.img" ] || [ "$(cat "$KBUILD/initrd.key" 2>/dev/null)" != "$ikey" ]; then
		make_distro_initrd
		echo "$ikey" > "$KBUILD/initrd.key"
	fi
}

exec 7>"$CACHE/.distro.lock"
flock 7
KBUILD=$(kbuild_dir)
# What was prepared with another build root (another package list, or one built again from a
# newer sid) is prepared again, checks and all.
if [ "$(cat "$KBUILD/.droot" 2>/dev/null)" != "$DROOT" ] || [ ! -f "$DROOT/.done" ]; then
	rm -f "$KBUILD/.configured" "$KBUILD/.prepared" "$KBUILD/.built" "$KBUILD/modroot/.done"
fi
if [ -f "$KBUILD/.built" ] && [ -f "$KBUILD/modroot/.done" ]; then
	update_distro_initrd
	echo "$KBUILD"
	exit 0
fi
mkdir -p "$KBUILD"
HDR=$DROOT/usr/src/linux-headers-$DISTRO_KREL

# 1. The build root: sid with the headers package and the toolchain that built the kernel.
if [ ! -f "$DROOT/.done" ]; then
	log "building the sid build root for $DISTRO_KREL in $DROOT (a few minutes)"
	sid_root "$DROOT" "$CACHE/distro-root${XFSHM_KFLAVOUR:+-$XFSHM_KFLAVOUR}.log" "$DISTRO_ROOT_PACKAGES"
	mv "$DROOT.tmp" "$DROOT"
	touch "$DROOT/.done"
fi
echo "$DROOT" > "$KBUILD/.droot"
[ -f "$HDR/.config" ] && [ -f "$HDR/Module.symvers" ] || die "the build root has no $HDR/.config or Module.symvers"

# 2. The tree, configured exactly as the stock kernel.  olddefconfig recomputes every version
# the configuration records (CC_VERSION_TEXT, AS/LD_VERSION, RUSTC_VERSION_TEXT,
# BINDGEN_VERSION_TEXT, PAHOLE_VERSION, ...) from the build root's tools: any change means those
# tools are not the ones that built the kernel, and what we build would not match it.
if [ ! -f "$KBUILD/.configured" ]; then
	log "configuring $KSRC for $DISTRO_KREL in $KBUILD"
	cp "$HDR/.config" "$KBUILD/.config"
	dkmake -s olddefconfig
	if ! diff -u "$HDR/.config" "$KBUILD/.config" > "$KBUILD/config.diff"; then
		sed -n '3,40p' "$KBUILD/config.diff" >&2
		die "olddefconfig changed the stock kernel's .config (above; all of it in $KBUILD/config.diff): the build root's toolchain is not the one that built $DISTRO_KREL"
	fi
	touch "$KBUILD/.configured"
fi

# 3. What an out-of-tree module build needs, and the Rust crates of vmlinux (core, kernel,
# macros, ...): their metadata is what our crate compiles against, and their exports must be
# the stock vmlinux's, symbol for symbol.
if [ ! -f "$KBUILD/.prepared" ]; then
	log "preparing the tree and building the Rust metadata (about 5 minutes on 2 cores)"
	{ dkmake -j"$NPROC" modules_prepare && dkmake -j"$NPROC" rust/; } >"$KBUILD/build.log" 2>&1 || {
		tail -n 40 "$KBUILD/build.log" >&2
		die "preparing the tree failed; full log in $KBUILD/build.log"
	}
	[ "$(cat "$KBUILD/include/config/kernel.release")" = "$DISTRO_KREL" ] ||
		die "the prepared tree's release is $(cat "$KBUILD/include/config/kernel.release"), not $DISTRO_KREL"
	touch "$KBUILD/.prepared"
fi
cp "$HDR/Module.symvers" "$KBUILD/Module.symvers"
cp "$HDR/vmlinux" "$KBUILD/vmlinux"
awk '$2 ~ /^_R/ && $3 == "vmlinux" { print $2 }' "$KBUILD/Module.symvers" | sort > "$KBUILD/rust-exports"
sed -n 's/^EXPORT_SYMBOL_RUST_GPL(\(_R[^)]*\));$/\1/p' "$KBUILD"/rust/exports_*_generated.h | sort -u \
	> "$KBUILD/rust-exports.rebuilt"
if ! cmp -s "$KBUILD/rust-exports" "$KBUILD/rust-exports.rebuilt"; then
	comm -3 "$KBUILD/rust-exports" "$KBUILD/rust-exports.rebuilt" | head -n 10 >&2
	die "the rebuilt Rust crates do not export the stock vmlinux's Rust symbols ($(wc -l < "$KBUILD/rust-exports") in its Module.symvers, $(wc -l < "$KBUILD/rust-exports.rebuilt") rebuilt; the first differences above, left column the stock kernel's): their crate hashes differ, so a module built here could not load into $DISTRO_KREL"
fi
log "the rebuilt Rust crates export the stock vmlinux's $(wc -l < "$KBUILD/rust-exports") Rust symbols exactly"


# 4. The stock kernel image and modules, for the VM.
if [ ! -f "$KBUILD/modroot/.done" ]; then
	private_apt
	# linux-image-KREL is the package users install; its kernel, modules and module lists are in
	# the linux-*-KREL packages it depends on (linux-binary, linux-modules, linux-base).
	pkgs="linux-image-$DISTRO_KREL $(papt apt-cache show "linux-image-$DISTRO_KREL=$DISTRO_VERSION" |
		sed -n 's/^Depends: //p' | tr ',|' '\n' |
		awk -v k="$DISTRO_KREL" '$1 ~ /^linux-[a-z]+-/ && substr($1, length($1) - length(k) + 1) == k { print $1 }' |
		sort -u | tr '\n' ' ')"
	log "fetching $pkgs($DISTRO_VERSION)"
	rm -rf "$KBUILD/image" "$KBUILD/modroot"
	for p in $pkgs; do
		rm -f "$APTP/cache/archives/${p}_"*.deb
		deb=$(fetch_deb "$p" "$DISTRO_VERSION" "$KBUILD")
		dpkg -x "$deb" "$KBUILD/image"
		rm -f "$deb"
	done
	mods=$KBUILD/image/usr/lib/modules/$DISTRO_KREL
	[ -d "$mods" ] || mods=$KBUILD/image/lib/modules/$DISTRO_KREL
	[ -d "$mods" ] || die "linux-image-$DISTRO_KREL has no modules directory"
	mkdir -p "$KBUILD/arch/x86/boot" "$KBUILD/fs/xfs" "$KBUILD/modroot/lib/modules"
	# The kernel is the modules directory's vmlinuz (or, in older packages, /boot's).
	if [ -f "$mods/vmlinuz" ]; then
		mv "$mods/vmlinuz" "$KBUILD/arch/x86/boot/bzImage"
	elif [ -f "$KBUILD/image/boot/vmlinuz-$DISTRO_KREL" ]; then
		mv "$KBUILD/image/boot/vmlinuz-$DISTRO_KREL" "$KBUILD/arch/x86/boot/bzImage"
	else
		die "$pkgs: no vmlinuz"
	fi
	mv "$mods" "$KBUILD/modroot/lib/modules/$DISTRO_KREL"
	rm -rf "$KBUILD/image"
	# The C reference is loaded by path, as on the project's kernels; with no xfs.ko under
	# /lib/modules nothing can autoload it behind a test of ours.
	xfsko=$(find "$KBUILD/modroot" -name 'xfs.ko*' | head -n1)
	[ -n "$xfsko" ] || die "linux-image-$DISTRO_KREL has no xfs.ko"
	case $xfsko in
	*.xz) xz -dc "$xfsko" > "$KBUILD/fs/xfs/xfs.ko" ;;
	*.zst) zstd -qdc "$xfsko" > "$KBUILD/fs/xfs/xfs.ko" ;;
	*) cp "$xfsko" "$KBUILD/fs/xfs/xfs.ko" ;;
	esac
	rm -f "$xfsko"
	droot depmod -b "$KBUILD/modroot" "$DISTRO_KREL"
	touch "$KBUILD/modroot/.done"
fi
update_distro_initrd
touch "$KBUILD/.built"
echo "$KBUILD"
