# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Its variables are for the scripts that source common.sh, which sources this.
# shellcheck disable=SC2034
# Part of common.sh: the machine's Debian mirror, the private apt state for the newer suites, and
# sid root filesystems made with mmdebstrap.

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
