#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install everything the build and the tests need, on a fresh machine, idempotently:
#  - bookworm build packages (system apt, install only),
#  - linux-source-7.2 and the rust-src matching `rustc --version`, fetched from the newer suites
#    of the machine's own Debian mirror through a private apt state (the system's apt configuration
#    is never changed and no host name is written anywhere),
#  - bindgen-cli 0.72.1,
# all kept in $CACHE and keyed by version, so a second run does nothing.  It says what it does
# and why it fails on stderr; with --quiet it says nothing when there was nothing to do (the
# other scripts run it so, through setup_versions of common.sh).
set -euo pipefail
. "$(dirname "$0")/common.sh"

mkdir -p "$CACHE"

# 1. Build packages from the machine's own suite.
PKGS="build-essential bc bison flex libelf-dev libssl-dev cpio kmod clang-19 lld-19 llvm-19
      libclang-19-dev qemu-system-x86 mmdebstrap xz-utils rsync patch shellcheck"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	log "installing build packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null \
		|| die "apt-get install failed for:$missing"
fi

RUST_VERSION=$(rustc --version | awk '{print $2}')
[ -n "$RUST_VERSION" ] || die "rustc not found"

if [ -f "$VERSIONS_FILE" ]; then
	# shellcheck disable=SC1090
	. "$VERSIONS_FILE"
fi

# 3. Kernel source.
if [ -z "${LINUX_VERSION:-}" ] || [ ! -f "$CACHE/src/linux-${LINUX_VERSION}/.unpacked" ]; then
	private_apt
	kdeb_ver=$(pkg_versions linux-source-7.2 | head -n1)
	[ -n "$kdeb_ver" ] || die "linux-source-7.2 is not available from the mirror's newer suites"
	LINUX_VERSION=${kdeb_ver%%-*}
	LINUX_DEB_VERSION=$kdeb_ver
	log "fetching linux-source-7.2 $kdeb_ver"
	rm -f "$APTP/cache/archives/linux-source-7.2_"*.deb
	deb=$(fetch_deb linux-source-7.2 "$kdeb_ver" "$CACHE/src")
	tmp=$CACHE/src/tmp.$$
	rm -rf "$tmp" && mkdir -p "$tmp"
	dpkg -x "$deb" "$tmp"
	rm -rf "$CACHE/src/linux-$LINUX_VERSION"
	mkdir -p "$CACHE/src/linux-$LINUX_VERSION"
	log "unpacking kernel source $LINUX_VERSION"
	tar -xJf "$tmp"/usr/src/linux-source-7.2.tar.xz -C "$CACHE/src/linux-$LINUX_VERSION" \
		--strip-components=1
	rm -rf "$tmp" "$deb"
	touch "$CACHE/src/linux-$LINUX_VERSION/.unpacked"
fi

# 4. Rust library source matching the compiler exactly.
if [ ! -d "$CACHE/rust-src-$RUST_VERSION/usr/src/rustc-$RUST_VERSION/library" ]; then
	private_apt
	rver=$(pkg_versions rust-src | grep -E "^([0-9]+:)?${RUST_VERSION//./\\.}\+" | head -n1 || true)
	[ -n "$rver" ] || die "no rust-src package matches rustc $RUST_VERSION on the mirror (have: $(pkg_versions rust-src | tr '\n' ' '))"
	log "fetching rust-src $rver"
	rm -f "$APTP/cache/archives/rust-src_"*.deb
	deb=$(fetch_deb rust-src "$rver" "$CACHE")
	rm -rf "$CACHE/rust-src-$RUST_VERSION"
	dpkg -x "$deb" "$CACHE/rust-src-$RUST_VERSION"
	rm -f "$deb"
	[ -d "$CACHE/rust-src-$RUST_VERSION/usr/src/rustc-$RUST_VERSION/library" ] \
		|| die "rust-src $rver does not hold usr/src/rustc-$RUST_VERSION/library"
fi

# 5. bindgen.
if [ ! -x "$CACHE/bindgen-0.72.1/bin/bindgen" ]; then
	log "installing bindgen-cli 0.72.1 (about 2 minutes)"
	cargo install -q bindgen-cli --version 0.72.1 --locked --root "$CACHE/bindgen-0.72.1" \
		|| die "cargo install bindgen-cli failed"
fi

cat > "$VERSIONS_FILE.tmp.$$" <<EOV
LINUX_VERSION=$LINUX_VERSION
LINUX_DEB_VERSION=${LINUX_DEB_VERSION:-}
RUST_VERSION=$RUST_VERSION
EOV
mv "$VERSIONS_FILE.tmp.$$" "$VERSIONS_FILE"
[ "${1:-}" = --quiet ] ||
	log "setup complete: linux $LINUX_VERSION, rust-src $RUST_VERSION, cache $CACHE"
