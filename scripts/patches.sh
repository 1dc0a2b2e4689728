#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Write the in-tree series: `git format-patch` of this repository's monitor against the pristine
# linux-source tree, into patches/ (not committed), with a cover letter.
#
#   scripts/patches.sh [--check] [--build]
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
#
# --build (make patches-check; it implies --check) also builds the series: every prefix of it, as
# xfs.ko against the test kernel with CONFIG_XFS_HEALTHMON_RUST=y and CLIPPY=1, warning-free (a
# git clone of the base in the cache, $CACHE/patches-bisect-KERNEL, keeps the objects between
# runs); and the whole series in a copy of the tree (hard links to the pristine tree, the
# series' files copied in, $CACHE/patches-tree-VERSION) with
#   tools/testing/kunit/kunit.py run --kunitconfig=fs/xfs/healthmon --arch=x86_64
# which builds a kernel with XFS built in (build directory $CACHE/kunit-intree-VERSION) and runs
# it under QEMU with TCG only (a wrapper drops kunit.py's -accel kvm: KVM guests hang here).
set -euo pipefail
. "$(dirname "$0")/common.sh"
setup_versions
check='' build=''
for arg; do
	case $arg in
	--check) check=y ;;
	--build) check=y build=y ;;
	*) die "usage: scripts/patches.sh [--check] [--build]" ;;
	esac
done

command -v git > /dev/null || die "git is needed for the series"
# Signed off by the configured author, or in a checkout without one (a CI clone) by the author of
# its newest commit.
name=$(git -C "$TOP" config user.name || git -C "$TOP" log -1 --format=%an 2>/dev/null || true)
email=$(git -C "$TOP" config user.email || git -C "$TOP" log -1 --format=%ae 2>/dev/null || true)
[ -n "$name" ] && [ -n "$email" ] || die "set git's user.name and user.email: the patches are signed off by them"
export GIT_AUTHOR_NAME=$name GIT_AUTHOR_EMAIL=$email GIT_COMMITTER_NAME=$name GIT_COMMITTER_EMAIL=$email
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1

# The pristine base: the tree's files that the series touches, committed once per tree (its
# .done names the tree it was made from), under a lock so that two checkouts sharing the cache
# cannot make it at once.
BASE=$CACHE/patches-base-$LINUX_VERSION
stamp="$LINUX_VERSION $(stat -c %Y "$KSRC/MAINTAINERS")"
exec 9> "$BASE.lock"
flock 9
if [ "$(cat "$BASE/.done" 2> /dev/null)" != "$stamp" ]; then
	log "making the pristine base of the series in $BASE"
	rm -rf "$BASE" "$BASE.tmp"
	mkdir -p "$BASE.tmp/fs" "$BASE.tmp/Documentation/filesystems"
	cp -r "$KSRC/fs/xfs" "$BASE.tmp/fs/xfs"
	cp -r "$KSRC/Documentation/filesystems/xfs" "$BASE.tmp/Documentation/filesystems/xfs"
	cp "$KSRC/MAINTAINERS" "$BASE.tmp/MAINTAINERS"
	git -C "$BASE.tmp" init -q -b base
	git -C "$BASE.tmp" add -A
	git -C "$BASE.tmp" commit -q -m "linux-source $LINUX_VERSION: MAINTAINERS, fs/xfs, Documentation/filesystems/xfs"
	echo "$stamp" > "$BASE.tmp/.done"
	mv "$BASE.tmp" "$BASE"
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
# Alphabetical order: right after the XFS FILESYSTEM entry, which ends at a blank line.
xfs = s.index("\nXFS FILESYSTEM\n")
at = s.index("\n\n", xfs + 1) + 2
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

copy_top() { # FILE... (relative to the repository and the tree): add them as they are here
	local f
	for f in "$@"; do
		mkdir -p "$T/$(dirname "$f")"
		cp "$TOP/$f" "$T/$f"
		maint_add "$f"
	done
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

copy xfs.rs xfs/objects.rs xfs/attach.rs xfs/memory.rs xfs/trace.rs xfs/kunit.rs
commit "xfs: healthmon: add typed wrappers of the C objects and tracepoints" <<'EOF'
Wrap the C objects the monitor uses (mount, inode, allocation and
realtime groups, the fserror event, the superblock) in types that
state what may be done with them, and call the shim for everything
else.  This is the only module of the crate that declares C functions,
and it uses no other module.  The tracepoints of the C monitor are
kept, with the same names and fields, so that existing tracing works
unchanged.  With CONFIG_KUNIT, a test mount and the C headers' tables
let the suites check the Rust side against C.
EOF

copy uapi.rs
commit "xfs: healthmon: add the V0 record ABI in Rust" <<'EOF'
The health monitor's user interface is the V0 record of
libxfs/xfs_fs.h: 64 bytes per event, with the type, domain and masks
that xfs_healer decodes.  Describe the same layout and constants in
Rust, with compile-time checks of every size and offset, so that the
encoder can be plain safe Rust.  Its KUnit suite checks every value
and offset against tables the shim compiles from the C headers.
EOF

copy event.rs event/merge.rs event/v0.rs event/testing.rs
commit "xfs: healthmon: add events, their merge rules and V0 encoding" <<'EOF'
An event is what XFS reports: sickness, shutdown, media errors, file
I/O errors, unmount and lost events.  Adjacent events of the same kind
merge as in the C monitor, and each encodes into one V0 record.  All of
it is safe Rust with no kernel state, so that the KUnit suites at the
end of each file exercise it directly.
EOF

copy queue.rs queue/env.rs queue/ring.rs queue/reserve.rs queue/testing.rs
commit "xfs: healthmon: add a preallocated event queue" <<'EOF'
The C monitor allocates an event for every report and drops events,
including a shutdown, when its queue is full; the lost-events record it
then owes cannot be queued until the reader makes room.  Use a ring
allocated when the monitor is created instead, with reserved slots for
the shutdown, unmount and lost-events records, so that reporting never
allocates and never loses one of those, and every lost event is
counted in a record the reader sees.  The reserve's bound is tested by
KUnit under random reports, shutdowns and reads.
EOF

copy monitor.rs monitor/live.rs monitor/read.rs monitor/lifetime.rs
commit "xfs: healthmon: add the monitor and its lifetime" <<'EOF'
The monitor holds the queue behind a spinlock and the read buffer
behind a mutex, and is attached to the mount through an RCU pointer so
that reporting takes no reference.  Detaching at unmount and freeing
after a grace period follow the C monitor's rules.  KUnit reads through
a kernel iov_iter and checks the lifetime rules on a test mount.
EOF

copy file.rs exports.rs
commit "xfs: healthmon: add the monitor file and the entry points" <<'EOF'
Add the anonymous-inode file that XFS_IOC_HEALTH_MONITOR returns (read,
poll, fdinfo, the reconfigure and same-filesystem ioctls) and the
xfs_healthmon_report_*() functions that XFS calls, with the same names
and prototypes as the C monitor's.
EOF

copy healthmon.rs .kunitconfig
patch -s -p1 -F0 --no-backup-if-mismatch -d "$T" < "$TOP/scripts/intree/xfs-Kconfig.patch"
patch -s -p1 -F0 --no-backup-if-mismatch -d "$T" < "$TOP/scripts/intree/xfs-Makefile.patch"
commit "xfs: add CONFIG_XFS_HEALTHMON_RUST to build the Rust health monitor" <<'EOF'
Add the crate root that links the Rust health monitor into xfs.ko, and
let the configuration choose it instead of xfs_healthmon.c, as
AX88796B_RUST_PHY chooses between two drivers.  Without the option
nothing changes for C users.  The .kunitconfig lets

  ./tools/testing/kunit/kunit.py run --kunitconfig=fs/xfs/healthmon

run the crate's KUnit suites in a kernel with XFS built in.
EOF

copy_top Documentation/filesystems/xfs/xfs-healthmon-rust.rst
python3 - "$T/Documentation/filesystems/xfs/index.rst" <<'EOF'
import sys
path = sys.argv[1]
s = open(path).read()
s = s.replace("   xfs-online-fsck-design\n", "   xfs-online-fsck-design\n   xfs-healthmon-rust\n")
open(path, "w").write(s)
EOF
grep -q '^   xfs-healthmon-rust$' "$T/Documentation/filesystems/xfs/index.rst" || die "index.rst of Documentation/filesystems/xfs has changed: add the document by hand"
commit "Documentation: xfs: describe the Rust health monitor" <<'EOF'
Say what CONFIG_XFS_HEALTHMON_RUST chooses, what stays the same for
userspace, where the Rust monitor differs from the C one (a
preallocated queue, SHUTDOWN and lost-events records that are never
dropped, exact accounting, reports without a reference), how the crate
is laid out, and how to run its KUnit suites.
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

The unsafe code is in one C shim and one Rust module (fs/xfs/healthmon/xfs/);
the queue, merge rules and encoding are safe Rust, and each module's KUnit
suite sits at the end of its file:

  ./tools/testing/kunit/kunit.py run --kunitconfig=fs/xfs/healthmon

Measured against the C monitor of the same tree, in the same kernel
(QEMU TCG, 2 vCPUs, a kernel built without debug options, both modules
loaded in turn in one boot, 5 repetitions, medians of guest instructions
per call; see the project's Documentation/benchmarks.rst):

  report path, mount without a monitor     0.66 - 0.87 of C
  report path, monitor attached            0.73 - 1.01 of C
  read, per record (4 KiB / 64 KiB reads)  0.86 / 0.65 of C
  records delivered by a flood             676 against C's 585
  monitor create / close                   1.37 / 1.28 of C
  memory of a monitor with a full queue    0.95 of C

Tested with both monitors on real XFS filesystems with xfsprogs 7.2
(xfs_io -c healthmon, xfs_healer, xfs_scrub): a differential runner that
feeds both the same seeded reports and read sizes and compares the
bytes, errnos and fdinfo; 28 shell tests of the monitor, its errors and
its races; stress tests of concurrent readers, reporters, unmounts and
closes; xfs_healer under systemd (the fanotify starter, full repair,
mount namespaces); all under lockdep, KASAN and kmemleak, and the
module loaded into Debian's stock 7.2 kernel.

Patch 1 adds the C shim, patches 2-7 the crate from its C edge up,
patch 8 the Kconfig choice and the crate root, patch 9 the
documentation.  Every prefix of the series builds with the choice on.""")
open(path, "w").write(s)
EOF
log "wrote $(find "$TOP/patches" -maxdepth 1 -type f | wc -l) files to patches/"
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
	# shellcheck disable=SC2086 # $rs: one file name a line, none with spaces
	if [ -z "$rs" ] || (cd "$work/am" && rustfmt --check --edition 2021 --config-path "$KSRC/.rustfmt.toml" $rs) > "$work/fmt.log" 2>&1; then
		ok "rustfmt $n"
	else
		bad "rustfmt $n"
		head -n 10 "$work/fmt.log"
	fi
done

[ -n "$build" ] || {
	echo "$pass passed, $fail failed"
	[ $fail = 0 ]
	exit
}

# Every prefix of the series, built as xfs.ko against the test kernel with the choice on.
KBUILD=$(XFSHM_KERNEL="test" "$TOP/scripts/build-kernel.sh")
B=$CACHE/patches-bisect-$(basename "$KBUILD")
exec 8> "$B.lock"
flock 8
[ -d "$B/.git" ] || git clone -q "$BASE" "$B"
git -C "$B" fetch -q "$BASE" base
git -C "$B" reset -q --hard FETCH_HEAD
for p in "$TOP"/patches/0*.patch; do
	case $p in */0000-*) continue ;; esac
	n=$(basename "$p")
	if ! git -C "$B" am -q "$p" > "$work/am.log" 2>&1; then
		bad "git am $n for the build: $(head -n 3 "$work/am.log")"
		break
	fi
	log "building fs/xfs after $n"
	if make -C "$KBUILD" LLVM=$LLVM_SUFFIX M="$B/fs/xfs" CONFIG_XFS_HEALTHMON_RUST=y CLIPPY=1 \
		-j"$NPROC" modules > "$work/build.log" 2>&1 && ! grep -q 'warning:' "$work/build.log"; then
		ok "build with CONFIG_XFS_HEALTHMON_RUST=y, CLIPPY=1 after $n"
	else
		bad "build with CONFIG_XFS_HEALTHMON_RUST=y, CLIPPY=1 after $n"
		grep -E 'error|warning:' "$work/build.log" | head -n 20
	fi
done

# The patched tree for kunit.py: the pristine tree hard-linked once, then the files the series
# touches replaced (never written through a link) by the series' versions.
P=$CACHE/patches-tree-$LINUX_VERSION
exec 7> "$P.lock"
flock 7
if [ ! -f "$P.done" ]; then
	log "linking the tree for kunit.py into $P"
	rm -rf "$P"
	cp -al "$KSRC" "$P"
	touch "$P.done"
fi
if [ -f "$P.files" ]; then
	while read -r f; do
		rm -f "$P/$f"
		[ ! -e "$KSRC/$f" ] || cp "$KSRC/$f" "$P/$f"
	done < "$P.files"
fi
git -C "$B" diff --name-only origin/base HEAD > "$P.files"
while read -r f; do
	mkdir -p "$P/$(dirname "$f")"
	rm -f "$P/$f"
	cp "$B/$f" "$P/$f"
done < "$P.files"

mkdir -p "$work/bin"
cat > "$work/bin/qemu-system-x86_64" <<'EOF'
#!/bin/bash
# kunit.py tries -accel kvm first; KVM guests hang on this machine, so only TCG is passed on.
args=()
while [ $# -gt 0 ]; do
	if [ "$1" = -accel ] && [ "${2:-}" != tcg ]; then
		shift 2
		continue
	fi
	args+=("$1")
	shift
done
exec /usr/bin/qemu-system-x86_64 "${args[@]}"
EOF
chmod +x "$work/bin/qemu-system-x86_64"
log "kunit.py run --kunitconfig=fs/xfs/healthmon --arch=x86_64 in $P"
if (cd "$P" && PATH="$work/bin:$PATH" python3 tools/testing/kunit/kunit.py run \
	--kunitconfig=fs/xfs/healthmon --arch=x86_64 --build_dir="$CACHE/kunit-intree-$LINUX_VERSION" \
	--make_options LLVM=$LLVM_SUFFIX --jobs="$NPROC" --timeout=900) > "$work/kunit.log" 2>&1; then
	ok "kunit.py run --kunitconfig=fs/xfs/healthmon: $(grep -E 'Testing complete' "$work/kunit.log" | tail -n 1)"
else
	bad "kunit.py run --kunitconfig=fs/xfs/healthmon"
	tail -n 30 "$work/kunit.log"
fi
# Every suite of ours ran (kunit.py passes a run in which a suite is missing).
grep -v '^#' "$TOP/tests/kunit/suites" | grep '^xfs_' | while read -r suite; do
	grep -qE "\[PASSED\] $suite( |=|$)" "$work/kunit.log" || echo "$suite"
done > "$work/missing"
if [ -s "$work/missing" ]; then
	bad "suites that kunit.py did not run or pass: $(paste -sd' ' "$work/missing")"
else
	ok "every suite of tests/kunit/suites passed under kunit.py"
fi
cp "$work/kunit.log" "$TOP/patches/kunit.log"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
