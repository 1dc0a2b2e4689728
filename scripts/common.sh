# SPDX-License-Identifier: GPL-2.0
# Shared paths and helpers for the project's scripts.  Source it; do not run it.
#
# Everything heavy (the unpacked kernel tree, the kernel build, bindgen, the VM root filesystem)
# lives in a cache outside the repository, keyed by the versions that produced it, so a second
# run reuses it.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${XFSHM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xfs-healthmon-rs}
LLVM_SUFFIX=-19
NPROC=$(nproc)

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The kernel log after the last line containing $1 (all of it if that line is gone).  Counting
# lines instead would fail once the ring buffer wraps.
dmesg_since() {
	dmesg | awk -v m="$1" '{ l[NR] = $0 } index($0, m) { s = NR } END { for (i = s + 1; i <= NR; i++) print l[i] }'
}

# The kernel source and rust-src versions chosen by setup.sh are recorded here.
VERSIONS_FILE=$CACHE/versions.env

load_versions() {
	[ -f "$VERSIONS_FILE" ] || die "no $VERSIONS_FILE: run scripts/setup.sh first"
	# shellcheck disable=SC1090
	. "$VERSIONS_FILE"
	KSRC=$CACHE/src/linux-$LINUX_VERSION
	RUST_LIB_SRC=$CACHE/rust-src-$RUST_VERSION/usr/src/rustc-$RUST_VERSION/library
	BINDGEN=$CACHE/bindgen-0.72.1/bin/bindgen
	export RUST_LIB_SRC
	export PATH="$CACHE/bindgen-0.72.1/bin:$PATH"
}

# Which kernel: "test" (lockdep, sleep-in-atomic checks, XFS_DEBUG; the shell tests and the
# differential runner of make check), "debug" (the test kernel with KASAN, UBSAN, kmemleak,
# fault injection and object debugging; KUnit and the stress tests of make check) or "bench"
# (production-like; make bench).
XFSHM_KERNEL=${XFSHM_KERNEL:-test}
case $XFSHM_KERNEL in
test | debug | bench) ;;
*) die "XFSHM_KERNEL must be test, debug or bench, not '$XFSHM_KERNEL'" ;;
esac

# The config fragment of the chosen kernel: kernel.config, and for the bench kernel
# kernel-bench.config's lines in place of the lines of the same symbols; for the debug kernel,
# kernel-debug.config's checkers after them.
kernel_fragment() {
	local over=$TOP/scripts/kernel-bench.config keys
	if [ "$XFSHM_KERNEL" = bench ]; then
		keys=$(grep -E '^CONFIG_' "$over" | sed 's/=.*//' | paste -sd'|')
		grep -E '^CONFIG_' "$TOP/scripts/kernel.config" | grep -vE "^($keys)="
		grep -E '^CONFIG_' "$over"
	elif [ "$XFSHM_KERNEL" = debug ]; then
		grep -hE '^CONFIG_' "$TOP/scripts/kernel.config" "$TOP/scripts/kernel-debug.config"
	else
		grep -E '^CONFIG_' "$TOP/scripts/kernel.config"
	fi
}

# The kernel build directory is keyed by the source version and the config fragment's hash.
kbuild_dir() {
	local h
	case $XFSHM_KERNEL in
	test) h=$(sha256sum < "$TOP/scripts/kernel.config" | cut -c1-12) ;;
	debug) h=$(kernel_fragment | sha256sum | cut -c1-12) ;;
	*) h=$XFSHM_KERNEL-$(kernel_fragment | sha256sum | cut -c1-12) ;;
	esac
	echo "$CACHE/kbuild-$LINUX_VERSION-$h"
}

kmake() {
	make -C "$KSRC" O="$KBUILD" LLVM=$LLVM_SUFFIX "$@"
}

# The Debian mirror of the machine's own apt sources (never written into a file of the repo).
mirror_uri() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# deb822: the first stanza of type deb whose URIs is not a security archive.
		uri=$(awk 'tolower($1)=="uris:" && $2 !~ /security/ {print $2; exit}' "$f")
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	if [ -f /etc/apt/sources.list ]; then
		awk '$1=="deb" && $0 !~ /security/ { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
			/etc/apt/sources.list
	fi
}

# Print the lines of the kernel logs named as arguments that are splats, leaving out the known
# upstream ones of the C reference when $1 is "c".
find_splats() {
	local variant=$1 dir
	shift
	dir=$(dirname "${BASH_SOURCE[0]}")
	grep -hEf <(grep -v '^#' "$dir/splat-patterns") "$@" 2>/dev/null |
		if [ "$variant" = c ]; then
			grep -vEf <(grep -v '^#' "$dir/known-splats-c" | grep .)
		else
			cat
		fi
}
