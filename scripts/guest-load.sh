#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Inside the VM (as xfshm-load): load one xfs.ko variant, unloading the one loaded before.
#
#   xfshm-load rust|c     (/xfshm/xfs.ko, or /xfshm/xfs-VARIANT.ko in a run with both)
#   xfshm-load none       unload xfs.ko
#
# With a report driver in the run (/xfshm/xfs_hmdrv.ko), its loader module is loaded after
# xfs.ko and unloaded before it.  Nothing of XFS may be mounted.
variant=$1
ko=/xfshm/xfs.ko
[ -f "/xfshm/xfs-$variant.ko" ] && ko=/xfshm/xfs-$variant.ko
if grep -qw xfs_hmdrv /proc/modules; then
	rmmod xfs_hmdrv || { echo "xfshm-load: cannot unload xfs_hmdrv"; exit 1; }
fi
if grep -qw xfs /proc/modules; then
	rmmod xfs || { echo "xfshm-load: cannot unload xfs"; exit 1; }
fi
[ "$variant" = none ] && exit 0
for dep in $(modinfo -F depends "$ko" | tr ',' ' '); do
	modprobe "$dep" || { echo "xfshm-load: cannot load $dep"; exit 1; }
done
insmod "$ko" || { echo "xfshm-load: cannot load the $variant xfs.ko"; exit 1; }
if [ -f /xfshm/xfs_hmdrv.ko ]; then
	insmod /xfshm/xfs_hmdrv.ko || { echo "xfshm-load: cannot load the report driver"; exit 1; }
fi
echo "xfshm: loaded the $variant xfs.ko" > /dev/kmsg
