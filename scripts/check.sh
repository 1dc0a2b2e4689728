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
	local log
	log=$blogs/$(echo "$1" | tr -c 'a-z0-9\n' _).log
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

# Every test step's log is $tmp/LOG; account() adds its totals line ("N passed, N failed[, N
# skipped]") to the run's and names the step in $failed when it failed, had failures, or printed
# no totals.
total_p=0 total_f=0 total_s=0
failed=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$times" "$blogs"' EXIT
account() { # NAME LOG STATUS
	local name=$1 line p f s=0
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$tmp/$2" | tail -n1)
	if [ -z "$line" ]; then
		failed+=("$name (no totals line)")
		total_f=$((total_f + 1))
		return
	fi
	p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
	case $line in *skipped*) s=$(sed -E 's/.*, ([0-9]+) skipped.*/\1/' <<<"$line") ;; esac
	total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
	if [ "$3" != 0 ] || [ "$f" != 0 ]; then
		failed+=("$name")
	fi
}
# A step: COMMAND, timed under NAME, its output shown as it comes and kept as LOG.
step() { # NAME LOG COMMAND...
	local name=$1 log=$2 rc
	shift 2
	timed "$name" "$@" 2>&1 | tee "$tmp/$log"
	rc=${PIPESTATUS[0]}
	account "$name" "$log" "$rc"
}
# A step in the background, its output kept for step_wait to show and account.
step_bg() { # NAME LOG COMMAND...
	local name=$1 log=$2
	shift 2
	timed "$name" "$@" > "$tmp/$log" 2>&1 &
	echo $! > "$tmp/$log.pid"
}
step_wait() { # NAME LOG
	local rc=0
	wait "$(cat "$tmp/$2.pid")" || rc=$?
	cat "$tmp/$2"
	account "$1" "$2" "$rc"
}

# The crate and the shims build without a warning with KUnit (the test kernel) and without it
# (the bench kernel has CONFIG_KUNIT=n, like the xfs.ko users load): test-only code must not
# show up as dead code, nor ship, there.  Read from the logs of the builds above.
# Each object's warnings are in the log of the make that last compiled it (build-module.sh keeps
# it), which the builds above did: on the test kernel, the --fresh build of the Rust xfs.ko and
# the build of the C one with the driver; on the bench kernel, --objects.
warning_check() {
	local k obj blog
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
	done > "$tmp/warn.lines" 2>&1
	cat "$tmp/warn.lines"
	echo "$(grep -c '^ok:' "$tmp/warn.lines") passed, $(grep -c '^FAIL:' "$tmp/warn.lines") failed"
	! grep -q '^FAIL:' "$tmp/warn.lines"
}
log "warning-free builds"
step "warning-free builds" warn warning_check
log "host checks (userspace crates, shell scripts, reST)"
step "host checks" host "$TOP/scripts/host-check.sh"
log "UAPI header"
step "UAPI header check" uapi "$TOP/tests/uapi/check"
# The series' cheap checks; make patches-check builds it too (Documentation/testing.rst).
log "in-tree series (git am on the pristine tree, checkpatch --strict, rustfmt at every patch)"
step "in-tree series" series "$TOP/scripts/patches.sh" --check
# KUnit (one VM on the debug kernel) runs beside the differential runner (one VM on the test
# kernel): each keeps about one host core busy.  Their logs are printed when both are done.
log "KUnit (debug kernel) and the differential runner (short form), side by side"
XFSHM_KERNEL=debug step_bg "KUnit (debug kernel)" kunit "$TOP/tests/kunit/run"
step_bg "differential runner" diff "$TOP/tests/differential/run" --seeds "1 2" --events 2000
step_wait "KUnit (debug kernel)" kunit
step_wait "differential runner" diff
log "shell tests"
step "shell tests (hm, systemd; both variants)" shell "$TOP/tests/run" --variant both -x stress -x cli
# The stress group (tests/stress: races, the fuzzer) on the test kernel, with lockdep.  Its
# allocation-failure tests (005, 006) need the debug kernel's fault injection and
# skip here; the whole group on the debug kernel takes 32 minutes, more than CI can add, so run
# that with
#   XFSHM_KERNEL=debug tests/run --variant both -g stress
log "stress and cli tests (test kernel, report driver)"
step "stress and cli tests (both variants)" stress "$TOP/tests/run" --variant both -g stress -g cli
# A step that failed without counting a failure still fails the run.
[ ${#failed[@]} = 0 ] || [ $total_f -gt 0 ] || total_f=1

# CI shows only the tail of this output: name what failed there, with the first lines of why.
if [ ${#failed[@]} -gt 0 ]; then
	echo "failed steps: $(printf '%s; ' "${failed[@]}")"
	echo "what failed:"
	cat "$tmp"/{warn,host,uapi,series,kunit,diff,shell,stress} 2>/dev/null |
		grep -E -A6 'FAIL|not ok|did not run|run failed|produced no results|^error:' |
		head -n 60
fi
echo "phase times:"
cat "$times"
log "all tests done in $(($(date +%s) - start))s"
if [ "$total_s" -gt 0 ]; then
	echo "$total_p passed, $total_f failed, $total_s skipped"
else
	echo "$total_p passed, $total_f failed"
fi
[ $total_f = 0 ]
