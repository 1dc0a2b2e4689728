#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Write the in-tree series: `git format-patch` of this repository's monitor against the pristine
# linux-source tree, into patches/ (not committed), with a cover letter.
#
#   scripts/patches.sh [--check]
#
# The series is made in a git repository of the pristine tree's files that it touches
# (MAINTAINERS, fs/xfs/, Documentation/filesystems/xfs/; $CACHE/patches-base-VERSION, made once),
# one commit per patch, signed off by this repository's configured author (or its newest
# commit's).  The patches copy the
# files of fs/xfs/healthmon/ as they are here, apply scripts/intree/*.patch to the kernel's own
# files, and add the MAINTAINERS lines of the files each one adds.
#
# --check then applies the series with `git am` to a fresh clone of that pristine base and runs
# the kernel tree's `scripts/checkpatch.pl --strict` on every patch and the tree's rustfmt check
# on the Rust files after every patch; it ends with "N passed, N failed".
set -euo pipefail
. "$(dirname "$0")/common.sh"
"$TOP/scripts/setup.sh" 2>/dev/null
load_versions
check=
[ "${1:-}" = --check ] && check=y

command -v git > /dev/null || die "git is needed for the series"
# Signed off by the configured author, or in a checkout without one (a CI clone) by the author of
# its newest commit.
name=$(git -C "$TOP" config user.name || git -C "$TOP" log -1 --format=%an 2>/dev/null || true)
email=$(git -C "$TOP" config user.email || git -C "$TOP" log -1 --format=%ae 2>/dev/null || true)
[ -n "$name" ] && [ -n "$email" ] || die "set git's user.name and user.email: the patches are signed off by them"
export GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1

# The pristine base: the tree's files that the series touches, committed once.
BASE=$CACHE/patches-base-$LINUX_VERSION
if [ ! -f "$BASE/.done" ]; then
	log "making the pristine base of the series in $BASE"
	rm -rf "$BASE"
	mkdir -p "$BASE/fs" "$BASE/Documentation/filesystems"
	cp -r "$KSRC/fs/xfs" "$BASE/fs/xfs"
	cp -r "$KSRC/Documentation/filesystems/xfs" "$BASE/Documentation/filesystems/xfs"
	cp "$KSRC/MAINTAINERS" "$BASE/MAINTAINERS"
	git -C "$BASE" init -q -b base
	git -C "$BASE" add -A
	git -C "$BASE" commit -q -m "linux-source $LINUX_VERSION: MAINTAINERS, fs/xfs, Documentation/filesystems/xfs"
	touch "$BASE/.done"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q "$BASE" "$work/tree"
T=$work/tree
HM=$TOP/fs/xfs/healthmon

# The MAINTAINERS entry, made by the first patch and extended by each that adds files.
maint_add() { # FILE...: list these files in the entry, which the first call creates
	local f
	if ! grep -q '^XFS LIVE HEALTH MONITORING IN RUST$' "$T/MAINTAINERS"; then
		python3 - "$T/MAINTAINERS" "$name <$email>" <<'EOF'
import sys
path, who = sys.argv[1], sys.argv[2]
s = open(path).read()
entry = ("XFS LIVE HEALTH MONITORING IN RUST\n"
         "M:\t%s\n"
         "L:\tlinux-xfs@vger.kernel.org\n"
         "L:\trust-for-linux@vger.kernel.org\n"
         "S:\tMaintained\n\n" % who)
at = s.index("\nXFS FILESYSTEM\n") + 1
open(path, "w").write(s[:at] + entry + s[at:])
EOF
	fi
	for f in "$@"; do
		python3 - "$T/MAINTAINERS" "$f" <<'EOF'
import sys
path, f = sys.argv[1], sys.argv[2]
lines = open(path).read().split("\n")
i = lines.index("XFS LIVE HEALTH MONITORING IN RUST")
j = lines.index("", i)
files = sorted(set([l for l in lines[i:j] if l.startswith("F:\t")] + ["F:\t" + f]))
head = [l for l in lines[i:j] if not l.startswith("F:\t")]
lines[i:j] = head + files
open(path, "w").write("\n".join(lines))
EOF
	done
}

# One patch: SUBJECT, then its body on stdin; what it changes is done before.
commit() {
	git -C "$T" add -A
	{ printf '%s\n\n' "$1"; cat; } | git -C "$T" commit -q -s --cleanup=strip -F -
}

copy() { # FILE... (relative to fs/xfs/healthmon): add them as they are here
	local f
	for f in "$@"; do
		mkdir -p "$T/fs/xfs/healthmon/$(dirname "$f")"
		cp "$HM/$f" "$T/fs/xfs/healthmon/$f"
		maint_add "fs/xfs/healthmon/$f"
	done
}

copy healthmon_shim.h healthmon_shim.c
commit "xfs: healthmon: add the C shim of a Rust health monitor" <<'EOF'
The Rust implementation of live health monitoring that follows needs a
few things of XFS and the VFS that Rust cannot reach: fields of struct
xfs_mount, struct xfs_inode and the group structures, static inline
helpers, the RCU-published monitor pointer of the mount and the lock
that serialises attaching a monitor with reporting, and the
tracepoints of xfs_trace.h.  Collect them in one small C file, so that
the unsafe surface of the Rust code is this file and its declarations.

The file is not built yet; a later patch adds the Kconfig choice.
EOF

copy uapi.rs
commit "xfs: healthmon: add the V0 record ABI in Rust" <<'EOF'
The health monitor's user interface is the V0 record of
libxfs/xfs_fs.h: 64 bytes per event, with the type, domain and masks
that xfs_healer decodes.  Describe the same layout and constants in
Rust, with compile-time checks of every size and offset, so that the
encoder can be plain safe Rust.
EOF

copy event.rs
commit "xfs: healthmon: add events, their merge rules and V0 encoding" <<'EOF'
An event is what XFS reports: sickness, shutdown, media errors, file
I/O errors, unmount and lost events.  Adjacent events of the same kind
merge as in the C monitor, and each encodes into one V0 record.  All of
it is safe Rust with no kernel state, so that KUnit can exercise it
directly.
EOF

copy queue.rs
commit "xfs: healthmon: add a preallocated event queue" <<'EOF'
The C monitor allocates an event for every report and drops events,
including a shutdown, when its queue is full; the lost-events record it
then owes cannot be queued until the reader makes room.  Use a ring
allocated when the monitor is created instead, with reserved slots for
the shutdown, unmount and lost-events records, so that reporting never
allocates and never loses one of those, and every lost event is
counted in a record the reader sees.
EOF

copy xfs.rs xfs/objects.rs xfs/attach.rs xfs/trace.rs xfs/kunit.rs
commit "xfs: healthmon: add typed wrappers of the C objects and tracepoints" <<'EOF'
Wrap the C objects the monitor uses (mount, inode, allocation and
realtime groups, the fserror event, the superblock) in types that
state what may be done with them, and call the shim for everything
else.  The tracepoints of the C monitor are kept, with the same names
and fields, so that existing tracing works unchanged.
EOF

copy monitor.rs monitor/lifetime.rs
commit "xfs: healthmon: add the monitor and its lifetime" <<'EOF'
The monitor holds the queue, the read buffer and the counters behind
one lock, and is attached to the mount through an RCU pointer so that
reporting takes no reference.  Detaching at unmount and freeing after a
grace period follow the C monitor's rules.
EOF

copy file.rs exports.rs
commit "xfs: healthmon: add the monitor file and the entry points" <<'EOF'
Add the anonymous-inode file that XFS_IOC_HEALTH_MONITOR returns (read,
poll, fdinfo, the reconfigure and same-filesystem ioctls) and the
xfs_healthmon_report_*() functions that XFS calls, with the same names
and prototypes as the C monitor's.
EOF

copy tests.rs
commit "xfs: healthmon: add KUnit suites" <<'EOF'
Test the merge rules, the verbosity filter, the queue and its
reservations, the V0 encoding against the C headers' constants, reads,
and the monitor's lifetime on a test mount.
EOF

copy healthmon.rs
patch -s -p1 -F0 --no-backup-if-mismatch -d "$T" < "$TOP/scripts/intree/xfs-Kconfig.patch"
patch -s -p1 -F0 --no-backup-if-mismatch -d "$T" < "$TOP/scripts/intree/xfs-Makefile.patch"
commit "xfs: add CONFIG_XFS_HEALTHMON_RUST to build the Rust health monitor" <<'EOF'
Add the crate root that links the Rust health monitor into xfs.ko, and
let the configuration choose it instead of xfs_healthmon.c, as
AX88796B_RUST_PHY chooses between two drivers.  Without the option
nothing changes for C users.
EOF

rm -rf "$TOP/patches"
mkdir -p "$TOP/patches"
git -C "$T" format-patch -q --cover-letter -o "$TOP/patches" origin/base..HEAD
cover=$(ls "$TOP/patches"/0000-*.patch)
python3 - "$cover" <<'EOF'
import sys
path = sys.argv[1]
s = open(path).read()
s = s.replace("*** SUBJECT HERE ***", "xfs: live health monitoring in Rust")
s = s.replace("*** BLURB HERE ***", """\
This series adds a Rust implementation of XFS live health monitoring, the
XFS_IOC_HEALTH_MONITOR file that xfs_healer reads, as an alternative to
fs/xfs/xfs_healthmon.c chosen by CONFIG_XFS_HEALTHMON_RUST.  Its user
interface is the C monitor's, byte for byte: the same V0 records, the
same errnos, the same tracepoints.

It differs where the C monitor is weak: its queue is allocated when the
monitor is created, so reporting never allocates; shutdown, unmount and
lost-events records have reserved slots and are never dropped; and the
lost-events record always reaches the reader, so that xfs_healer starts
a full repair when it must (the C monitor counts the loss but cannot
queue the record while its queue is full).

The unsafe code is in one C shim and one Rust module; the queue, merge
rules and encoding are safe Rust with KUnit suites.""")
open(path, "w").write(s)
EOF
log "wrote $(ls "$TOP/patches" | wc -l) files to patches/"
[ -n "$check" ] || exit 0

# The checks: git am on the pristine base, checkpatch and rustfmt after every patch.
pass=0 fail=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
git clone -q "$BASE" "$work/am"
for p in "$TOP"/patches/0*.patch; do
	case $p in */0000-*) continue ;; esac
	n=$(basename "$p")
	if git -C "$work/am" am -q "$p" > "$work/am.log" 2>&1; then
		ok "git am $n"
	else
		bad "git am $n: $(head -n 3 "$work/am.log")"
		break
	fi
	if (cd "$KSRC" && perl scripts/checkpatch.pl --strict --color=never -q "$p") > "$work/cp.log" 2>&1 &&
		! grep -qE '^(ERROR|WARNING|CHECK):' "$work/cp.log"; then
		ok "checkpatch --strict $n"
	else
		bad "checkpatch --strict $n"
		sed -n '1,20p' "$work/cp.log"
	fi
	rs=$(cd "$work/am" && find fs/xfs/healthmon -name '*.rs' 2>/dev/null | sort)
	if [ -z "$rs" ] || (cd "$work/am" && rustfmt --check --edition 2021 --config-path "$KSRC/.rustfmt.toml" $rs) > "$work/fmt.log" 2>&1; then
		ok "rustfmt $n"
	else
		bad "rustfmt $n"
		head -n 10 "$work/fmt.log"
	fi
done
echo "$pass passed, $fail failed"
[ $fail = 0 ]
