#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the out-of-tree xfs.ko (Rust health monitor) against the cached kernel build and print
# its path.  The build happens in a symlink farm of the tree's fs/xfs in the cache; our Kbuild,
# src/ and rust/ are linked into it file by file, so objects never land in the checkout and an
# edit of one Rust file rebuilds only the crate.  Extra arguments go to make (e.g. CLIPPY=1).
set -euo pipefail
. "$(dirname "$0")/common.sh"
"$TOP/scripts/setup.sh" 2>/dev/null
load_versions
KBUILD=$("$TOP/scripts/build-kernel.sh")
FARM=$KBUILD-xfs-oot

exec 9>"$FARM.lock"
flock 9
if [ ! -f "$FARM/.farm" ]; then
	rm -rf "$FARM"
	cp -as "$KSRC/fs/xfs" "$FARM"
	touch "$FARM/.farm"
fi
ln -sfn "$TOP/Kbuild" "$FARM/Kbuild"
for dir in src rust; do
	mkdir -p "$FARM/$dir"
	# Drop links to files that no longer exist, then link every current file.
	find "$FARM/$dir" -xtype l -delete
	(cd "$TOP/$dir" && find . -type f ! -name '*.o' ! -name '.*') | while read -r f; do
		mkdir -p "$FARM/$dir/$(dirname "$f")"
		ln -sfn "$TOP/$dir/$f" "$FARM/$dir/$f"
	done
done
make -C "$KBUILD" M="$FARM" LLVM=$LLVM_SUFFIX -j"$NPROC" "$@" modules >&2
echo "$FARM/xfs.ko"
