#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build an out-of-tree xfs.ko against the cached kernel build and print its path.
#
#   scripts/build-module.sh [--variant rust|c] [--driver] [--fresh] [MAKE ARGS...]
#
# --fresh rebuilds the crate and the shims even if they are up to date, so that every compiler
# warning shows (make check uses it to keep both KUnit and non-KUnit builds warning-free).
# The default is the Rust xfs.ko that users load.  --variant c builds the C monitor from the same
# farm (the reference for the differential runner and the benchmarks), and --driver links the
# test-only report driver (tests/driver) into either and also builds its loader module,
# $KBUILD-hmdrv/xfs_hmdrv.ko.  XFSHM_KERNEL=bench builds against the benchmark kernel, and
# XFSHM_KERNEL=distro against Debian's stock kernel (scripts/build-distro.sh), with its toolchain
# in its build root.
#
# The build happens in a symlink farm of the tree's fs/xfs in the cache, one per kind; our
# Kbuild, src/, rust/ and tests/driver/ are linked into it file by file, so objects never land in
# the checkout and an edit of one Rust file rebuilds only the crate.  Extra arguments go to make
# (e.g. CLIPPY=1).
set -euo pipefail
. "$(dirname "$0")/common.sh"
variant=rust
driver=
fresh=
while [ $# -gt 0 ]; do
	case $1 in
	--variant) variant=$2; shift 2 ;;
	--driver) driver=y; shift ;;
	--fresh) fresh=y; shift ;;
	*) break ;;
	esac
done
case $variant in rust | c) ;; *) die "unknown variant '$variant' (rust or c)" ;; esac
"$TOP/scripts/setup.sh" 2>/dev/null
load_versions
[ "$XFSHM_KERNEL" != distro ] || load_distro
KBUILD=$("$TOP/scripts/build-kernel.sh")
FARM=$KBUILD-xfs-oot
[ "$variant" = rust ] || FARM=$FARM-$variant
[ -z "$driver" ] || FARM=$FARM-drv

exec 9>"$FARM.lock"
flock 9
if [ ! -f "$FARM/.farm" ]; then
	rm -rf "$FARM"
	cp -as "$KSRC/fs/xfs" "$FARM"
	touch "$FARM/.farm"
fi
# A farm built from another checkout (a worktree, say) links other files that make would take
# as up to date by their times: start its own objects over.
if [ "$(cat "$FARM/.top" 2>/dev/null)" != "$TOP" ]; then
	find "$FARM/src" "$FARM/rust" "$FARM/tests" -name '*.o' -delete 2>/dev/null || true
	echo "$TOP" > "$FARM/.top"
fi
[ -z "$fresh" ] || find "$FARM/src" "$FARM/rust" "$FARM/tests" -name '*.o' -delete 2>/dev/null || true
ln -sfn "$TOP/Kbuild" "$FARM/Kbuild"
for dir in src rust tests/driver; do
	mkdir -p "$FARM/$dir"
	# Drop links to files that no longer exist, then link every current file.
	find "$FARM/$dir" -xtype l -delete
	(cd "$TOP/$dir" && find . -type f ! -name '*.o' ! -name '.*' ! -path './loader/*') | while read -r f; do
		mkdir -p "$FARM/$dir/$(dirname "$f")"
		ln -sfn "$TOP/$dir/$f" "$FARM/$dir/$f"
	done
done
flags=()
[ "$variant" = c ] && flags+=(XFSHM_C=y)
[ -n "$driver" ] && flags+=(XFSHM_DRIVER=y)
rc=0
mmake M="$FARM" -j"$NPROC" "${flags[@]}" "$@" modules >&2 || rc=$?
# For Debian's kernel, every Rust symbol the module takes from vmlinux (the kernel crate's and
# core's functions, the C helpers made for Rust) must be one the stock vmlinux exports, or the
# module would not load: say which, before modpost's shorter complaint.
if [ "$XFSHM_KERNEL" = distro ] && [ "$variant" = rust ] && [ -f "$FARM/xfs.o" ]; then
	droot nm -u "$FARM/xfs.o" | awk '$2 ~ /^(_R|rust_helper_)/ { print $2 }' | sort -u > "$FARM/rust-imports"
	awk '{ print $2 }' "$KBUILD/Module.symvers" | sort -u > "$FARM/exports"
	comm -23 "$FARM/rust-imports" "$FARM/exports" > "$FARM/rust-imports.missing"
	if [ -s "$FARM/rust-imports.missing" ]; then
		head -n 10 "$FARM/rust-imports.missing" >&2
		die "xfs.ko takes $(wc -l < "$FARM/rust-imports.missing") Rust symbols (above; all in $FARM/rust-imports.missing) that $DISTRO_KREL's vmlinux does not export (its Module.symvers): it could not load there"
	fi
	log "xfs.ko imports $(wc -l < "$FARM/rust-imports") Rust symbols, all exported by $DISTRO_KREL ($FARM/rust-imports)"
fi
[ $rc = 0 ] || die "building $FARM/xfs.ko failed"
# Debian's kernel has full debug information, 90 MB of it in xfs.ko: drop it as Debian's own
# module installation does (INSTALL_MOD_STRIP), keeping the symbols and BTF.
# Next to it, what scripts/distro-install.sh checks on the target machine before installing:
# the kernel it is for and every symbol it takes from that kernel.
if [ "$XFSHM_KERNEL" = distro ]; then
	droot x86_64-linux-gnu-strip --strip-debug "$FARM/xfs.ko"
	[ "$variant" != rust ] || {
		echo "# xfs.ko for $DISTRO_KREL, Debian $DISTRO_VERSION: the symbols it imports"
		droot nm -u "$FARM/xfs.ko" | awk '{ print $2 }' | sort -u
	} > "$FARM/xfs.ko.imports"
fi
if [ -n "$driver" ]; then
	# The loader links against the exports of either variant's test xfs.ko (same names).
	LOADER=$KBUILD-hmdrv
	mkdir -p "$LOADER"
	for f in "$TOP"/tests/driver/loader/*; do ln -sfn "$f" "$LOADER/"; done
	mmake M="$LOADER" KBUILD_EXTRA_SYMBOLS="$FARM/Module.symvers" modules >&2
fi
echo "$FARM/xfs.ko"
