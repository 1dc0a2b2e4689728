#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build an out-of-tree xfs.ko against the cached kernel build and print its path.
#
#   scripts/build-module.sh [--variant rust|c] [--driver] [--fresh] [MAKE ARGS...]
#   scripts/build-module.sh --objects [MAKE ARGS...]
#
# The default is the Rust xfs.ko that users load.  --variant c builds the C monitor of the
# unmodified tree (the reference for every test, the differential runner and the benchmarks),
# and --driver links the test-only report driver (tests/driver) into either and also builds its
# loader module, $KBUILD-hmdrv/xfs_hmdrv.ko.  XFSHM_KERNEL=bench builds against the benchmark
# kernel, and XFSHM_KERNEL=distro against Debian's stock kernel (scripts/build-distro.sh), with
# its toolchain in its build root.
#
# The build happens in one symlink farm of the tree's fs/xfs per kernel, in the cache; our
# Kbuild, fs/xfs/healthmon/ and tests/driver/ are linked into it file by file, so objects never
# land in the checkout, and its Makefile is the tree's with the in-tree series' hunk applied
# (scripts/intree/xfs-Makefile.patch).  The four variants differ only in the objects linked into xfs.o (the C monitor or
# the crate and its shim, with or without the driver), so they share every other object of fs/xfs:
# a variant is a relink, and an edit of one Rust file rebuilds only the crate.  Each variant's
# xfs.ko and Module.symvers are kept in $FARM/out/VARIANT/, with build.log, the output of the
# make that produced them; $FARM/out/OBJECT.log is the output of the make that last compiled
# healthmon/healthmon.o, healthmon/healthmon_shim.o or tests/driver/hmdrv.o.
#
# --fresh compiles the crate, the shims and the driver again even if they are up to date, so that
# build.log shows every compiler warning of theirs (make check reads it).  --objects compiles
# just those (always afresh) and links nothing, which needs only a tree prepared for external
# modules (scripts/build-kernel.sh --prepare): make check's warning check on the kernel without
# KUnit.  Extra arguments go to make (e.g. CLIPPY=1).
set -euo pipefail
. "$(dirname "$0")/common.sh"
variant=rust
driver=
fresh=
objects=
while [ $# -gt 0 ]; do
	case $1 in
	--variant | --variant=*) variant_flag "rust c" "$@"; shift "$nshift" ;;
	--driver) driver=y; shift ;;
	--fresh) fresh=y; shift ;;
	--objects) objects=y; fresh=y; driver=y; shift ;;
	*) break ;;
	esac
done
setup_versions
[ "$XFSHM_KERNEL" != distro ] || load_distro
KBUILD=$("$TOP/scripts/build-kernel.sh" ${objects:+--prepare})
FARM=$KBUILD-xfs-oot
tag=$variant${driver:+-drv}
[ -z "$objects" ] || tag=objects
OUT=$FARM/out/$tag

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
	find "$FARM/healthmon" "$FARM/tests" -name '*.o' -delete 2>/dev/null || true
	echo "$TOP" > "$FARM/.top"
fi
[ -z "$fresh" ] || find "$FARM/healthmon" "$FARM/tests" -name '*.o' -delete 2>/dev/null || true
ln -sfn "$TOP/Kbuild" "$FARM/Kbuild"
# The series' fs/xfs/Makefile, remade when the patch or the tree's Makefile is newer.
if [ ! -f "$FARM/Makefile.series" ] || [ "$TOP/scripts/intree/xfs-Makefile.patch" -nt "$FARM/Makefile.series" ] ||
	[ "$KSRC/fs/xfs/Makefile" -nt "$FARM/Makefile.series" ]; then
	cp "$KSRC/fs/xfs/Makefile" "$FARM/Makefile.series.tmp"
	patch -s --no-backup-if-mismatch "$FARM/Makefile.series.tmp" < "$TOP/scripts/intree/xfs-Makefile.patch" ||
		die "scripts/intree/xfs-Makefile.patch does not apply to $KSRC/fs/xfs/Makefile"
	mv "$FARM/Makefile.series.tmp" "$FARM/Makefile.series"
fi
cmp -s "$FARM/Makefile.series" "$FARM/Makefile" || cp --remove-destination "$FARM/Makefile.series" "$FARM/Makefile"
# (source directory in the checkout, its place in the farm)
for pair in fs/xfs/healthmon:healthmon tests/driver:tests/driver; do
	dir=${pair%%:*} at=$FARM/${pair#*:}
	mkdir -p "$at"
	# Drop links to files that no longer exist, then link every current file.
	find "$at" -xtype l -delete
	(cd "$TOP/$dir" && find . -type f ! -name '*.o' ! -name '.*' ! -path './loader/*') | while read -r f; do
		mkdir -p "$at/$(dirname "$f")"
		ln -sfn "$TOP/$dir/$f" "$at/$f"
	done
done
flags=()
[ "$variant" = c ] && flags+=(XFSHM_C=y)
[ -n "$driver" ] && flags+=(XFSHM_DRIVER=y)
mkdir -p "$OUT"
targets=(modules)
[ -z "$objects" ] || targets=(healthmon/healthmon.o healthmon/healthmon_shim.o tests/driver/hmdrv.o)
rc=0
mmake M="$FARM" -j"$NPROC" "${flags[@]}" "$@" "${targets[@]}" 2>&1 | tee "$OUT/build.log" >&2 ||
	rc=$?
# The log of the make that last compiled each of our objects, kept whatever builds follow: the
# compiler's warnings about that object are there (make check reads them).
for obj in healthmon/healthmon.o healthmon/healthmon_shim.o tests/driver/hmdrv.o; do
	! grep -qE "(RUSTC|CC) \[M\] +$obj\$" "$OUT/build.log" ||
		cp "$OUT/build.log" "$FARM/out/$(basename "$obj" .o).log"
done
if [ -n "$objects" ]; then
	[ $rc = 0 ] || die "compiling the crate, the shims and the driver in $FARM failed"
	echo "$OUT/build.log"
	exit 0
fi
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
cp "$FARM/xfs.ko" "$OUT/xfs.ko.tmp"
cp "$FARM/Module.symvers" "$OUT/Module.symvers"
# Debian's kernel has full debug information, 90 MB of it in xfs.ko: drop it as Debian's own
# module installation does (INSTALL_MOD_STRIP), keeping the symbols and BTF.
# Next to it, what scripts/distro-install.sh checks on the target machine before installing:
# the kernel it is for and every symbol it takes from that kernel.
if [ "$XFSHM_KERNEL" = distro ]; then
	droot x86_64-linux-gnu-strip --strip-debug "$OUT/xfs.ko.tmp"
	[ "$variant" != rust ] || {
		echo "# xfs.ko for $DISTRO_KREL, Debian $DISTRO_VERSION: the symbols it imports"
		droot nm -u "$OUT/xfs.ko.tmp" | awk '{ print $2 }' | sort -u
	} > "$OUT/xfs.ko.imports"
fi
mv "$OUT/xfs.ko.tmp" "$OUT/xfs.ko"
if [ -n "$driver" ]; then
	# The loader links against the exports of either variant's test xfs.ko (same names).
	LOADER=$KBUILD-hmdrv
	mkdir -p "$LOADER"
	for f in "$TOP"/tests/driver/loader/*; do ln -sfn "$f" "$LOADER/"; done
	mmake M="$LOADER" KBUILD_EXTRA_SYMBOLS="$OUT/Module.symvers" modules >&2
fi
echo "$OUT/xfs.ko"
