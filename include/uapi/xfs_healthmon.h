/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * XFS live health monitoring: the userspace ABI on its own.
 *
 * XFS_IOC_HEALTH_MONITOR on the root directory of an XFS filesystem returns a read-only file
 * descriptor.  Reading it yields struct xfs_health_monitor_event records, 64 bytes each, in the
 * V0 format: first a RUNNING record, then one record per health event, and after the filesystem
 * is unmounted an UNMOUNT record, the records still queued, and end of file.  See
 * Documentation/healthmon.rst of this project.
 *
 * The definitions are the ones of fs/xfs/libxfs/xfs_fs.h in Linux 7.2 (xfsprogs installs that file
 * as <xfs/xfs_fs.h>), which tests/uapi/check compares with this header item by item.  A program
 * may include this header instead of that one, or after it: the macros are then defined again
 * with the same text, which C allows, and the structures are left out if that header already has
 * the health monitor.  An older <xfs/xfs_fs.h> without it gets the missing parts from here.
 * Including this header before xfs_fs.h does not compile.
 */
#ifndef _UAPI_XFS_HEALTHMON_H
#define _UAPI_XFS_HEALTHMON_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* XFS_HEALTH_MONITOR_DOMAIN_FS masks: filesystem-wide metadata. */
#define XFS_FSOP_GEOM_SICK_COUNTERS	(1 << 0)  /* summary counters */
#define XFS_FSOP_GEOM_SICK_UQUOTA	(1 << 1)  /* user quota */
#define XFS_FSOP_GEOM_SICK_GQUOTA	(1 << 2)  /* group quota */
#define XFS_FSOP_GEOM_SICK_PQUOTA	(1 << 3)  /* project quota */
#define XFS_FSOP_GEOM_SICK_RT_BITMAP	(1 << 4)  /* realtime bitmap */
#define XFS_FSOP_GEOM_SICK_RT_SUMMARY	(1 << 5)  /* realtime summary */
#define XFS_FSOP_GEOM_SICK_QUOTACHECK	(1 << 6)  /* quota counts */
#define XFS_FSOP_GEOM_SICK_NLINKS	(1 << 7)  /* inode link counts */
#define XFS_FSOP_GEOM_SICK_METADIR	(1 << 8)  /* metadata directory */
#define XFS_FSOP_GEOM_SICK_METAPATH	(1 << 9)  /* metadir tree path */

/* XFS_HEALTH_MONITOR_DOMAIN_AG masks: allocation group metadata. */
#define XFS_AG_GEOM_SICK_SB		(1 << 0)  /* superblock */
#define XFS_AG_GEOM_SICK_AGF		(1 << 1)  /* AGF header */
#define XFS_AG_GEOM_SICK_AGFL		(1 << 2)  /* AGFL header */
#define XFS_AG_GEOM_SICK_AGI		(1 << 3)  /* AGI header */
#define XFS_AG_GEOM_SICK_BNOBT		(1 << 4)  /* free space by block */
#define XFS_AG_GEOM_SICK_CNTBT		(1 << 5)  /* free space by length */
#define XFS_AG_GEOM_SICK_INOBT		(1 << 6)  /* inode index */
#define XFS_AG_GEOM_SICK_FINOBT		(1 << 7)  /* free inode index */
#define XFS_AG_GEOM_SICK_RMAPBT		(1 << 8)  /* reverse mappings */
#define XFS_AG_GEOM_SICK_REFCNTBT	(1 << 9)  /* reference counts */
#define XFS_AG_GEOM_SICK_INODES		(1 << 10) /* bad inodes were seen */

/* XFS_HEALTH_MONITOR_DOMAIN_INODE masks: per-file metadata. */
#define XFS_BS_SICK_INODE		(1 << 0)  /* inode core */
#define XFS_BS_SICK_BMBTD		(1 << 1)  /* data fork */
#define XFS_BS_SICK_BMBTA		(1 << 2)  /* attr fork */
#define XFS_BS_SICK_BMBTC		(1 << 3)  /* cow fork */
#define XFS_BS_SICK_DIR			(1 << 4)  /* directory */
#define XFS_BS_SICK_XATTR		(1 << 5)  /* extended attributes */
#define XFS_BS_SICK_SYMLINK		(1 << 6)  /* symbolic link remote target */
#define XFS_BS_SICK_PARENT		(1 << 7)  /* parent pointers */
#define XFS_BS_SICK_DIRTREE		(1 << 8)  /* directory tree structure */

/* XFS_HEALTH_MONITOR_DOMAIN_RTGROUP masks: realtime group metadata. */
#define XFS_RTGROUP_GEOM_SICK_SUPER	(1U << 0)  /* superblock */
#define XFS_RTGROUP_GEOM_SICK_BITMAP	(1U << 1)  /* rtbitmap */
#define XFS_RTGROUP_GEOM_SICK_SUMMARY	(1U << 2)  /* rtsummary */
#define XFS_RTGROUP_GEOM_SICK_RMAPBT	(1U << 3)  /* reverse mappings */
#define XFS_RTGROUP_GEOM_SICK_REFCNTBT	(1U << 4)  /* reference counts */

#ifndef XFS_IOC_HEALTH_MONITOR

/* Health monitor event domains: what a record is about. */

/* The monitor and the mount as a whole. */
#define XFS_HEALTH_MONITOR_DOMAIN_MOUNT		(0)

/* Metadata health events. */
#define XFS_HEALTH_MONITOR_DOMAIN_FS		(1)
#define XFS_HEALTH_MONITOR_DOMAIN_AG		(2)
#define XFS_HEALTH_MONITOR_DOMAIN_INODE		(3)
#define XFS_HEALTH_MONITOR_DOMAIN_RTGROUP	(4)

/* Disk events. */
#define XFS_HEALTH_MONITOR_DOMAIN_DATADEV	(5)
#define XFS_HEALTH_MONITOR_DOMAIN_RTDEV		(6)
#define XFS_HEALTH_MONITOR_DOMAIN_LOGDEV	(7)

/* File range events. */
#define XFS_HEALTH_MONITOR_DOMAIN_FILERANGE	(8)

/* Health monitor event types: what happened. */

/* Status of the monitor itself. */
#define XFS_HEALTH_MONITOR_TYPE_RUNNING		(0)
#define XFS_HEALTH_MONITOR_TYPE_LOST		(1)

/* The filesystem was unmounted. */
#define XFS_HEALTH_MONITOR_TYPE_UNMOUNT		(2)

/* Metadata health events. */
#define XFS_HEALTH_MONITOR_TYPE_SICK		(3)
#define XFS_HEALTH_MONITOR_TYPE_CORRUPT		(4)
#define XFS_HEALTH_MONITOR_TYPE_HEALTHY		(5)

/* The filesystem shut down. */
#define XFS_HEALTH_MONITOR_TYPE_SHUTDOWN	(6)

/* Media errors. */
#define XFS_HEALTH_MONITOR_TYPE_MEDIA_ERROR	(7)

/* Page cache I/O to a file range failed. */
#define XFS_HEALTH_MONITOR_TYPE_BUFREAD		(8)
#define XFS_HEALTH_MONITOR_TYPE_BUFWRITE	(9)

/* Direct I/O to a file range failed. */
#define XFS_HEALTH_MONITOR_TYPE_DIOREAD		(10)
#define XFS_HEALTH_MONITOR_TYPE_DIOWRITE	(11)

/* An out of band media error was reported for a file range. */
#define XFS_HEALTH_MONITOR_TYPE_DATALOST	(12)

/* Lost events: how many since the previous LOST record. */
struct xfs_health_monitor_lost {
	__u64	count;
};

/* Filesystem-wide metadata. */
struct xfs_health_monitor_fs {
	/* XFS_FSOP_GEOM_SICK_* flags */
	__u32	mask;
};

/* Allocation group or realtime group metadata. */
struct xfs_health_monitor_group {
	/* XFS_{AG,RTGROUP}_GEOM_SICK_* flags */
	__u32	mask;
	__u32	gno;
};

/* Inode metadata. */
struct xfs_health_monitor_inode {
	/* XFS_BS_SICK_* flags */
	__u32	mask;
	__u32	gen;
	__u64	ino;
};

/* Shutdown reasons. */
#define XFS_HEALTH_SHUTDOWN_META_IO_ERROR	(1u << 0)
#define XFS_HEALTH_SHUTDOWN_LOG_IO_ERROR	(1u << 1)
#define XFS_HEALTH_SHUTDOWN_FORCE_UMOUNT	(1u << 2)
#define XFS_HEALTH_SHUTDOWN_CORRUPT_INCORE	(1u << 3)
#define XFS_HEALTH_SHUTDOWN_CORRUPT_ONDISK	(1u << 4)
#define XFS_HEALTH_SHUTDOWN_DEVICE_REMOVED	(1u << 5)

/* Shutdown. */
struct xfs_health_monitor_shutdown {
	/* XFS_HEALTH_SHUTDOWN_* flags */
	__u32	reasons;
};

/* File range events; error is a positive errno. */
struct xfs_health_monitor_filerange {
	__u64	pos;
	__u64	len;
	__u64	ino;
	__u32	gen;
	__u32	error;
};

/* Disk media errors, in 512-byte sectors. */
struct xfs_health_monitor_media {
	__u64	daddr;
	__u64	bbcount;
};

/* One V0 record. */
struct xfs_health_monitor_event {
	/* XFS_HEALTH_MONITOR_DOMAIN_* */
	__u32	domain;

	/* XFS_HEALTH_MONITOR_TYPE_* */
	__u32	type;

	/* Timestamp of the event, in nanoseconds since the Unix epoch. */
	__u64	time_ns;

	/* Details of the event; which member applies follows from the domain. */
	union {
		struct xfs_health_monitor_lost lost;
		struct xfs_health_monitor_fs fs;
		struct xfs_health_monitor_group group;
		struct xfs_health_monitor_inode inode;
		struct xfs_health_monitor_shutdown shutdown;
		struct xfs_health_monitor_media media;
		struct xfs_health_monitor_filerange filerange;
	} e;

	/* Zeroes. */
	__u64	pad[2];
};

/* The argument of XFS_IOC_HEALTH_MONITOR. */
struct xfs_health_monitor {
	__u64	flags;		/* XFS_HEALTH_MONITOR_* flags */
	__u8	format;		/* output format */
	__u8	pad[23];	/* zeroes */
};

/* Return all health status events, not just deltas. */
#define XFS_HEALTH_MONITOR_VERBOSE	(1ULL << 0)

#define XFS_HEALTH_MONITOR_ALL		(XFS_HEALTH_MONITOR_VERBOSE)

/* Initial return format version. */
#define XFS_HEALTH_MONITOR_FMT_V0	(0)

/*
 * The argument of XFS_IOC_HEALTH_FD_ON_MONITORED_FS: does fd point into the filesystem that the
 * monitor watches?
 */
struct xfs_health_file_on_monitored_fs {
	__s32		fd;
	__u32		flags;	/* zero for now */
};

/*
 * On the root directory: create a monitor.  On a monitor fd: change its flags (verbose).
 */
#define XFS_IOC_HEALTH_MONITOR	_IOW ('X', 68, struct xfs_health_monitor)
/* On a monitor fd: 0 if the fd given is on the monitored filesystem, else ESTALE. */
#define XFS_IOC_HEALTH_FD_ON_MONITORED_FS \
				_IOW ('X', 69, struct xfs_health_file_on_monitored_fs)

#endif /* !XFS_IOC_HEALTH_MONITOR */

#endif /* _UAPI_XFS_HEALTHMON_H */
