// SPDX-License-Identifier: GPL-2.0
/*
 * C shims for the Rust health monitor (src/healthmon.rs).
 *
 * Rust reaches XFS through these: they read fields of XFS structures that have no Rust bindings,
 * wrap static inlines and macros (RCU pointer access, XFS_M(), kvfree_rcu_mightsleep(),
 * anon_inode_getfd() with our flags), and hold the global lock that serialises attaching and
 * detaching monitors.  Each is a line or two; all logic lives in Rust.  The constants at the end
 * let the crate's KUnit suite check its copy of the ABI against these headers.
 */
#include "xfs_platform.h"
#include "xfs_fs.h"
#include "xfs_shared.h"
#include "xfs_format.h"
#include "xfs_log_format.h"
#include "xfs_trans_resv.h"
#include "xfs_mount.h"
#include "xfs_inode.h"
#include "xfs_ag.h"
#include "xfs_rtgroup.h"
#include "xfs_health.h"
#include "xfs_healthmon.h"
#include "healthmon_shim.h"

#include <linux/anon_inodes.h>
#include <linux/fserror.h>
#include <linux/file.h>

/* Serialises attaching a monitor to a mount and detaching it, as in the C monitor. */
static DEFINE_SPINLOCK(xfs_hm_attach_spinlock);

void xfs_hm_attach_lock(void)
{
	spin_lock(&xfs_hm_attach_spinlock);
}

void xfs_hm_attach_unlock(void)
{
	spin_unlock(&xfs_hm_attach_spinlock);
}

/*
 * Whether a mount has a monitor, without the RCU read lock: only the pointer's value is looked
 * at.  Most mounts have none, and then a report costs this one call.
 */
bool xfs_hm_monitored(struct xfs_mount *mp)
{
	return rcu_access_pointer(mp->m_healthmon) != NULL;
}

/*
 * Finds the monitor published on a mount and takes its report lock: the spinlock_t at offset 0
 * of the Rust monitor (src/monitor.rs asserts that layout at compile time).  Returns the monitor
 * with that lock held, for the caller to release with xfs_hm_report_unlock() or the Rust lock
 * guard, or NULL, with nothing held, if the mount has none.
 *
 * The monitor is freed an RCU grace period after it is retracted, so it must be found inside an
 * RCU read-side critical section; but holding a spinlock is one too (whatisRCU.rst, on
 * rcu_read_lock(): it disables preemption, and PREEMPT_RT's rt_spin_lock() takes
 * rcu_read_lock()), so the section that found the monitor may end once its lock is held, and
 * the caller only has to unlock.  Outside PREEMPT_RT that first section is a preempt-disabled
 * region, another kind of reader by the same rule, which costs no call where PREEMPT_RCU's
 * rcu_read_lock() and rcu_read_unlock() cost two.  PREEMPT_RT's spinlock_t sleeps, so it may not
 * be taken with preemption disabled, and there the section is rcu_read_lock()'s.  (On RT the
 * unlock is safe too: rt_spin_unlock() releases the lock before it ends the read-side section
 * that rt_spin_lock() began, see kernel/locking/spinlock_rt.c.)
 *
 * Not inlined, so that the callers' path for a mount without a monitor stays a leaf function
 * that saves no registers.
 */
static noinline void *xfs_hm_lock_published(struct xfs_mount *mp)
{
	struct xfs_healthmon *hm;

	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		rcu_read_lock();
		hm = rcu_dereference(mp->m_healthmon);
		if (hm)
			spin_lock((spinlock_t *)hm);
		rcu_read_unlock();
	} else {
		preempt_disable();
		hm = rcu_dereference_sched(mp->m_healthmon);
		if (hm)
			spin_lock((spinlock_t *)hm);
		preempt_enable();
	}
	return hm;
}

/*
 * The monitor of a mount with its report lock held, or NULL.  The first look at the pointer
 * takes no lock: most mounts have no monitor, and then a report costs this one call.
 */
void *xfs_hm_report_lock(struct xfs_mount *mp)
{
	if (!xfs_hm_monitored(mp))
		return NULL;
	return xfs_hm_lock_published(mp);
}

/* xfs_hm_report_lock() for an inode's mount, with the inode's number and generation. */
void *xfs_hm_inode_report_lock(struct xfs_inode *ip, u64 *ino, u32 *gen)
{
	void *hm = xfs_hm_report_lock(ip->i_mount);

	if (hm) {
		*ino = I_INO(ip);
		*gen = VFS_I(ip)->i_generation;
	}
	return hm;
}

/*
 * xfs_hm_report_lock() for a group's mount, with the group's number and its kind: 0 for an AG,
 * 1 for a realtime group, -1 for anything else.
 */
void *xfs_hm_group_report_lock(struct xfs_group *xg, u32 *gno, int *kind)
{
	void *hm = xfs_hm_report_lock(xg->xg_mount);

	if (hm) {
		*gno = xg->xg_gno;
		*kind = xg->xg_type == XG_TYPE_AG ? 0 : xg->xg_type == XG_TYPE_RTG ? 1 : -1;
	}
	return hm;
}

/* Releases the report lock of a non-NULL xfs_hm_*report_lock(). */
void xfs_hm_report_unlock(void *hm)
{
	spin_unlock((spinlock_t *)hm);
}

/* The monitor of a mount; the caller holds the attach lock, under which it is published. */
void *xfs_hm_mount_monitor_locked(struct xfs_mount *mp)
{
	return rcu_dereference_protected(mp->m_healthmon,
					 lockdep_is_held(&xfs_hm_attach_spinlock));
}

/* Publish (or with NULL, retract) a mount's monitor; the caller holds the attach lock. */
void xfs_hm_mount_publish(struct xfs_mount *mp, void *hm)
{
	rcu_assign_pointer(mp->m_healthmon, (struct xfs_healthmon *)hm);
}

struct super_block *xfs_hm_mount_sb(struct xfs_mount *mp)
{
	return mp->m_super;
}

struct xfs_mount *xfs_hm_sb_mount(struct super_block *sb)
{
	return XFS_M(sb);
}

u32 xfs_hm_mount_dev(struct xfs_mount *mp)
{
	return mp->m_super->s_dev;
}

/* Free a kmalloc'ed monitor once every RCU reader that may have found it is gone. */
void xfs_hm_free_rcu(void *p)
{
	kvfree_rcu_mightsleep(p);
}

/* An fserror event's range and (negative) errno; returns its type. */
u32 xfs_hm_fserror_fields(const struct fserror_event *p, s64 *pos, u64 *len, int *error)
{
	*pos = p->pos;
	*len = p->len;
	*error = p->error;
	return p->type;
}

/* The mount of the XFS file that XFS_IOC_HEALTH_MONITOR was called on. */
struct xfs_mount *xfs_hm_file_mount(struct file *file)
{
	return XFS_I(file_inode(file))->i_mount;
}

/* Whether the caller may monitor the filesystem of @file, checked in the C monitor's order. */
bool xfs_hm_may_monitor(struct file *file)
{
	struct xfs_inode *ip = XFS_I(file_inode(file));

	if (!capable(CAP_SYS_ADMIN))
		return false;
	if (I_INO(ip) != ip->i_mount->m_sb.sb_rootino)
		return false;
	return current_user_ns() == &init_user_ns;
}

/* Install a read-only, close-on-exec anonymous-inode fd for a monitor. */
int xfs_hm_anon_inode_getfd(const struct file_operations *fops, void *priv)
{
	return anon_inode_getfd("xfs_healthmon", fops, priv, O_CLOEXEC | O_RDONLY);
}

/* The superblock of the file behind @fd, for comparison only, or -EBADF. */
int xfs_hm_fd_super(int fd, uintptr_t *sb)
{
	CLASS(fd, f)(fd);

	if (fd_empty(f))
		return -EBADF;
	*sb = (uintptr_t)file_inode(fd_file(f))->i_sb;
	return 0;
}

#if IS_ENABLED(CONFIG_KUNIT)
/*
 * For the crate's KUnit suite only: a zeroed mount and superblock that point to each other,
 * enough for the monitor's lookup, attach and detach, which read nothing else of them.
 */
struct xfs_mount *xfs_hm_test_mount_new(void)
{
	struct xfs_mount *mp = kzalloc(sizeof(*mp), GFP_KERNEL);
	struct super_block *sb = kzalloc(sizeof(*sb), GFP_KERNEL);

	if (!mp || !sb) {
		kfree(mp);
		kfree(sb);
		return NULL;
	}
	mp->m_super = sb;
	sb->s_fs_info = mp;
	return mp;
}

/* Makes the test mount's superblock lose (@lose) or find again its mount. */
void xfs_hm_test_mount_orphan(struct xfs_mount *mp, bool lose)
{
	mp->m_super->s_fs_info = lose ? NULL : mp;
}

void xfs_hm_test_mount_free(struct xfs_mount *mp)
{
	kfree(mp->m_super);
	kfree(mp);
}
#endif

/* The ABI as the C headers define it, for the crate's KUnit checks. */
const u32 xfs_hm_c_ioc_health_monitor = XFS_IOC_HEALTH_MONITOR;
const u32 xfs_hm_c_ioc_fd_on_monitored_fs = XFS_IOC_HEALTH_FD_ON_MONITORED_FS;
const u32 xfs_hm_c_event_size = sizeof(struct xfs_health_monitor_event);
const u32 xfs_hm_c_monitor_size = sizeof(struct xfs_health_monitor);
const u32 xfs_hm_c_sick_ino_secondary = XFS_SICK_INO_SECONDARY;
const u32 xfs_hm_c_sick_fs_secondary = XFS_SICK_FS_SECONDARY;
const u32 xfs_hm_c_sick_ag_secondary = XFS_SICK_AG_SECONDARY;
const u32 xfs_hm_c_sick_rg_secondary = XFS_SICK_RG_SECONDARY;
const u32 xfs_hm_c_fserr_metadata = FSERR_METADATA;
const u32 xfs_hm_c_dev_rt = XFS_DEV_RT;
const u32 xfs_hm_c_shutdown_device_removed = SHUTDOWN_DEVICE_REMOVED;

/* Offsets of the V0 record's fields, in the order of src/uapi.rs. */
const u32 xfs_hm_c_v0_offsets[] = {
	offsetof(struct xfs_health_monitor_event, domain),
	offsetof(struct xfs_health_monitor_event, type),
	offsetof(struct xfs_health_monitor_event, time_ns),
	offsetof(struct xfs_health_monitor_event, e.lost.count),
	offsetof(struct xfs_health_monitor_event, e.fs.mask),
	offsetof(struct xfs_health_monitor_event, e.group.mask),
	offsetof(struct xfs_health_monitor_event, e.group.gno),
	offsetof(struct xfs_health_monitor_event, e.inode.mask),
	offsetof(struct xfs_health_monitor_event, e.inode.gen),
	offsetof(struct xfs_health_monitor_event, e.inode.ino),
	offsetof(struct xfs_health_monitor_event, e.shutdown.reasons),
	offsetof(struct xfs_health_monitor_event, e.media.daddr),
	offsetof(struct xfs_health_monitor_event, e.media.bbcount),
	offsetof(struct xfs_health_monitor_event, e.filerange.pos),
	offsetof(struct xfs_health_monitor_event, e.filerange.len),
	offsetof(struct xfs_health_monitor_event, e.filerange.ino),
	offsetof(struct xfs_health_monitor_event, e.filerange.gen),
	offsetof(struct xfs_health_monitor_event, e.filerange.error),
	offsetof(struct xfs_health_monitor_event, pad),
};
