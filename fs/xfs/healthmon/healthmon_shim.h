/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prototypes of the C shims that the Rust health monitor calls (see healthmon_shim.c); the Rust
 * side declares the same functions in xfs.rs.
 */
#ifndef __XFS_HEALTHMON_SHIM_H__
#define __XFS_HEALTHMON_SHIM_H__

struct xfs_mount;
struct xfs_inode;
struct xfs_group;
struct super_block;
struct fserror_event;
struct file;
struct file_operations;

/*
 * The Rust monitor (struct Monitor of monitor.rs), opaque to C.  Its first member is the
 * spinlock_t that reports take: xfs_hm_monitor_lock() in healthmon_shim.c.
 */
struct xfs_hm_monitor;

void xfs_hm_attach_lock(void);
void xfs_hm_attach_unlock(void);
bool xfs_hm_monitored(struct xfs_mount *mp);
struct xfs_hm_monitor *xfs_hm_report_lock(struct xfs_mount *mp);
/* What a file I/O error report needs of the inode and of fserror's event. */
struct xfs_hm_fileio {
	u64 ino;
	s64 pos;
	u64 len;
	u32 gen;
	u32 type;	/* enum fserror_type */
	int error;	/* negative */
};

struct xfs_hm_monitor *xfs_hm_fileio_report_lock(struct xfs_inode *ip,
						 const struct fserror_event *p,
						 struct xfs_hm_fileio *f);
struct xfs_hm_monitor *xfs_hm_inode_report_lock(struct xfs_inode *ip, u64 *ino, u32 *gen);
struct xfs_hm_monitor *xfs_hm_group_report_lock(struct xfs_group *xg, u32 *gno, int *kind);
void xfs_hm_report_unlock(struct xfs_hm_monitor *hm);
struct xfs_hm_monitor *xfs_hm_mount_monitor_locked(struct xfs_mount *mp);
void xfs_hm_mount_publish(struct xfs_mount *mp, struct xfs_hm_monitor *hm);
struct super_block *xfs_hm_mount_sb(struct xfs_mount *mp);
struct xfs_mount *xfs_hm_sb_mount(struct super_block *sb);
u32 xfs_hm_mount_dev(struct xfs_mount *mp);
void *xfs_hm_kmalloc(size_t size);
void *xfs_hm_kvmalloc(size_t size);
/*
 * Room in a monitor for its own free, a grace period after its last reference goes: the Rust
 * side reserves four pointers for it (FreeLater of xfs/memory.rs).
 */
struct xfs_hm_free {
	struct rcu_head rcu;
	void *monitor;	/* kmalloc'ed: the monitor that holds this */
	void *ring;	/* kvmalloc'ed, or NULL */
};

void xfs_hm_free_later(struct xfs_hm_free *f, struct xfs_hm_monitor *hm, void *ring);
struct xfs_mount *xfs_hm_file_mount(struct file *file);
bool xfs_hm_may_monitor(struct file *file);
int xfs_hm_anon_inode_getfd(const struct file_operations *fops, struct xfs_hm_monitor *hm);
int xfs_hm_fd_super(int fd, uintptr_t *sb);
/* What the C monitor's tracepoints read of a monitor (struct xfs_healthmon). */
struct xfs_hm_trace_mon {
	u32 dev;
	u32 events;
	u64 lost_prev;
	u64 bufsize;
	u64 bufhead;
	u64 buftail;
};

/*
 * What they read of an event (struct xfs_healthmon_event): @type and @domain are the C
 * monitor's enums; @mask is the health mask or the shutdown flags; @pos the daddr or file
 * position; @count the bbcount, file range length or lost count.
 */
struct xfs_hm_trace_event {
	u32 type;
	u32 domain;
	u32 mask;
	u32 group;
	u64 ino;
	u32 gen;
	s32 error;
	u64 pos;
	u64 count;
};

enum xfs_hm_trace {
	XFS_HM_TRACE_READ_START,
	XFS_HM_TRACE_READ_FINISH,
	XFS_HM_TRACE_RELEASE,
	XFS_HM_TRACE_DETACH,
	XFS_HM_TRACE_REPORT_UNMOUNT,
	XFS_HM_TRACE_LOST_EVENT,
	XFS_HM_TRACE_INSERT,
	XFS_HM_TRACE_PUSH,
	XFS_HM_TRACE_POP,
	XFS_HM_TRACE_FORMAT,
	XFS_HM_TRACE_DROP,
	XFS_HM_TRACE_MERGE,
};

void xfs_hm_trace_monitor(enum xfs_hm_trace which, const struct xfs_hm_trace_mon *m);
void xfs_hm_trace_event(enum xfs_hm_trace which, const struct xfs_hm_trace_mon *m,
			const struct xfs_hm_trace_event *t);
void xfs_hm_trace_report_metadata(const struct xfs_hm_trace_mon *m, u32 old_mask, u32 new_mask,
				  const struct xfs_hm_trace_event *t);
void xfs_hm_trace_report_shutdown(const struct xfs_hm_trace_mon *m, u32 flags);
void xfs_hm_trace_report_media(const struct xfs_hm_trace_mon *m, u32 fdev,
			       const struct xfs_hm_trace_event *t);
void xfs_hm_trace_report_file_ioerror(const struct xfs_hm_trace_mon *m,
				      const struct fserror_event *p);
void xfs_hm_trace_copybuf(const struct xfs_hm_trace_mon *m, size_t iter_count);
void xfs_hm_trace_create(u32 dev, u64 flags, u8 format);

#if IS_BUILTIN(CONFIG_KUNIT)
struct xfs_mount *xfs_hm_test_mount_new(void);
void xfs_hm_test_mount_orphan(struct xfs_mount *mp, bool lose);
void xfs_hm_test_mount_free(struct xfs_mount *mp);
#endif

#if IS_BUILTIN(CONFIG_KUNIT)
extern const u32 xfs_hm_c_ioc_health_monitor;
extern const u32 xfs_hm_c_ioc_fd_on_monitored_fs;
extern const u32 xfs_hm_c_event_size;
extern const u32 xfs_hm_c_monitor_size;
extern const u32 xfs_hm_c_sick_ino_secondary;
extern const u32 xfs_hm_c_sick_fs_secondary;
extern const u32 xfs_hm_c_sick_ag_secondary;
extern const u32 xfs_hm_c_sick_rg_secondary;
extern const u32 xfs_hm_c_fserr_metadata;

/* A table of u32 values: @len of them at @v (pairs are two values each). */
struct xfs_hm_c_table {
	const u32 *v;
	u32 len;
};

extern const struct xfs_hm_c_table xfs_hm_c_types;
extern const struct xfs_hm_c_table xfs_hm_c_domains;
extern const struct xfs_hm_c_table xfs_hm_c_devices;
extern const struct xfs_hm_c_table xfs_hm_c_fserror_types;
extern const struct xfs_hm_c_table xfs_hm_c_shutdown_reasons;
extern const struct xfs_hm_c_table xfs_hm_c_v0_offsets;
extern const struct xfs_hm_c_table xfs_hm_c_v0_payload_sizes;
#endif

#endif /* __XFS_HEALTHMON_SHIM_H__ */
