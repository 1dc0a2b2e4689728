#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demo, inside the VM: make and mount an XFS, start `xfs_io healthmon`, damage a directory,
# read it, shut the filesystem down and unmount it, while the records print live.
set -u
M=$SCRATCH_MNT
say() { printf '\n== %s\n' "$*"; sleep 0.5; }

say "xfs.ko: the $XFSHM_VARIANT health monitor; making an XFS (rmapbt, parent pointers) on $SCRATCH_DEV"
mkfs.xfs -f -q -m rmapbt=1 -n parent=1 "$SCRATCH_DEV" || exit 1
mount "$SCRATCH_DEV" "$M" || exit 1
mkdir "$M/photos"
for i in $(seq 1 40); do echo "picture $i" > "$M/photos/holiday_picture_number_$i.jpg"; done
ino=$(stat -c %i "$M/photos")
umount "$M"

say "Damaging the first block of directory /photos (inode $ino) with xfs_db"
xfs_db -x -c "inode $ino" -c "dblock 0" -c "fuzz -d bhdr.hdr.magic random" "$SCRATCH_DEV" 2>&1 | tail -n 1
mount "$SCRATCH_DEV" "$M" || exit 1

say "Starting the monitor: xfs_io -c 'healthmon -c -v' $M (its records are marked [healthmon])"
xfs_io -c 'healthmon -c -v' "$M" 2>&1 | sed -u 's/^/   [healthmon] /' &
for _ in $(seq 50); do pgrep -x xfs_io > /dev/null && break; sleep 0.1; done
sleep 1
hm=$(pgrep -x xfs_io | head -n 1)

say "ls $M/photos"
ls "$M/photos" > /dev/null
sleep 1

say "Forcing a shutdown: xfs_io -x -c 'shutdown -f' $M"
xfs_io -x -c 'shutdown -f' "$M"
sleep 1

say "The monitor's fdinfo: the C lines, then this monitor's accounting"
for fd in /proc/"$hm"/fd/*; do
	if [ "$(readlink "$fd")" = "anon_inode:xfs_healthmon" ]; then
		sed 's/^/   /' "/proc/$hm/fdinfo/${fd##*/}"
	fi
done

say "Unmounting $M: the monitor reports it and the reader sees end of file"
umount "$M"
wait
say "Done."
