#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The demo: boot the VM with the Rust xfs.ko (VARIANT=c for the C reference) and show live
# health monitoring of a real XFS.  Sets up and builds whatever is missing first.
set -euo pipefail
. "$(dirname "$0")/common.sh"
exec "$TOP/scripts/vm.sh" --variant "${VARIANT:-rust}" -- bash scripts/demo-guest.sh
