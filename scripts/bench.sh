#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: build the production-like benchmark kernel and both test builds of xfs.ko (C and
# Rust, each with the report driver), boot once, alternate the two monitors BENCH_REPS times
# (tests/bench/guest-bench), then print the Rust/C table and write bench.csv, summary.csv,
# bench.json and ratios.png to BENCH_OUT (default: bench-out in the checkout).
#
#   BENCH_REPS=5 BENCH_SCALE=1 BENCH_OUT=DIR BENCH_CLOCK=icount|real BENCH_ONLY=REGEX \
#   BENCH_MOUNTS=100 BENCH_MACRO=1 BENCH_MACRO_REPS=2 BENCH_CYCLES=200 BENCH_STORM_SECS=5 \
#   scripts/bench.sh
#
# BENCH_ONLY keeps only the hmbench rows that match the (bash) regular expression, for quick
# experiments (BENCH_ONLY=^report: BENCH_REPS=1); the table of a full run has every row.
# BENCH_MOUNTS is how many filesystems the memory-mounts row mounts (0: none, no row).
# BENCH_MACRO=0 leaves out the macro rows (tests/bench/guest-bench), which run in the first
# BENCH_MACRO_REPS repetitions; BENCH_CYCLES is the mount-cycle row's count (under TCG with
# icount, about 4 s of real time per cycle) and BENCH_STORM_SECS the I/O error storm's length.
# With the defaults a run should take about two hours (not measured as a whole; from the parts
# measured: about 5 minutes of hmbench's rows and 16 of macro rows per variant and repetition).
#
# BENCH_CLOCK=icount (the default) runs QEMU with -icount shift=0: the guest's clock advances one
# nanosecond per instruction executed, so a measurement counts the instructions of the code under
# test (as callgrind does for userspace) and repeats to within a few percent, where wall-clock
# time under TCG, with two vCPU threads on two host cores, varies by 50% between runs.
# BENCH_CLOCK=real measures wall-clock time instead.
set -euo pipefail
. "$(dirname "$0")/common.sh"
export XFSHM_KERNEL=bench XFSHM_ROOTFS=bench
out=${BENCH_OUT:-$TOP/bench-out}
mkdir -p "$out"
setup_versions
"$TOP/scripts/build-kernel.sh" >/dev/null
"$TOP/scripts/build-rootfs.sh" --bench >/dev/null
"$TOP/scripts/build-module.sh" --variant c --driver >/dev/null
"$TOP/scripts/build-module.sh" --driver >/dev/null
"$TOP/scripts/build-samples.sh" >/dev/null

# matplotlib for the plot, in a virtual environment of the cache (never the system's Python).
venv=$CACHE/venv-bench
if [ ! -x "$venv/bin/python3" ] || ! "$venv/bin/python3" -c 'import matplotlib' 2>/dev/null; then
	log "installing matplotlib into $venv"
	python3 -m venv "$venv" && "$venv/bin/pip" install -q matplotlib ||
		log "no matplotlib: the table, CSV and JSON are written, the PNG is not"
fi
py=python3
[ -x "$venv/bin/python3" ] && py=$venv/bin/python3

case ${BENCH_CLOCK:-icount} in
icount) export XFSHM_QEMU_ARGS="-icount shift=0,sleep=on" ;;
real) ;;
*) die "BENCH_CLOCK is icount or real" ;;
esac
log "benchmarking C and Rust in one boot of the bench kernel, ${BENCH_REPS:-5} repetitions, ${BENCH_CLOCK:-icount} clock"
vmlog=$(mktemp)
trap 'rm -f "$vmlog"' EXIT
# A guest that crashes before the benchmark starts (seen once: an int3 oops in sched_clock_tick
# while the TCG guest patched a static key at boot) is booted again, once.
for _ in 1 2; do
	rc=0
	"$TOP/scripts/vm.sh" --keep --variant both --cpus 2 --timeout 14400 -- \
		env BENCH_REPS="${BENCH_REPS:-5}" BENCH_SCALE="${BENCH_SCALE:-1}" BENCH_ONLY="${BENCH_ONLY:-}" BENCH_MOUNTS="${BENCH_MOUNTS:-100}" \
		BENCH_MACRO="${BENCH_MACRO:-1}" BENCH_MACRO_REPS="${BENCH_MACRO_REPS:-2}" \
		BENCH_CYCLES="${BENCH_CYCLES:-200}" BENCH_STORM_SECS="${BENCH_STORM_SECS:-5}" \
		tests/bench/guest-bench \
		2> >(tee "$vmlog" >&2) || rc=$?
	run=$(sed -n 's/^vm: run directory.*: //p' "$vmlog" | tail -n1)
	[ -n "$run" ] && [ -s "$run/out/bench.raw" ] && break
	[ -n "$run" ] && grep -q 'xfshm: loaded the' "$run/console.log" && break
	log "the guest crashed before the benchmark started (status $rc): booting again"
done
[ -n "$run" ] && [ -s "$run/out/bench.raw" ] || die "the benchmark produced no results (status $rc)"
cp "$run/out/bench.raw" "$out/bench.raw"
[ "$rc" = 0 ] && rm -rf "$run"
"$py" "$TOP/scripts/bench-report" "$out/bench.raw" "$out" \
	--title "XFS health monitor, Rust/C cost (QEMU TCG, ${BENCH_CLOCK:-icount} clock, ${BENCH_REPS:-5} reps)"
log "results in $out"
exit "$rc"
