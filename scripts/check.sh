#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run every test: warning-free builds with and without KUnit, the host checks (the userspace
# library's tests, clippy and rustfmt, the reST build), the UAPI header check (host), the in-tree
# series check (git am, checkpatch, rustfmt; host), the KUnit suites (Rust xfs.ko) beside the
# differential runner's short form, the shell tests on the Rust xfs.ko and on the C reference,
# then the stress and cli groups.  KUnit runs on the debug kernel
# (KASAN, UBSAN, kmemleak, fault injection, object debugging, lockdep), the others on the test
# kernel (lockdep, XFS_DEBUG): under TCG the debug kernel runs the shell tests five times slower.
# Sets up and builds whatever is missing first.
# Ends with the time of each phase and the totals of all as "N passed, N failed[, N skipped]",
# and exits non-zero on any failure.
set -uo pipefail
. "$(dirname "$0")/common.sh"
start=$(date +%s)

# The time of each phase, printed at the end, and the builds' logs.
times=$(mktemp)
blogs=$(mktemp -d)
# The run's start, for the warning check (the times file changes with every phase).
touch "$blogs/.start"
trap 'rm -rf "$times" "$blogs"' EXIT
timed() { # NAME COMMAND...: run COMMAND, note how long it took under NAME, return its status
	local name=$1 t0 rc=0
	t0=$(date +%s)
	shift
	"$@" || rc=$?
	printf '%-44s %5ss\n' "$name" "$(($(date +%s) - t0))" >> "$times"
	return $rc
}
build() { # NAME COMMAND...: a timed build whose output goes to a log, shown if it fails
	local log=$blogs/$(echo "$1" | tr -c 'a-z0-9\n' _).log
	timed "$@" > "$log" 2>&1 && return 0
	tail -n 40 "$log" >&2
	log "build failed: $1"
	return 1
}

# Stop here: the background builds first, so that none goes on writing into the cache.
bail() {
	local pid
	for pid in ${bg_rootfs:-} ${bg_bench:-}; do
		pkill -TERM -P "$pid" 2>/dev/null
		kill "$pid" 2>/dev/null
	done
	wait
	exit 1
}

# Build everything up front so that a build failure reads as one.  The Rust xfs.ko of the test
# kernel is built with its crate and shims compiled afresh, so that its log (read by the warning
# check below) shows all their warnings; the other variants share its objects.  The root
# filesystems (mostly downloads) and the crate without KUnit (on the bench kernel's prepared tree)
# need nothing of the kernels, and are built beside them.
build "setup (packages, sources, bindgen)" "$TOP/scripts/setup.sh" || bail
build_rootfs() { # both root filesystems, as children of this shell for bail's pkill
	"$TOP/scripts/build-rootfs.sh" && "$TOP/scripts/build-rootfs.sh" --systemd
}
build "root filesystems (default, systemd)" build_rootfs &
bg_rootfs=$!
XFSHM_KERNEL=bench build "bench kernel prepared: crate objects" "$TOP/scripts/build-module.sh" --objects &
bg_bench=$!
export XFSHM_KERNEL=debug
build "debug kernel" "$TOP/scripts/build-kernel.sh" || bail
build "debug kernel: xfs.ko (rust)" "$TOP/scripts/build-module.sh" || bail
export XFSHM_KERNEL=test
build "test kernel" "$TOP/scripts/build-kernel.sh" || bail
build "test kernel: xfs.ko (rust)" "$TOP/scripts/build-module.sh" --fresh || bail
build "test kernel: xfs.ko (c)" "$TOP/scripts/build-module.sh" --variant c || bail
build "test kernel: xfs.ko (c, driver)" "$TOP/scripts/build-module.sh" --variant c --driver || bail
build "test kernel: xfs.ko (rust, driver)" "$TOP/scripts/build-module.sh" --driver || bail
build "userspace samples" "$TOP/scripts/build-samples.sh" || bail
wait $bg_rootfs || bail
wait $bg_bench || bail
log "everything built in $(($(date +%s) - start))s"

total_p=0 total_f=0 total_s=0
count() { # the "N passed, N failed[, N skipped]" line of a log
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n1)
	[ -n "$line" ] || { total_f=$((total_f + 1)); return; }
	total_p=$((total_p + $(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')))
	total_f=$((total_f + $(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')))
	case $line in *skipped*) total_s=$((total_s + $(echo "$line" | sed -E 's/.*, ([0-9]+) skipped.*/\1/'))) ;; esac
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$times" "$blogs"' EXIT
# The crate and the shims build without a warning with KUnit (the test kernel) and without it
# (the bench kernel has CONFIG_KUNIT=n, like the xfs.ko users load): test-only code must not
# show up as dead code, nor ship, there.  Read from the logs of the builds above.
log "warning-free builds"
# Each object's warnings are in the log of the make that last compiled it (build-module.sh keeps
# it), which the builds above did: on the test kernel, the --fresh build of the Rust xfs.ko and
# the build of the C one with the driver; on the bench kernel, --objects.
for k in test bench; do
	for obj in healthmon/healthmon.o healthmon/healthmon_shim.o tests/driver/hmdrv.o; do
		blog=$(XFSHM_KERNEL=$k bash -c '. "$1/scripts/common.sh"; load_versions; echo "$(kbuild_dir)-xfs-oot/out/$2.log"' _ "$TOP" "$(basename "$obj" .o)")
		if [ ! -f "$blog" ] || [ "$blog" -ot "$blogs/.start" ]; then
			echo "FAIL: $k kernel: $obj was not compiled by this run (no log newer than its start: $blog)"
		elif grep -E -A8 '^(warning|error|WARNING)|: (warning|error):' "$blog"; then
			echo "FAIL: $k kernel: the build that compiled $obj has warnings or errors ($blog)"
		else
			echo "ok: $k kernel: $obj compiled without a warning"
		fi
	done
done > "$tmp/warn" 2>&1
echo "$(grep -c '^ok:' "$tmp/warn") passed, $(grep -c '^FAIL:' "$tmp/warn") failed" >> "$tmp/warn"
cat "$tmp/warn"
count "$tmp/warn"
rc_w=0
grep -q '^FAIL:' "$tmp/warn" && rc_w=1
log "host checks (userspace library, reST)"
timed "host checks" "$TOP/scripts/host-check.sh" 2>&1 | tee "$tmp/host"
rc_h=${PIPESTATUS[0]}
count "$tmp/host"
log "UAPI header"
timed "UAPI header check" "$TOP/tests/uapi/check" 2>&1 | tee "$tmp/uapi"
rc_u=${PIPESTATUS[0]}
count "$tmp/uapi"
# The series' cheap checks; make patches-check builds it too (Documentation/testing.rst).
log "in-tree series (git am on the pristine tree, checkpatch --strict, rustfmt at every patch)"
timed "in-tree series" "$TOP/scripts/patches.sh" --check 2>&1 | tee "$tmp/series"
rc_p=${PIPESTATUS[0]}
count "$tmp/series"
# KUnit (one VM on the debug kernel) runs beside the differential runner (one VM on the test
# kernel): each keeps about one host core busy.  Their logs are printed when both are done.
log "KUnit (debug kernel) and the differential runner (short form), side by side"
XFSHM_KERNEL=debug timed "KUnit (debug kernel)" "$TOP/tests/kunit/run" > "$tmp/kunit" 2>&1 &
bg_kunit=$!
timed "differential runner" "$TOP/tests/differential/run" --seeds "1 2" --events 2000 > "$tmp/diff" 2>&1
rc_d=$?
rc_k=0
wait $bg_kunit || rc_k=$?
cat "$tmp/kunit" "$tmp/diff"
count "$tmp/kunit"
count "$tmp/diff"
log "shell tests"
timed "shell tests (hm, systemd; both variants)" "$TOP/tests/run" --variant both -x stress -x cli 2>&1 | tee "$tmp/shell"
rc_s=${PIPESTATUS[0]}
count "$tmp/shell"
# The stress group (tests/stress: races, the fuzzer) on the test kernel, with lockdep.  Its
# allocation-failure tests (005, 006) need the debug kernel's fault injection and
# skip here; the whole group on the debug kernel takes 32 minutes, more than CI can add, so run
# that with
#   XFSHM_KERNEL=debug tests/run --variant both -g stress
log "stress and cli tests (test kernel, report driver)"
timed "stress and cli tests (both variants)" "$TOP/tests/run" --variant both -g stress -g cli 2>&1 | tee "$tmp/stress"
rc_t=${PIPESTATUS[0]}
count "$tmp/stress"
[ $rc_w = 0 ] && [ $rc_h = 0 ] && [ $rc_u = 0 ] && [ $rc_p = 0 ] && [ $rc_k = 0 ] && [ $rc_s = 0 ] && [ $rc_t = 0 ] && [ $rc_d = 0 ] || [ $total_f -gt 0 ] || total_f=1

# CI shows only the tail of this output: name what failed there, with the first lines of why.
if [ $total_f -gt 0 ]; then
	echo "what failed:"
	cat "$tmp"/{warn,host,uapi,series,kunit,shell,stress,diff} 2>/dev/null |
		grep -E -A6 'FAIL|not ok|did not run|run failed|produced no results|^error:' |
		head -n 60
fi
echo "phase times:"
cat "$times"
log "all tests done in $(($(date +%s) - start))s"
if [ $total_s -gt 0 ]; then
	echo "$total_p passed, $total_f failed, $total_s skipped"
else
	echo "$total_p passed, $total_f failed"
fi
[ $total_f = 0 ]
