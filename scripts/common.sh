# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Its variables are for the scripts that source it.
# shellcheck disable=SC2034
# Shared paths and helpers for the project's scripts.  Source it; do not run it.  It holds the
# paths, the versions, the shared flag and the splat scan, and sources the rest by concern:
# scripts/lib/kernel.sh (the kernels), lib/apt.sh (the mirror, the private apt state, sid roots)
# and lib/distro.sh (Debian's stock kernel and its build root).
#
# Everything heavy (the unpacked kernel tree, the kernel build, bindgen, the VM root filesystem)
# lives in a cache outside the repository, keyed by the versions that produced it, so a second
# run reuses it.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${XFSHM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xfs-healthmon-rs}
LLVM_SUFFIX=-19
# Cargo's target directory for samples/, one per checkout: cargo takes a crate's objects as up to
# date by the times of the files at the same relative paths, so another checkout's build (older
# files of other contents) would pass for this one's.
SAMPLES_TARGET=$CACHE/samples-target-$(printf %s "$TOP" | sha256sum | cut -c1-12)
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

# The flag that the entry points share, parsed one way: when $2 is "--variant V" or
# "--variant=V", set $variant to V, dying unless V is one of the words of $1, and $nshift to the
# number of arguments it took (to shift).
variant_flag() { # ALLOWED ARG...
	local allowed=$1
	shift
	case ${1:-} in
	--variant)
		[ $# -ge 2 ] || die "--variant needs a value ($allowed)"
		variant=$2 nshift=2 ;;
	--variant=*) variant=${1#*=} nshift=1 ;;
	*) die "variant_flag: not a variant flag: ${1:-}" ;;
	esac
	[[ " $allowed " == *" $variant "* ]] || die "unknown variant '$variant' ($allowed)"
}

# What every entry point does first: set up whatever is missing (scripts/setup.sh --quiet, which
# says what it installs and why it fails) and load the versions it chose.
setup_versions() {
	"$TOP/scripts/setup.sh" --quiet || die "scripts/setup.sh failed (its reason above)"
	load_versions
}

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

# The rest, by concern.
# shellcheck source=scripts/lib/kernel.sh
. "$TOP/scripts/lib/kernel.sh"
# shellcheck source=scripts/lib/apt.sh
. "$TOP/scripts/lib/apt.sh"
# shellcheck source=scripts/lib/distro.sh
. "$TOP/scripts/lib/distro.sh"

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
