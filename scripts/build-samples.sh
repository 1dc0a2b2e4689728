#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the userspace helpers in samples/ (host toolchain; the guest's newer libc runs them) into
# the cache, and print the directory that holds the binaries.
set -euo pipefail
. "$(dirname "$0")/common.sh"
export CARGO_TARGET_DIR=$SAMPLES_TARGET
for manifest in "$TOP"/samples/*/Cargo.toml; do
	cargo build -q --release --locked --manifest-path "$manifest" >&2 \
		|| die "cannot build $(dirname "$manifest")"
done
echo "$CARGO_TARGET_DIR/release"
