#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the userspace crates of samples/ (one Cargo workspace, host toolchain; the guest's newer
# libc runs them) into the cache, and print the directory that holds the binaries: the test
# programs (hmprobe, hmstress, hmbench) of the release profile, and the xfs-healthmon command of
# the dist profile, as users get it (make deb).
set -euo pipefail
. "$(dirname "$0")/common.sh"
export CARGO_TARGET_DIR=$SAMPLES_TARGET
manifest=$TOP/samples/Cargo.toml
# One build at a time per target directory, the copies into bin/ included.
mkdir -p "$CACHE"
exec 9>"$CARGO_TARGET_DIR.lock"
flock 9
cargo build -q --locked --release --workspace --manifest-path "$manifest" >&2 ||
	die "cannot build the workspace samples/"
cargo build -q --locked --profile dist -p xfs-healthmon --manifest-path "$manifest" >&2 ||
	die "cannot build the xfs-healthmon command"
# Each binary is replaced whole (a copy renamed over it): a caller that copies from bin/ while
# another build runs gets the old one or the new one.
bin=$CARGO_TARGET_DIR/bin
mkdir -p "$bin"
for b in release/hmprobe release/hmstress release/hmbench dist/xfs-healthmon; do
	cp "$CARGO_TARGET_DIR/$b" "$bin/.$(basename "$b").tmp"
	mv -f "$bin/.$(basename "$b").tmp" "$bin/$(basename "$b")"
done
echo "$bin"
