# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Its variables are for the scripts that source it.
# shellcheck disable=SC2034
# Shared paths and helpers for the project's scripts.  Source it; do not run it.
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
# fault injection and object debugging; KUnit and the stress tests of make check), "rt" (the test
# kernel with PREEMPT_RT), "bench"
# (production-like; make bench) or "distro" (Debian's stock kernel, linux-image-*-amd64 of the
# same Debian version as our source, or with XFSHM_KFLAVOUR=rt its PREEMPT_RT flavour,
# linux-image-*-rt-amd64; scripts/build-distro.sh).
XFSHM_KERNEL=${XFSHM_KERNEL:-test}
case $XFSHM_KERNEL in
test | debug | rt | bench | distro) ;;
*) die "XFSHM_KERNEL must be test, debug, rt, bench or distro, not '$XFSHM_KERNEL'" ;;
esac
XFSHM_KFLAVOUR=${XFSHM_KFLAVOUR:-}
case $XFSHM_KFLAVOUR in
'' | rt) ;;
*) die "XFSHM_KFLAVOUR must be empty (Debian's generic amd64 flavour) or rt, not '$XFSHM_KFLAVOUR'" ;;
esac
[ -z "$XFSHM_KFLAVOUR" ] || [ "$XFSHM_KERNEL" = distro ] ||
	die "XFSHM_KFLAVOUR=$XFSHM_KFLAVOUR is a flavour of Debian's kernel: it needs XFSHM_KERNEL=distro"

# The config fragment of the chosen kernel: kernel.config and kernel-systemd.config (what the
# systemd guest needs), and for the bench and RT kernels kernel-bench.config's or kernel-rt.config's
# lines in place of the lines of the same symbols; for the debug kernel, kernel.config and
# kernel-debug.config's checkers.
kernel_fragment() {
	local over=$TOP/scripts/kernel-$XFSHM_KERNEL.config keys
	if [ "$XFSHM_KERNEL" = bench ] || [ "$XFSHM_KERNEL" = rt ]; then
		keys=$(grep -E '^CONFIG_' "$over" | sed 's/=.*//' | paste -sd'|')
		grep -hE '^CONFIG_' "$TOP/scripts/kernel.config" "$TOP/scripts/kernel-systemd.config" |
			grep -vE "^($keys)="
		grep -E '^CONFIG_' "$over"
	elif [ "$XFSHM_KERNEL" = debug ]; then
		grep -hE '^CONFIG_' "$TOP/scripts/kernel.config" "$TOP/scripts/kernel-debug.config"
	else
		grep -hE '^CONFIG_' "$TOP/scripts/kernel.config" "$TOP/scripts/kernel-systemd.config"
	fi
}

# How a kernel's .config is made from its fragment: the test and debug kernels from allnoconfig
# (only what the VM and the tests use), the bench kernel from olddefconfig of an empty .config
# (the defaults a distribution starts from: CPU mitigations, ACPI drivers, the network stack).
kernel_base() {
	case $XFSHM_KERNEL in
	bench) echo olddefconfig ;;
	rt) echo "allnoconfig+rt" ;;
	*) echo allnoconfig ;;
	esac
}

# The kernel build directory is keyed by the source version, the config base and the fragment's
# hash (Debian's kernel: by its release).
kbuild_dir() {
	local h
	case $XFSHM_KERNEL in
	distro)
		echo "$CACHE/kbuild-distro-$DISTRO_KREL"
		return
		;;
	test) h=$({ kernel_base; kernel_fragment; } | sha256sum | cut -c1-12) ;;
	*) h=$XFSHM_KERNEL-$({ kernel_base; kernel_fragment; } | sha256sum | cut -c1-12) ;;
	esac
	echo "$CACHE/kbuild-$LINUX_VERSION-$h"
}

kmake() {
	make -C "$KSRC" O="$KBUILD" LLVM=$LLVM_SUFFIX "$@"
}

# The make variables of a build against $KBUILD: LLVM for the project's kernels; for Debian's,
# the variables of its headers' .kernelvariables, the compiler named as in its .config's
# CONFIG_CC_VERSION_TEXT (the name is part of that text).
kbuild_vars() {
	if [ "$XFSHM_KERNEL" = distro ]; then
		local cc
		cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$KBUILD/.config")
		echo "ARCH=x86 CROSS_COMPILE=x86_64-linux-gnu- CC=${cc:-x86_64-linux-gnu-gcc-16} KERNELRELEASE=$DISTRO_KREL"
	else
		echo "LLVM=$LLVM_SUFFIX"
	fi
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

# A private apt state for the newer suites, with the mirror read from the system's sources (the
# system's own apt configuration is never changed).  papt runs an apt command in it.
APTP=$CACHE/apt
papt() {
	"$@" -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$APTP/etc" \
		-o Dir::State::Lists="$APTP/lists" -o Dir::Cache="$APTP/cache" \
		-o Dir::State::Status=/var/lib/dpkg/status \
		-o Acquire::Check-Valid-Until=false -o APT::Sandbox::User=root -q
}
apt_ready=
private_apt() {
	[ -n "$apt_ready" ] && return
	local uri
	uri=$(mirror_uri)
	[ -n "$uri" ] || die "cannot find a Debian mirror in the system's apt sources"
	mkdir -p "$APTP/etc" "$APTP/lists/partial" "$APTP/cache/archives/partial"
	cat > "$APTP/etc/extra.sources" <<EOS
Types: deb
URIs: $uri
Suites: sid trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
	log "updating private apt lists (sid, trixie-backports)"
	papt apt-get update >/dev/null || die "private apt-get update failed"
	apt_ready=1
	MIRROR_URI=$uri
}

# Candidate version of a package in the private state, optionally matching a prefix.
pkg_versions() {
	papt apt-cache madison "$1" | awk -F'|' '{gsub(/ /,"",$2); print $2}'
}

fetch_deb() { # name version destdir
	local dir=$3
	mkdir -p "$dir"
	(cd "$APTP/cache/archives" && papt apt-get download "$1=$2" >/dev/null) \
		|| die "cannot download $1=$2"
	# shellcheck disable=SC2012 # Debian package file names have no spaces
	ls "$APTP/cache/archives/$1_"*.deb | head -n1
}

# make against the kernel build $KBUILD (M= builds of modules): for Debian's kernel in its build
# root.
mmake() {
	if [ "$XFSHM_KERNEL" = distro ]; then
		# shellcheck disable=SC2046
		droot make -C "$KBUILD" $(kbuild_vars) "$@"
	else
		make -C "$KBUILD" LLVM=$LLVM_SUFFIX "$@"
	fi
}

# Make a sid root filesystem in DIR (built in DIR.tmp, moved into place when done) with the
# packages of the list PACKAGES, from the machine's own mirror; mmdebstrap's output goes to LOG.
sid_root() { # DIR LOG PACKAGES
	local dir=$1 logf=$2 uri
	uri=$(mirror_uri)
	[ -n "$uri" ] || die "cannot find a Debian mirror in the system's apt sources"
	rm -rf --one-file-system "$dir" "$dir.tmp"
	mmdebstrap --quiet --mode=root --variant=minbase \
		--include="$(echo "$3" | tr -s ' \t\n' ,)" \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		sid "$dir.tmp" "deb $uri sid main" >"$logf" 2>&1 || {
		tail -n 30 "$logf" >&2
		die "mmdebstrap failed; log in $logf"
	}
}

# Debian's stock kernel: the release and Debian version of linux-image-*-amd64 (or, with
# XFSHM_KFLAVOUR=rt, linux-image-*-rt-amd64) matching our linux-source-7.2, chosen once and
# recorded in $DISTRO_ENV, and the sid build root with the toolchain that built it ($DROOT,
# keyed by its package list), which also has Debian's packaging tools for make deb
# (scripts/build-deb.sh: build-essential, debhelper, help2man, lintian).
DISTRO_ENV=$CACHE/distro${XFSHM_KFLAVOUR:+-$XFSHM_KFLAVOUR}.env
load_distro() {
	exec 6>"$CACHE/.distro-env.lock"
	flock 6
	if [ ! -f "$DISTRO_ENV" ]; then
		private_apt
		local ver pkg
		# The Debian version of our source (setup.sh records it; a cache from before it did
		# takes the mirror's linux-source-7.2 of the same upstream version).
		ver=${LINUX_DEB_VERSION:-}
		[ -n "$ver" ] ||
			ver=$(pkg_versions linux-source-7.2 | grep -E "^${LINUX_VERSION//./\\.}-" | head -n1 || true)
		[ -n "$ver" ] || die "the mirror has no linux-source-7.2 of version $LINUX_VERSION any more"
		pkg=$(papt apt-cache pkgnames "linux-image-$LINUX_VERSION+" |
			grep -E "^linux-image-${LINUX_VERSION//./\\.}\+deb[0-9]+-${XFSHM_KFLAVOUR:+$XFSHM_KFLAVOUR-}amd64\$" | sort -V | tail -n1 || true)
		[ -n "$pkg" ] || die "the mirror has no linux-image-$LINUX_VERSION+debNN-${XFSHM_KFLAVOUR:+$XFSHM_KFLAVOUR-}amd64"
		pkg_versions "$pkg" | grep -qxF "$ver" ||
			die "$pkg is not of version $ver (has: $(pkg_versions "$pkg" | tr '\n' ' '))"
		printf 'DISTRO_KREL=%s\nDISTRO_VERSION=%s\n' "${pkg#linux-image-}" "$ver" > "$DISTRO_ENV.tmp"
		mv "$DISTRO_ENV.tmp" "$DISTRO_ENV"
	fi
	flock -u 6
	exec 6>&-
	# shellcheck disable=SC1090
	. "$DISTRO_ENV"
	[ -z "${LINUX_DEB_VERSION:-}" ] || [ "$LINUX_DEB_VERSION" = "$DISTRO_VERSION" ] ||
		die "$DISTRO_ENV names Debian $DISTRO_VERSION, the cached source is $LINUX_DEB_VERSION: remove $DISTRO_ENV"
	DISTRO_ROOT_PACKAGES="linux-headers-$DISTRO_KREL=$DISTRO_VERSION rustc rust-src bindgen
		libclang-dev binutils dwarves make bc bison flex libelf-dev libssl-dev kmod cpio xz-utils
		zstd python3 openssl busybox-static build-essential debhelper help2man lintian"
	DROOT=$CACHE/distro-root-$DISTRO_KREL-$(echo "$DISTRO_ROOT_PACKAGES" | sha256sum | cut -c1-8)
}

# Run a command in the build root as root, with the cache and the checkout at their own paths
# (a kernel build records absolute paths), in a private mount namespace that ends with it.
droot() {
	# shellcheck disable=SC2016 # the script's own arguments, expanded where it runs
	unshare --mount --propagation private -- /bin/bash -c '
		set -e
		r=$1 cache=$2 top=$3
		shift 3
		mount -t proc proc "$r/proc"
		mount --rbind /dev "$r/dev"
		mount -t tmpfs tmpfs "$r/tmp"
		for d in "$cache" "$top"; do
			mkdir -p "$r$d"
			mount --bind "$d" "$r$d"
		done
		exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			LC_ALL=C.UTF-8 "$@"' _ "$DROOT" "$CACHE" "$TOP" "$@"
}

# make in the kernel tree for Debian's kernel, in the build root.
dkmake() {
	# shellcheck disable=SC2046
	droot make -C "$KSRC" O="$KBUILD" $(kbuild_vars) "$@"
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
