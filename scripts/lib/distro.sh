# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Its variables are for the scripts that source common.sh, which sources this.
# shellcheck disable=SC2034
# Part of common.sh: Debian's stock kernel, the sid build root with the toolchain that built it,
# and commands run there.

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
