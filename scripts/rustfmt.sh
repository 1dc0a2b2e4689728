#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Format (or with --check, check) the crate and the samples with the kernel tree's rustfmt
# configuration, as `make rustfmt` does in the tree.
set -euo pipefail
. "$(dirname "$0")/common.sh"
setup_versions
args=()
[ "${1:-}" = --check ] && args=(--check)
dirs=$(cd "$TOP" && ls -d fs/xfs/healthmon samples 2>/dev/null || true)
# shellcheck disable=SC2086
files=$(cd "$TOP" && find $dirs -name '*.rs' -not -path '*/target/*' | sort)
cd "$TOP"
# shellcheck disable=SC2086
rustfmt "${args[@]}" --edition 2021 --config-path "$KSRC/.rustfmt.toml" $files
