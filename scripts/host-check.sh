#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The checks that need no VM: the tests of the userspace crates (samples/, one workspace; the
# library's check its ABI against include/uapi/xfs_healthmon.h, decoding, text, JSON, a recorded
# stream), clippy -D warnings and rustfmt on all of them, shellcheck on every shell script of
# scripts/ and tests/, and a docutils build of every reST file in Documentation/ with no warning.
# Ends with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/common.sh"
export CARGO_TARGET_DIR=$SAMPLES_TARGET
pass=0 fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# The userspace crates, one workspace: every crate's tests, clippy and rustfmt.
ws=$TOP/samples/Cargo.toml
if out=$(cargo test -q --locked --workspace --manifest-path "$ws" 2>&1); then
	n=$(sed -nE 's/^test result: ok\. ([0-9]+) passed.*/\1/p' <<<"$out" | awk '{ s += $1 } END { print s + 0 }')
	ok "samples tests: ${n:-0} passed"
else
	bad "samples tests"
	grep -E -B2 -A12 'FAILED|panicked|^error' <<<"$out" | head -n 60
fi
for c in xfs-healthmon hmtest hmprobe hmstress hmbench; do
	if out=$(cargo clippy -q --locked -p "$c" --all-targets --manifest-path "$ws" -- -D warnings 2>&1); then
		ok "clippy $c"
	else
		bad "clippy $c"
		head -n 40 <<<"$out"
	fi
	if cargo fmt -p "$c" --check --manifest-path "$ws" >/dev/null 2>&1; then
		ok "rustfmt $c"
	else
		bad "rustfmt $c (run cargo fmt --all in samples/)"
	fi
done
members=$(sed -n 's/^members = \[\(.*\)\]$/\1/p' "$ws" | tr -d '",')
[ "$(tr ' ' '\n' <<<"$members" | sort | xargs)" = "hmbench hmprobe hmstress hmtest xfs-healthmon" ] ||
	bad "the workspace's members ($members) are not the crates this script checks"

# Debian's shellcheck on every shell script of scripts/ and tests/, sourced ones included
# (they say "# shellcheck shell=bash"), with the settings of .shellcheckrc.
sh_files=()
while read -r f; do
	case $(head -n1 "$f") in
	'#!'*bash* | '#!'*/sh) sh_files+=("$f") ;;
	*) ! grep -q '^# shellcheck shell=' "$f" || sh_files+=("$f") ;;
	esac
done < <(cd "$TOP" && find scripts tests -type f | sort)
if out=$(cd "$TOP" && shellcheck -x "${sh_files[@]}" 2>&1); then
	ok "shellcheck: ${#sh_files[@]} scripts"
else
	bad "shellcheck"
	head -n 60 <<<"$out"
fi

# docutils, from the system's Python or a virtual environment of the cache.
py=python3
if ! python3 -c 'import docutils' 2>/dev/null; then
	venv=$CACHE/venv-docs
	if [ ! -x "$venv/bin/python3" ] || ! "$venv/bin/python3" -c 'import docutils' 2>/dev/null; then
		log "installing docutils into $venv"
		python3 -m venv "$venv" && "$venv/bin/pip" install -q docutils >&2
	fi
	py=$venv/bin/python3
fi
for f in "$TOP"/Documentation/*.rst; do
	if out=$("$py" - "$f" 2>&1 <<'PY'
import sys, io, docutils.core
err = io.StringIO()
docutils.core.publish_string(open(sys.argv[1]).read(), source_path=sys.argv[1],
    writer_name='null', settings_overrides={'report_level': 2, 'halt_level': 5,
    'warning_stream': err})
sys.stdout.write(err.getvalue())
sys.exit(1 if err.getvalue() else 0)
PY
	); then
		ok "docutils $(basename "$f")"
	else
		bad "docutils $(basename "$f")"
		head -n 20 <<<"$out"
	fi
done
echo "$pass passed, $fail failed"
[ $fail = 0 ]
