#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the Debian packages (make deb) from what make distro builds, with Debian's own tools
# (debhelper, dpkg-buildpackage, help2man, lintian) in the sid build root of Debian's kernel,
# into deb-out/ of the checkout (or DIR), and print their paths:
#
#   xfs-healthmon-modules-KREL_VERSION_amd64.deb  the Rust xfs.ko for Debian's kernel KREL in
#       /usr/lib/modules/KREL/updates/, depending on exactly that linux-image upload; its
#       preinst refuses a machine the module could not load into (scripts/module-checks.sh),
#       its postinst and postrm run depmod and update-initramfs
#   xfs-healthmon_VERSION_amd64.deb  the command, its man page (from its help, by help2man), and
#       xfs-healthmon-textfile.timer, which writes the counts of every monitor on the host for
#       the node exporter's textfile collector
#
#   scripts/build-deb.sh [DIR]
#
# VERSION is the command's version and the time of the commit (of the build, for a checkout with
# changes) in seconds: later builds have greater versions, and the module package's file name
# stays within the 80 characters lintian allows (for the rt flavour too).  The changelog names
# the commit.  lintian checks both packages at its default level (errors and warnings): any tag
# fails the build, and its output is kept as lintian.txt beside them.
set -euo pipefail
export XFSHM_KERNEL=distro
. "$(dirname "$0")/common.sh"
outdir=${1:-$TOP/deb-out}
setup_versions
load_distro

KO=$("$TOP/scripts/build-module.sh")
SAMPLES=$("$TOP/scripts/build-samples.sh")
[ -f "$KO.imports" ] || die "no $KO.imports next to the module"
[ "$(droot modinfo -F name "$KO")" = xfs ] || die "$KO is not an xfs.ko"
vermagic=$(droot modinfo -F vermagic "$KO")
[ "${vermagic%% *}" = "$DISTRO_KREL" ] || die "$KO is built for ${vermagic%% *}, not $DISTRO_KREL"
signed=no
[ -z "$(droot modinfo -F sig_id "$KO")" ] || signed=yes

cd "$TOP"
when=$(git log -1 --format=%ct HEAD)
what="commit $(git rev-parse HEAD)"
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	when=$(date +%s)
	what="$what with changes not committed"
fi
# The workspace's version, which the command's Cargo.toml takes (version.workspace).
crate=$(sed -n '/^\[workspace.package\]$/,/^\[/s/^version = "\(.*\)"$/\1/p' samples/Cargo.toml)
[[ $crate =~ ^[0-9] ]] || die "no version in samples/Cargo.toml's [workspace.package]"
version=$crate+$when
exec 7>"$CACHE/.deb.lock"
flock 7
# The source tree dpkg-buildpackage works in: packaging/debian with the names and versions put
# in, and the artifacts.
stage=$CACHE/deb-build/xfs-healthmon-$version
rm -rf "$CACHE/deb-build"
mkdir -p "$stage/debian" "$stage/artifacts"
cp "$KO" "$KO.imports" "$SAMPLES/xfs-healthmon" "$stage/artifacts/"
mod=xfs-healthmon-modules-$DISTRO_KREL
subst() {
	sed -e "s|@KREL@|$DISTRO_KREL|g" -e "s|@KVERSION@|$DISTRO_VERSION|g" \
		-e "s|@VERSION@|$version|g" -e "s|@COMMIT@|$what|g" \
		-e "s|@SIGNED@|$signed|g" -e "s|@DATE@|$(date -u -R -d "@$when")|g" \
		-e "s|@MAINTAINER@|$(git log -1 --format='%an <%ae>' HEAD)|g" "$1"
}
for f in packaging/debian/*; do
	name=$(basename "$f" .in)
	name=${name/#modules./$mod.}
	subst "$f" > "$stage/debian/$name"
done
chmod 755 "$stage/debian/rules"
echo "usr/lib/modules/$DISTRO_KREL/updates" > "$stage/debian/$mod.dirs"
echo "artifacts/xfs.ko usr/lib/modules/$DISTRO_KREL/updates" > "$stage/debian/$mod.install"
echo "artifacts/xfs-healthmon usr/sbin" > "$stage/debian/xfs-healthmon.install"
echo "debian/xfs-healthmon.8" > "$stage/debian/xfs-healthmon.manpages"
# The preinst carries the checks and the module's imports with it: it runs before anything of
# the package is on the machine.
sed -n '/^xfshm_check_module() {$/,/^}$/p' scripts/module-checks.sh > "$stage/check.sh"
awk -v fn="$stage/check.sh" -v imp="$KO.imports" '
	function put(f,  l) { while ((getline l < f) > 0) print l; close(f) }
	$0 == "@CHECK_FUNCTION@" { put(fn); next }
	$0 == "@IMPORTS@" { put(imp); next }
	{ print }' "$stage/debian/$mod.preinst" > "$stage/debian/$mod.preinst.tmp"
rm "$stage/check.sh"
mv "$stage/debian/$mod.preinst.tmp" "$stage/debian/$mod.preinst"
grep -q '^xfshm_check_module() {$' "$stage/debian/$mod.preinst" || die "the preinst lacks the checks"

log "building the packages of $version in the sid build root"
logf=$CACHE/deb-build/build.log
# shellcheck disable=SC2016 # the script's own arguments, expanded where it runs
droot /bin/sh -c 'cd "$1" && dpkg-buildpackage --build=binary --no-sign' _ "$stage" > "$logf" 2>&1 || {
	tail -n 30 "$logf" >&2
	die "dpkg-buildpackage failed; log in $logf"
}
debs=("$CACHE/deb-build/${mod}_${version}_amd64.deb" "$CACHE/deb-build/xfs-healthmon_${version}_amd64.deb")
for d in "${debs[@]}"; do
	[ -f "$d" ] || die "dpkg-buildpackage made no $(basename "$d") (log in $logf)"
done
rc=0
# As a user (lintian advises against root), on copies it can read.
# shellcheck disable=SC2016 # the script's own arguments, expanded where it runs
droot /bin/sh -c 'mkdir /tmp/lint && cp "$@" /tmp/lint/ && chmod -R a+rX /tmp/lint && cd /tmp/lint &&
	runuser -u nobody -- env HOME=/tmp/lint lintian --fail-on error,warning ./*.deb' _ "${debs[@]}" \
	> "$CACHE/deb-build/lintian.txt" 2>&1 || rc=$?
mkdir -p "$outdir"
rm -f "$outdir"/*.deb "$outdir/lintian.txt"
cp "${debs[@]}" "$CACHE/deb-build/lintian.txt" "$outdir/"
if [ $rc != 0 ]; then
	cat "$outdir/lintian.txt" >&2
	die "lintian found the problems above (also in $outdir/lintian.txt)"
fi
log "$(droot lintian --version): no error or warning on either package"
for d in "${debs[@]}"; do
	echo "$outdir/$(basename "$d")"
done
