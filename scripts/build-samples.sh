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
exec 9>"$CARGO_TARGET_DIR.lock"
flock 9
cargo build -q --locked --release --workspace --manifest-path "$manifest" >&2 ||
	die "cannot build the workspace samples/"
cargo build -q --locked --profile dist -p xfs-healthmon --manifest-path "$manifest" >&2 ||
	die "cannot build the xfs-healthmon command"
bin=$CARGO_TARGET_DIR/bin
rm -rf "$bin"
mkdir -p "$bin"
for b in hmprobe hmstress hmbench; do
	cp "$CARGO_TARGET_DIR/release/$b" "$bin/"
done
cp "$CARGO_TARGET_DIR/dist/xfs-healthmon" "$bin/"
echo "$bin"
