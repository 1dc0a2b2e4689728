// SPDX-License-Identifier: GPL-2.0
/*
 * C shims for the Rust health monitor (healthmon.rs).
 *
 * Rust reaches XFS through these: they read fields of XFS structures that have no Rust bindings,
 * wrap static inlines and macros (RCU pointer access, XFS_M(), call_rcu() with its callback,
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
#include "xfs_trace.h"
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
 * The mount's m_healthmon has the C monitor's type; with CONFIG_XFS_HEALTHMON_RUST it points to
 * a Rust monitor, which is published there by xfs_hm_mount_publish() and read back here.
 */
static inline struct xfs_hm_monitor *xfs_hm_monitor_of(struct xfs_healthmon *hm)
{
	return (struct xfs_hm_monitor *)hm;
}

/* The other way: what xfs_hm_mount_publish() stores in m_healthmon. */
static inline struct xfs_healthmon *xfs_hm_mount_ptr(struct xfs_hm_monitor *hm)
{
	return (struct xfs_healthmon *)hm;
}

/* The report lock of a Rust monitor: its first member (monitor.rs asserts the offset). */
static inline spinlock_t *xfs_hm_monitor_lock(struct xfs_hm_monitor *hm)
{
	return (spinlock_t *)hm;
}

/*
 * Whether a mount has a monitor, without the RCU read lock: only the pointer's value is looked
 * at.  Most mounts have none, and then a report costs this one call.
 */
bool xfs_hm_monitored(struct xfs_mount *mp)
{
	return rcu_access_pointer(mp->m_healthmon);
}

/*
 * Finds the monitor published on a mount and takes its report lock: the spinlock_t at offset 0
 * of the Rust monitor (monitor.rs asserts that layout at compile time).  Returns the monitor
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
 * be taken with preemption disabled, and there the section is rcu_read_lock()'s.  On RT the
 * lock's own section ends inside rt_spin_unlock(), and not every tree ends it after the lock is
 * released, so the Rust caller holds a section of its own from before this call until after the
 * unlock (ReportRcu in xfs/attach.rs) and does not depend on that order.
 *
 * Not inlined, so that the callers' path for a mount without a monitor stays a leaf function
 * that saves no registers.
 */
static noinline struct xfs_hm_monitor *xfs_hm_lock_published(struct xfs_mount *mp)
{
	struct xfs_hm_monitor *hm;

	if (IS_ENABLED(CONFIG_PREEMPT_RT)) {
		rcu_read_lock();
		hm = xfs_hm_monitor_of(rcu_dereference(mp->m_healthmon));
		if (hm)
			spin_lock(xfs_hm_monitor_lock(hm));
		rcu_read_unlock();
	} else {
		preempt_disable();
		hm = xfs_hm_monitor_of(rcu_dereference_sched(mp->m_healthmon));
		if (hm)
			spin_lock(xfs_hm_monitor_lock(hm));
		preempt_enable();
	}
	return hm;
}

/*
 * The monitor of a mount with its report lock held, or NULL.  The first look at the pointer
 * takes no lock: most mounts have no monitor, and then a report costs this one call.
 */
struct xfs_hm_monitor *xfs_hm_report_lock(struct xfs_mount *mp)
{
	if (!xfs_hm_monitored(mp))
		return NULL;
	return xfs_hm_lock_published(mp);
}

/* xfs_hm_report_lock() for an inode's mount, with the inode's number and generation. */
struct xfs_hm_monitor *xfs_hm_inode_report_lock(struct xfs_inode *ip, u64 *ino, u32 *gen)
{
	struct xfs_hm_monitor *hm = xfs_hm_report_lock(ip->i_mount);

	if (hm) {
		*ino = I_INO(ip);
		*gen = VFS_I(ip)->i_generation;
	}
	return hm;
}

/*
 * xfs_hm_report_lock() for a file I/O error that fserror passed for an inode, with the inode's
 * number and generation and the error's fields: one call where there would be two.
 */
/* The layout of struct FileIoFields in xfs.rs, which asserts the same. */
static_assert(sizeof(struct xfs_hm_fileio) == 40);
static_assert(offsetof(struct xfs_hm_fileio, pos) == 8);
static_assert(offsetof(struct xfs_hm_fileio, len) == 16);
static_assert(offsetof(struct xfs_hm_fileio, gen) == 24);
static_assert(offsetof(struct xfs_hm_fileio, type) == 28);
static_assert(offsetof(struct xfs_hm_fileio, error) == 32);

struct xfs_hm_monitor *xfs_hm_fileio_report_lock(struct xfs_inode *ip,
						 const struct fserror_event *p,
						 struct xfs_hm_fileio *f)
{
	struct xfs_hm_monitor *hm = xfs_hm_report_lock(ip->i_mount);

	if (hm) {
		f->ino = I_INO(ip);
		f->gen = VFS_I(ip)->i_generation;
		f->pos = p->pos;
		f->len = p->len;
		f->type = p->type;
		f->error = p->error;
	}
	return hm;
}

/*
 * xfs_hm_report_lock() for a group's mount, with the group's number and its kind: 0 for an AG,
 * 1 for a realtime group, -1 for anything else.
 */
struct xfs_hm_monitor *xfs_hm_group_report_lock(struct xfs_group *xg, u32 *gno, int *kind)
{
	struct xfs_hm_monitor *hm = xfs_hm_report_lock(xg->xg_mount);

	if (hm) {
		*gno = xg->xg_gno;
		*kind = xg->xg_type == XG_TYPE_AG ? 0 : xg->xg_type == XG_TYPE_RTG ? 1 : -1;
	}
	return hm;
}

/* Releases the report lock of a non-NULL xfs_hm_*report_lock(). */
void xfs_hm_report_unlock(struct xfs_hm_monitor *hm)
{
	spin_unlock(xfs_hm_monitor_lock(hm));
}

/* The monitor of a mount; the caller holds the attach lock, under which it is published. */
struct xfs_hm_monitor *xfs_hm_mount_monitor_locked(struct xfs_mount *mp)
{
	struct xfs_healthmon *hm;

	hm = rcu_dereference_protected(mp->m_healthmon,
				       lockdep_is_held(&xfs_hm_attach_spinlock));
	return xfs_hm_monitor_of(hm);
}

/* Publish (or with NULL, retract) a mount's monitor; the caller holds the attach lock. */
void xfs_hm_mount_publish(struct xfs_mount *mp, struct xfs_hm_monitor *hm)
{
	rcu_assign_pointer(mp->m_healthmon, xfs_hm_mount_ptr(hm));
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

/*
 * A monitor's memory, and its ring's.  Straight from kmalloc() and kvmalloc(), not through the
 * Rust allocator's krealloc() of NULL (and the kfree(NULL) after it), which costs the creation
 * of every monitor about 70 instructions per allocation.
 */
void *xfs_hm_kmalloc(size_t size)
{
	return kmalloc(size, GFP_KERNEL);
}

void *xfs_hm_kvmalloc(size_t size)
{
	return kvmalloc(size, GFP_KERNEL);
}

static_assert(sizeof(struct xfs_hm_free) == 4 * sizeof(void *));

static void xfs_hm_free_rcu_cb(struct rcu_head *rcu)
{
	struct xfs_hm_free	*f = container_of(rcu, struct xfs_hm_free, rcu);

	kvfree(f->ring);
	/* Last: @f is inside the monitor. */
	kfree(f->monitor);
}

/*
 * Free a monitor that nothing but RCU readers can reach any more, and the ring that nothing
 * uses, once those readers are gone: one RCU callback for both, which costs close() less than a
 * kvfree_rcu() of each (the ring, too large for a slab cache, takes kvfree_rcu()'s slow path).
 * exit_xfs_fs() waits for the callbacks (rcu_barrier() in xfs_destroy_caches()) before the
 * module's text goes.  Called in process context; the callback runs in softirq or an RCU
 * kthread, where kfree() and kvfree() (vfree() defers itself there) may run.
 */
void xfs_hm_free_later(struct xfs_hm_free *f, struct xfs_hm_monitor *hm, void *ring)
{
	f->monitor = hm;
	f->ring = ring;
	call_rcu(&f->rcu, xfs_hm_free_rcu_cb);
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
int xfs_hm_anon_inode_getfd(const struct file_operations *fops, struct xfs_hm_monitor *hm)
{
	return anon_inode_getfd("xfs_healthmon", fops, hm, O_CLOEXEC | O_RDONLY);
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

/*
 * The C monitor's tracepoints (xfs_trace.h), fired for the Rust monitor with the same fields.
 * They read a struct xfs_healthmon and a struct xfs_healthmon_event, which the Rust monitor does
 * not have, so each call fills stand-ins on the stack with what the tracepoint prints.  Rust
 * calls these only when the tracepoint is enabled (it tests the static key itself, as
 * DEFINE_RUST_DO_TRACE callers do), so a disabled tracepoint costs a no-op jump.
 */
static void xfs_hm_trace_fill(struct xfs_healthmon *hm, const struct xfs_hm_trace_mon *m)
{
	hm->dev = m->dev;
	hm->events = m->events;
	hm->lost_prev_event = m->lost_prev;
	hm->bufsize = m->bufsize;
	hm->bufhead = m->bufhead;
	hm->buftail = m->buftail;
}

/* The union member of each domain, as the C monitor fills it. */
static void xfs_hm_trace_event_fill(struct xfs_healthmon_event *e,
				    const struct xfs_hm_trace_event *t)
{
	e->type = t->type;
	e->domain = t->domain;
	switch (e->domain) {
	case XFS_HEALTHMON_MOUNT:
		if (e->type == XFS_HEALTHMON_LOST)
			e->lostcount = t->count;
		else if (e->type == XFS_HEALTHMON_SHUTDOWN)
			e->flags = t->mask;
		break;
	case XFS_HEALTHMON_FS:
		e->fsmask = t->mask;
		break;
	case XFS_HEALTHMON_AG:
	case XFS_HEALTHMON_RTGROUP:
		e->grpmask = t->mask;
		e->group = t->group;
		break;
	case XFS_HEALTHMON_INODE:
		e->imask = t->mask;
		e->ino = t->ino;
		e->gen = t->gen;
		break;
	case XFS_HEALTHMON_DATADEV:
	case XFS_HEALTHMON_RTDEV:
	case XFS_HEALTHMON_LOGDEV:
		e->daddr = t->pos;
		e->bbcount = t->count;
		break;
	case XFS_HEALTHMON_FILERANGE:
		e->fino = t->ino;
		e->fgen = t->gen;
		e->fpos = t->pos;
		e->flen = t->count;
		e->error = t->error;
		break;
	}
}

/* The tracepoints of one monitor: xfs_healthmon_{read_start,...}, and lost_event. */
void xfs_hm_trace_monitor(enum xfs_hm_trace which, const struct xfs_hm_trace_mon *m)
{
	struct xfs_healthmon hm = {};

	xfs_hm_trace_fill(&hm, m);
	switch (which) {
	case XFS_HM_TRACE_READ_START:
		trace_xfs_healthmon_read_start(&hm);
		break;
	case XFS_HM_TRACE_READ_FINISH:
		trace_xfs_healthmon_read_finish(&hm);
		break;
	case XFS_HM_TRACE_RELEASE:
		trace_xfs_healthmon_release(&hm);
		break;
	case XFS_HM_TRACE_DETACH:
		trace_xfs_healthmon_detach(&hm);
		break;
	case XFS_HM_TRACE_REPORT_UNMOUNT:
		trace_xfs_healthmon_report_unmount(&hm);
		break;
	case XFS_HM_TRACE_LOST_EVENT:
		trace_xfs_healthmon_lost_event(&hm);
		break;
	default:
		break;
	}
}

/* The tracepoints of one event: xfs_healthmon_{insert,push,pop,format,drop,merge}. */
void xfs_hm_trace_event(enum xfs_hm_trace which, const struct xfs_hm_trace_mon *m,
			const struct xfs_hm_trace_event *t)
{
	struct xfs_healthmon hm = {};
	struct xfs_healthmon_event e = {};

	xfs_hm_trace_fill(&hm, m);
	xfs_hm_trace_event_fill(&e, t);
	switch (which) {
	case XFS_HM_TRACE_INSERT:
		trace_xfs_healthmon_insert(&hm, &e);
		break;
	case XFS_HM_TRACE_PUSH:
		trace_xfs_healthmon_push(&hm, &e);
		break;
	case XFS_HM_TRACE_POP:
		trace_xfs_healthmon_pop(&hm, &e);
		break;
	case XFS_HM_TRACE_FORMAT:
		trace_xfs_healthmon_format(&hm, &e);
		break;
	case XFS_HM_TRACE_DROP:
		trace_xfs_healthmon_drop(&hm, &e);
		break;
	case XFS_HM_TRACE_MERGE:
		trace_xfs_healthmon_merge(&hm, &e);
		break;
	default:
		break;
	}
}

/*
 * xfs_healthmon_report_{fs,group,inode}: the masks before and after, and the event with its
 * filtered mask.  For an inode the C monitor passes the filtered mask as the new one; so do we.
 */
void xfs_hm_trace_report_metadata(const struct xfs_hm_trace_mon *m, u32 old_mask, u32 new_mask,
				  const struct xfs_hm_trace_event *t)
{
	struct xfs_healthmon hm = {};
	struct xfs_healthmon_event e = {};

	xfs_hm_trace_fill(&hm, m);
	xfs_hm_trace_event_fill(&e, t);
	switch (e.domain) {
	case XFS_HEALTHMON_FS:
		trace_xfs_healthmon_report_fs(&hm, old_mask, new_mask, &e);
		break;
	case XFS_HEALTHMON_AG:
	case XFS_HEALTHMON_RTGROUP:
		trace_xfs_healthmon_report_group(&hm, old_mask, new_mask, &e);
		break;
	case XFS_HEALTHMON_INODE:
		trace_xfs_healthmon_report_inode(&hm, old_mask, e.imask, &e);
		break;
	default:
		break;
	}
}

/* xfs_healthmon_report_shutdown. */
void xfs_hm_trace_report_shutdown(const struct xfs_hm_trace_mon *m, u32 flags)
{
	struct xfs_healthmon hm = {};

	xfs_hm_trace_fill(&hm, m);
	trace_xfs_healthmon_report_shutdown(&hm, flags);
}

/* xfs_healthmon_report_media, with the device as XFS passed it. */
void xfs_hm_trace_report_media(const struct xfs_hm_trace_mon *m, u32 fdev,
			       const struct xfs_hm_trace_event *t)
{
	struct xfs_healthmon hm = {};
	struct xfs_healthmon_event e = {};

	xfs_hm_trace_fill(&hm, m);
	xfs_hm_trace_event_fill(&e, t);
	trace_xfs_healthmon_report_media(&hm, fdev, &e);
}

/* xfs_healthmon_report_file_ioerror, with fserror's own event. */
void xfs_hm_trace_report_file_ioerror(const struct xfs_hm_trace_mon *m,
				      const struct fserror_event *p)
{
	struct xfs_healthmon hm = {};

	xfs_hm_trace_fill(&hm, m);
	trace_xfs_healthmon_report_file_ioerror(&hm, p);
}

/* xfs_healthmon_copybuf: the output buffer's cursors and what the reader has room for. */
void xfs_hm_trace_copybuf(const struct xfs_hm_trace_mon *m, size_t iter_count)
{
	struct xfs_healthmon hm = {};
	struct iov_iter iter = { .count = iter_count };

	xfs_hm_trace_fill(&hm, m);
	trace_xfs_healthmon_copybuf(&hm, &iter);
}

/* xfs_healthmon_create. */
void xfs_hm_trace_create(u32 dev, u64 flags, u8 format)
{
	trace_xfs_healthmon_create(dev, flags, format);
}

#if IS_BUILTIN(CONFIG_KUNIT)
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

#if IS_BUILTIN(CONFIG_KUNIT)
/*
 * The ABI as the C headers define it, for the crate's KUnit checks of its one Rust definition of
 * each value (xfs/kunit.rs, c_abi(); the suites of uapi.rs and event.rs).  The tables list each C
 * enum in its declaration order, which is the order of the Rust enum's variants.
 */
const u32 xfs_hm_c_ioc_health_monitor = XFS_IOC_HEALTH_MONITOR;
const u32 xfs_hm_c_ioc_fd_on_monitored_fs = XFS_IOC_HEALTH_FD_ON_MONITORED_FS;
const u32 xfs_hm_c_event_size = sizeof(struct xfs_health_monitor_event);
const u32 xfs_hm_c_monitor_size = sizeof(struct xfs_health_monitor);
const u32 xfs_hm_c_sick_ino_secondary = XFS_SICK_INO_SECONDARY;
const u32 xfs_hm_c_sick_fs_secondary = XFS_SICK_FS_SECONDARY;
const u32 xfs_hm_c_sick_ag_secondary = XFS_SICK_AG_SECONDARY;
const u32 xfs_hm_c_sick_rg_secondary = XFS_SICK_RG_SECONDARY;
const u32 xfs_hm_c_fserr_metadata = FSERR_METADATA;

/* enum xfs_healthmon_type, each with the V0 type it is reported as. */
static const u32 c_types[][2] = {
	{ XFS_HEALTHMON_RUNNING,	XFS_HEALTH_MONITOR_TYPE_RUNNING },
	{ XFS_HEALTHMON_LOST,		XFS_HEALTH_MONITOR_TYPE_LOST },
	{ XFS_HEALTHMON_UNMOUNT,	XFS_HEALTH_MONITOR_TYPE_UNMOUNT },
	{ XFS_HEALTHMON_SHUTDOWN,	XFS_HEALTH_MONITOR_TYPE_SHUTDOWN },
	{ XFS_HEALTHMON_SICK,		XFS_HEALTH_MONITOR_TYPE_SICK },
	{ XFS_HEALTHMON_CORRUPT,	XFS_HEALTH_MONITOR_TYPE_CORRUPT },
	{ XFS_HEALTHMON_HEALTHY,	XFS_HEALTH_MONITOR_TYPE_HEALTHY },
	{ XFS_HEALTHMON_MEDIA_ERROR,	XFS_HEALTH_MONITOR_TYPE_MEDIA_ERROR },
	{ XFS_HEALTHMON_BUFREAD,	XFS_HEALTH_MONITOR_TYPE_BUFREAD },
	{ XFS_HEALTHMON_BUFWRITE,	XFS_HEALTH_MONITOR_TYPE_BUFWRITE },
	{ XFS_HEALTHMON_DIOREAD,	XFS_HEALTH_MONITOR_TYPE_DIOREAD },
	{ XFS_HEALTHMON_DIOWRITE,	XFS_HEALTH_MONITOR_TYPE_DIOWRITE },
	{ XFS_HEALTHMON_DATALOST,	XFS_HEALTH_MONITOR_TYPE_DATALOST },
};

static_assert(ARRAY_SIZE(c_types) == XFS_HEALTHMON_DATALOST + 1);

/* enum xfs_healthmon_domain, each with its V0 domain. */
static const u32 c_domains[][2] = {
	{ XFS_HEALTHMON_MOUNT,		XFS_HEALTH_MONITOR_DOMAIN_MOUNT },
	{ XFS_HEALTHMON_FS,		XFS_HEALTH_MONITOR_DOMAIN_FS },
	{ XFS_HEALTHMON_AG,		XFS_HEALTH_MONITOR_DOMAIN_AG },
	{ XFS_HEALTHMON_INODE,		XFS_HEALTH_MONITOR_DOMAIN_INODE },
	{ XFS_HEALTHMON_RTGROUP,	XFS_HEALTH_MONITOR_DOMAIN_RTGROUP },
	{ XFS_HEALTHMON_DATADEV,	XFS_HEALTH_MONITOR_DOMAIN_DATADEV },
	{ XFS_HEALTHMON_RTDEV,		XFS_HEALTH_MONITOR_DOMAIN_RTDEV },
	{ XFS_HEALTHMON_LOGDEV,		XFS_HEALTH_MONITOR_DOMAIN_LOGDEV },
	{ XFS_HEALTHMON_FILERANGE,	XFS_HEALTH_MONITOR_DOMAIN_FILERANGE },
};

static_assert(ARRAY_SIZE(c_domains) == XFS_HEALTHMON_FILERANGE + 1);

/* enum xfs_device. */
static const u32 c_devices[] = { XFS_DEV_DATA, XFS_DEV_LOG, XFS_DEV_RT };

/* enum fserror_type, the file I/O errors (all but FSERR_METADATA, the last). */
static const u32 c_fserror_types[] = {
	FSERR_BUFFERED_READ, FSERR_BUFFERED_WRITE, FSERR_DIRECTIO_READ, FSERR_DIRECTIO_WRITE,
	FSERR_DATA_LOST,
};

static_assert(ARRAY_SIZE(c_fserror_types) == FSERR_METADATA);

/* SHUTDOWN_* flags, each with the V0 shutdown reason it is reported as. */
static const u32 c_shutdown_reasons[][2] = {
	{ SHUTDOWN_META_IO_ERROR,	XFS_HEALTH_SHUTDOWN_META_IO_ERROR },
	{ SHUTDOWN_LOG_IO_ERROR,	XFS_HEALTH_SHUTDOWN_LOG_IO_ERROR },
	{ SHUTDOWN_FORCE_UMOUNT,	XFS_HEALTH_SHUTDOWN_FORCE_UMOUNT },
	{ SHUTDOWN_CORRUPT_INCORE,	XFS_HEALTH_SHUTDOWN_CORRUPT_INCORE },
	{ SHUTDOWN_CORRUPT_ONDISK,	XFS_HEALTH_SHUTDOWN_CORRUPT_ONDISK },
	{ SHUTDOWN_DEVICE_REMOVED,	XFS_HEALTH_SHUTDOWN_DEVICE_REMOVED },
};

#define V0_OFF(f)	offsetof(struct xfs_health_monitor_event, f)
#define V0_SIZE(f)	sizeof_field(struct xfs_health_monitor_event, f)

/* The V0 record: the offsets of its fields, in the order of uapi.rs's v0_layout test. */
static const u32 c_v0_offsets[] = {
	V0_OFF(domain), V0_OFF(type), V0_OFF(time_ns),
	V0_OFF(e.lost.count),
	V0_OFF(e.fs.mask),
	V0_OFF(e.group.mask), V0_OFF(e.group.gno),
	V0_OFF(e.inode.mask), V0_OFF(e.inode.gen), V0_OFF(e.inode.ino),
	V0_OFF(e.shutdown.reasons),
	V0_OFF(e.media.daddr), V0_OFF(e.media.bbcount),
	V0_OFF(e.filerange.pos), V0_OFF(e.filerange.len), V0_OFF(e.filerange.ino),
	V0_OFF(e.filerange.gen), V0_OFF(e.filerange.error),
	V0_OFF(pad),
};

/* The sizes of the union and of its members, in the same order. */
static const u32 c_v0_payload_sizes[] = {
	V0_SIZE(e),
	V0_SIZE(e.lost), V0_SIZE(e.fs), V0_SIZE(e.group), V0_SIZE(e.inode), V0_SIZE(e.shutdown),
	V0_SIZE(e.media), V0_SIZE(e.filerange),
};

#define C_TABLE(t)	{ .v = (const u32 *)(t), .len = sizeof(t) / sizeof(u32) }

const struct xfs_hm_c_table xfs_hm_c_types = C_TABLE(c_types);
const struct xfs_hm_c_table xfs_hm_c_domains = C_TABLE(c_domains);
const struct xfs_hm_c_table xfs_hm_c_devices = C_TABLE(c_devices);
const struct xfs_hm_c_table xfs_hm_c_fserror_types = C_TABLE(c_fserror_types);
const struct xfs_hm_c_table xfs_hm_c_shutdown_reasons = C_TABLE(c_shutdown_reasons);
const struct xfs_hm_c_table xfs_hm_c_v0_offsets = C_TABLE(c_v0_offsets);
const struct xfs_hm_c_table xfs_hm_c_v0_payload_sizes = C_TABLE(c_v0_payload_sizes);
#endif
