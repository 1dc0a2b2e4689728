// SPDX-License-Identifier: GPL-2.0
/*
 * Report driver for the health monitor: test builds only.
 *
 * This object is linked into the test builds of xfs.ko, the Rust one and the C reference alike
 * (scripts/build-module.sh --driver), never into the xfs.ko that users load.  It calls the eight
 * entry points of xfs_healthmon.h on real XFS objects, found through file descriptors of the
 * calling process, so that the differential runner and the benchmarks drive both monitors
 * through exactly the same code.  The small module in tests/driver/loader creates its debugfs
 * file by calling xfs_hmdrv_init(), since a composite module has only one module_init.
 *
 * /sys/kernel/debug/xfs_hmdrv/ctl takes one command per write(); read()s of the same open file
 * then return the result line of that command.  Numbers are decimal or 0x-hex;
 * TYPE is enum xfs_healthmon_type; FD is a descriptor of the writer on the XFS filesystem (its
 * inode is the inode reported).
 *
 *   fs FD TYPE OLD NEW            ag|rtg FD GNO TYPE OLD NEW     inode FD TYPE OLD NEW
 *   shutdown FD FLAGS             media FD DEV DADDR BBCOUNT     unmount FD
 *   fileio FD FSERR POS LEN ERRNO (ERRNO positive; fserror passes it negated)
 *        -> "ok t=NS": CLOCK_MONOTONIC just before the call, for wake-up latency
 *   bench FD FD2 OP MODE THREADS ITERS
 *        OP: fs ag rtg inode shutdown media fileio unmount; MODE: merge or distinct
 *        -> "ok ns=WALL ops=CALLS": THREADS kernel threads each make ITERS calls
 *   rand FD SEED COUNT FD...
 *        -> "ok calls=N": COUNT seeded random reports on the inodes of the FDs after SEED
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

#include <linux/debugfs.h>
#include <linux/fserror.h>
#include <linux/file.h>
#include <linux/kthread.h>
#include <linux/sched/task.h>
#include <linux/magic.h>

int xfs_hmdrv_init(void);
void xfs_hmdrv_exit(void);

#define HMDRV_MAX_FDS		16
#define HMDRV_MAX_THREADS	8
#define HMDRV_RESULT		128

/* One open ctl file: the result of its last command. */
struct hmdrv_ctx {
	char			result[HMDRV_RESULT];
};

/* The XFS objects behind a command's descriptors, held for the command's duration. */
struct hmdrv_objs {
	struct file		*files[HMDRV_MAX_FDS];
	struct xfs_inode	*ips[HMDRV_MAX_FDS];
	unsigned int		nr;
};

static struct dentry *hmdrv_dir;

static void hmdrv_put_objs(struct hmdrv_objs *o)
{
	while (o->nr > 0)
		fput(o->files[--o->nr]);
}

/* Take the XFS inode behind @fd; every descriptor must be on one XFS filesystem. */
static int hmdrv_get_obj(struct hmdrv_objs *o, unsigned long long fd)
{
	struct file *file;

	if (o->nr >= HMDRV_MAX_FDS || fd > INT_MAX)
		return -EINVAL;
	file = fget(fd);
	if (!file)
		return -EBADF;
	if (file_inode(file)->i_sb->s_magic != XFS_SUPER_MAGIC ||
	    (o->nr > 0 && file_inode(file)->i_sb != file_inode(o->files[0])->i_sb)) {
		fput(file);
		return -EXDEV;
	}
	o->files[o->nr] = file;
	o->ips[o->nr] = XFS_I(file_inode(file));
	o->nr++;
	return 0;
}

static struct xfs_mount *hmdrv_mp(const struct hmdrv_objs *o)
{
	return o->ips[0]->i_mount;
}

/* A passive reference to group @gno of @type, or NULL if there is none. */
static struct xfs_group *hmdrv_group(struct xfs_mount *mp, enum xfs_group_type type, u32 gno)
{
	if (type == XG_TYPE_AG && gno >= mp->m_sb.sb_agcount)
		return NULL;
	if (type == XG_TYPE_RTG && gno >= mp->m_sb.sb_rgcount)
		return NULL;
	return xfs_group_get(mp, gno, type);
}

static void hmdrv_fileio(struct xfs_inode *ip, u32 type, u64 pos, u64 len, u32 error)
{
	struct fserror_event ev = {
		.inode	= VFS_I(ip),
		.sb	= VFS_I(ip)->i_sb,
		.type	= type,
		.pos	= pos,
		.len	= len,
		.error	= -(int)error,
	};

	xfs_healthmon_report_file_ioerror(ip, &ev);
}

/* xorshift64*: the same sequence from the same seed in both variants. */
static u64 hmdrv_next(u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static u64 hmdrv_below(u64 *s, u64 n)
{
	return n ? hmdrv_next(s) % n : 0;
}

/*
 * COUNT random reports: every entry point but unmount, every type and domain that XFS itself
 * passes, with chains of mergeable events broken by near misses (a range off by one, another
 * inode, another errno or type).
 */
static int hmdrv_rand(struct hmdrv_objs *o, u64 seed, u64 count, u64 *calls)
{
	struct xfs_mount *mp = hmdrv_mp(o);
	static const u32 errnos[] = { EIO, EDQUOT, ENOSPC, EIO };
	static const u32 health[] = {
		XFS_HEALTHMON_SICK, XFS_HEALTHMON_CORRUPT, XFS_HEALTHMON_HEALTHY,
	};
	u64 s = seed * 0x9E3779B97F4A7C15ULL + 1;
	u64 mdaddr = 0, mcount = 1, fpos = 0, flen = 1;
	u32 mdev = XFS_DEV_DATA;
	u64 i;

	*calls = 0;
	for (i = 0; i < count; i++) {
		u64 r = hmdrv_below(&s, 100);
		u32 ty = health[hmdrv_below(&s, 3)];
		/* Small masks over the known bits and a few unknown ones make merges likely. */
		u32 old = hmdrv_below(&s, 4) ? 0 : (u32)hmdrv_next(&s) & 0x3ffff;
		u32 new = (1U << hmdrv_below(&s, 18)) | (hmdrv_below(&s, 3) ? 0 : 1U << hmdrv_below(&s, 18));
		struct xfs_inode *ip = o->ips[hmdrv_below(&s, o->nr)];

		if (r < 25) {
			xfs_healthmon_report_inode(ip, ty, old, new);
		} else if (r < 35) {
			xfs_healthmon_report_fs(mp, ty, old, new);
		} else if (r < 45) {
			u32 gno = hmdrv_below(&s, mp->m_sb.sb_agcount);
			struct xfs_group *xg = hmdrv_group(mp, XG_TYPE_AG, gno);

			if (!xg)
				continue;
			xfs_healthmon_report_group(xg, ty, old, new);
			xfs_group_put(xg);
		} else if (r < 48) {
			struct xfs_group *xg;

			if (!mp->m_sb.sb_rgcount)
				continue;
			xg = hmdrv_group(mp, XG_TYPE_RTG, hmdrv_below(&s, mp->m_sb.sb_rgcount));
			if (!xg)
				continue;
			xfs_healthmon_report_group(xg, ty, old, new);
			xfs_group_put(xg);
		} else if (r < 72) {
			u64 c = hmdrv_below(&s, 10);

			/* Mostly extend the last range on either side, sometimes miss by one. */
			if (c < 5) {
				mdaddr += mcount;
			} else if (c < 7) {
				mcount = 1 + hmdrv_below(&s, 64);
				mdaddr -= mcount;
			} else if (c < 8) {
				mdaddr += mcount + 1;
			} else {
				mdev = XFS_DEV_DATA + hmdrv_below(&s, 3);
				mdaddr = hmdrv_below(&s, 1ULL << 40);
			}
			mcount = 1 + hmdrv_below(&s, 64);
			xfs_healthmon_report_media(mp, mdev, mdaddr, mcount);
		} else if (r < 98) {
			u64 c = hmdrv_below(&s, 10);
			u32 type = hmdrv_below(&s, 6) ? FSERR_BUFFERED_READ + (u32)hmdrv_below(&s, 2) :
						      FSERR_DIRECTIO_READ + (u32)hmdrv_below(&s, 3);

			if (c < 6)
				fpos += flen;
			else if (c < 7)
				fpos += flen + 1;
			else
				fpos = hmdrv_below(&s, 1ULL << 30) * 512;
			flen = 512 * (1 + hmdrv_below(&s, 16));
			hmdrv_fileio(ip, type, fpos, flen, errnos[hmdrv_below(&s, ARRAY_SIZE(errnos))]);
		} else {
			xfs_healthmon_report_shutdown(mp, 1U << hmdrv_below(&s, 6));
		}
		(*calls)++;
	}
	return 0;
}

/* One benchmark loop: what each thread runs. */
struct hmdrv_bench {
	struct xfs_mount	*mp;
	struct xfs_inode	*ip[2];
	struct xfs_group	*xg[2];
	unsigned int		op;
	bool			merge;
	u64			iters;
	atomic_t		running;
	struct completion	done;
	struct completion	start;
};

enum { OP_FS, OP_AG, OP_RTG, OP_INODE, OP_SHUTDOWN, OP_MEDIA, OP_FILEIO, OP_UNMOUNT, OP_NR };
static const char * const hmdrv_ops[OP_NR] = {
	"fs", "ag", "rtg", "inode", "shutdown", "media", "fileio", "unmount",
};

/*
 * Distinct events never merge into the newest one: metadata reports alternate between two
 * objects or two types, ranges leave a gap of one.  Merging events extend one record.  Each
 * thread works in its own range so that threads do not merge into each other's records.
 */
static void hmdrv_bench_loop(struct hmdrv_bench *b, u64 base)
{
	u64 i, pos = base, len = 8;

	for (i = 0; i < b->iters; i++) {
		unsigned int alt = b->merge ? 0 : (i & 1);

		switch (b->op) {
		case OP_FS:
			xfs_healthmon_report_fs(b->mp, alt ? XFS_HEALTHMON_CORRUPT : XFS_HEALTHMON_SICK,
						0, XFS_SICK_FS_COUNTERS);
			break;
		case OP_AG:
		case OP_RTG:
			xfs_healthmon_report_group(b->xg[alt], XFS_HEALTHMON_SICK, 0, 1);
			break;
		case OP_INODE:
			xfs_healthmon_report_inode(b->ip[alt], XFS_HEALTHMON_SICK, 0,
						   XFS_SICK_INO_CORE);
			break;
		case OP_SHUTDOWN:
			xfs_healthmon_report_shutdown(b->mp, SHUTDOWN_META_IO_ERROR);
			break;
		case OP_MEDIA:
			xfs_healthmon_report_media(b->mp, XFS_DEV_DATA, pos, len);
			pos += len + !b->merge;
			break;
		case OP_FILEIO:
			hmdrv_fileio(b->ip[0], FSERR_BUFFERED_READ, pos * 512, len * 512, EIO);
			pos += len + !b->merge;
			break;
		case OP_UNMOUNT:
			xfs_healthmon_unmount(b->mp);
			break;
		}
	}
}

static atomic64_t hmdrv_thread_base;

static int hmdrv_bench_thread(void *data)
{
	struct hmdrv_bench *b = data;

	wait_for_completion(&b->start);
	hmdrv_bench_loop(b, atomic64_add_return(1ULL << 40, &hmdrv_thread_base));
	if (atomic_dec_and_test(&b->running))
		complete(&b->done);
	return 0;
}

static int hmdrv_bench_run(struct hmdrv_objs *o, const char *opname, const char *mode,
			   u64 threads, u64 iters, u64 *ns)
{
	struct hmdrv_bench b = { .mp = hmdrv_mp(o), .iters = iters };
	struct task_struct *tasks[HMDRV_MAX_THREADS];
	unsigned int i;
	u64 t0;
	int error = 0;

	b.op = match_string(hmdrv_ops, OP_NR, opname);
	if ((int)b.op < 0 || threads < 1 || threads > HMDRV_MAX_THREADS)
		return -EINVAL;
	if (!strcmp(mode, "merge"))
		b.merge = true;
	else if (strcmp(mode, "distinct"))
		return -EINVAL;
	b.ip[0] = o->ips[0];
	b.ip[1] = o->ips[o->nr - 1];
	if (b.op == OP_AG || b.op == OP_RTG) {
		enum xfs_group_type type = b.op == OP_AG ? XG_TYPE_AG : XG_TYPE_RTG;

		b.xg[0] = hmdrv_group(b.mp, type, 0);
		b.xg[1] = hmdrv_group(b.mp, type, 1);
		if (!b.xg[0] || !b.xg[1]) {
			error = -ENOENT;
			goto out_groups;
		}
	}
	atomic_set(&b.running, threads);
	init_completion(&b.done);
	init_completion(&b.start);
	for (i = 0; i < threads; i++) {
		tasks[i] = kthread_run(hmdrv_bench_thread, &b, "xfs_hmdrv/%u", i);
		if (IS_ERR(tasks[i])) {
			/* The threads already started still wait for the start: let them run. */
			error = PTR_ERR(tasks[i]);
			atomic_sub(threads - i, &b.running);
			break;
		}
		/* Held until the thread is reaped below (it cannot exit before the start). */
		get_task_struct(tasks[i]);
	}
	if (i > 0) {
		unsigned int n = i;

		t0 = ktime_get_ns();
		complete_all(&b.start);
		wait_for_completion(&b.done);
		*ns = ktime_get_ns() - t0;
		/*
		 * Reap every thread: kthread_stop() returns once the thread has exited, so none is
		 * still in this module's text (returning from hmdrv_bench_thread()) when the write
		 * that started the benchmark returns and the module may go.
		 */
		for (i = 0; i < n; i++) {
			kthread_stop(tasks[i]);
			put_task_struct(tasks[i]);
		}
	}
out_groups:
	if (b.xg[0])
		xfs_group_put(b.xg[0]);
	if (b.xg[1])
		xfs_group_put(b.xg[1]);
	return error;
}

/* Split @buf into at most @max words; returns how many. */
static int hmdrv_words(char *buf, char **argv, int max)
{
	int argc = 0;
	char *w;

	while ((w = strsep(&buf, " \t\n")) != NULL) {
		if (!*w)
			continue;
		if (argc == max)
			return -E2BIG;
		argv[argc++] = w;
	}
	return argc;
}

static int hmdrv_nums(char **argv, int argc, u64 *v)
{
	int i, error;

	for (i = 0; i < argc; i++) {
		error = kstrtoull(argv[i], 0, &v[i]);
		if (error)
			return error;
	}
	return 0;
}

/* Run one command; the result line goes to @res. */
static int hmdrv_command(char *buf, char *res)
{
	struct hmdrv_objs o = { };
	char *argv[8 + HMDRV_MAX_FDS];
	u64 v[8 + HMDRV_MAX_FDS];
	int argc, error, i, nfds = 1;
	const char *cmd;
	u64 t;

	argc = hmdrv_words(buf, argv, ARRAY_SIZE(argv));
	if (argc < 2)
		return argc < 0 ? argc : -EINVAL;
	cmd = argv[0];
	if (!strcmp(cmd, "bench")) {
		/* bench FD FD2 OP MODE THREADS ITERS */
		if (argc != 7)
			return -EINVAL;
		error = hmdrv_nums(argv + 1, 2, v) ?: hmdrv_nums(argv + 5, 2, v + 2);
		if (error)
			return error;
		error = hmdrv_get_obj(&o, v[0]) ?: hmdrv_get_obj(&o, v[1]);
		if (!error)
			error = hmdrv_bench_run(&o, argv[3], argv[4], v[2], v[3], &t);
		if (!error)
			snprintf(res, HMDRV_RESULT, "ok ns=%llu ops=%llu", t, v[2] * v[3]);
		hmdrv_put_objs(&o);
		return error;
	}
	error = hmdrv_nums(argv + 1, argc - 1, v);
	if (error)
		return error;
	if (!strcmp(cmd, "rand")) {
		if (argc < 5)
			return -EINVAL;
		nfds = argc - 3;
	}
	for (i = 0; i < nfds && !error; i++)
		error = hmdrv_get_obj(&o, v[i ? i + 2 : 0]);
	if (error)
		goto out;

	t = ktime_get_ns();
#define NARGS(n) do { if (argc != (n) + 1) { error = -EINVAL; goto out; } } while (0)
	if (!strcmp(cmd, "fs")) {
		NARGS(4);
		xfs_healthmon_report_fs(hmdrv_mp(&o), v[1], v[2], v[3]);
	} else if (!strcmp(cmd, "ag") || !strcmp(cmd, "rtg")) {
		struct xfs_group *xg;

		NARGS(5);
		xg = hmdrv_group(hmdrv_mp(&o), cmd[0] == 'a' ? XG_TYPE_AG : XG_TYPE_RTG, v[1]);
		if (!xg) {
			error = -ENOENT;
			goto out;
		}
		t = ktime_get_ns();
		xfs_healthmon_report_group(xg, v[2], v[3], v[4]);
		xfs_group_put(xg);
	} else if (!strcmp(cmd, "inode")) {
		NARGS(4);
		xfs_healthmon_report_inode(o.ips[0], v[1], v[2], v[3]);
	} else if (!strcmp(cmd, "shutdown")) {
		NARGS(2);
		xfs_healthmon_report_shutdown(hmdrv_mp(&o), v[1]);
	} else if (!strcmp(cmd, "media")) {
		NARGS(4);
		xfs_healthmon_report_media(hmdrv_mp(&o), v[1], v[2], v[3]);
	} else if (!strcmp(cmd, "fileio")) {
		NARGS(5);
		hmdrv_fileio(o.ips[0], v[1], v[2], v[3], v[4]);
	} else if (!strcmp(cmd, "unmount")) {
		NARGS(1);
		xfs_healthmon_unmount(hmdrv_mp(&o));
	} else if (!strcmp(cmd, "rand")) {
		error = hmdrv_rand(&o, v[1], v[2], &t);
		if (!error)
			snprintf(res, HMDRV_RESULT, "ok calls=%llu", t);
		goto out;
	} else {
		error = -EINVAL;
		goto out;
	}
#undef NARGS
	snprintf(res, HMDRV_RESULT, "ok t=%llu", t);
out:
	hmdrv_put_objs(&o);
	return error;
}

static int hmdrv_open(struct inode *inode, struct file *file)
{
	struct hmdrv_ctx *ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	file->private_data = ctx;
	return nonseekable_open(inode, file);
}

static int hmdrv_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static ssize_t hmdrv_write(struct file *file, const char __user *ubuf, size_t count, loff_t *ppos)
{
	struct hmdrv_ctx *ctx = file->private_data;
	char *buf;
	int error;

	if (count == 0 || count > 1024)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	/* The next read returns this command's result from its start. */
	*ppos = 0;
	ctx->result[0] = 0;
	error = hmdrv_command(buf, ctx->result);
	kfree(buf);
	return error ?: count;
}

static ssize_t hmdrv_read(struct file *file, char __user *ubuf, size_t count, loff_t *ppos)
{
	struct hmdrv_ctx *ctx = file->private_data;

	return simple_read_from_buffer(ubuf, count, ppos, ctx->result, strlen(ctx->result));
}

static const struct file_operations hmdrv_fops = {
	.owner		= THIS_MODULE,
	.open		= hmdrv_open,
	.release	= hmdrv_release,
	.write		= hmdrv_write,
	.read		= hmdrv_read,
};

int xfs_hmdrv_init(void)
{
	hmdrv_dir = debugfs_create_dir("xfs_hmdrv", NULL);
	if (IS_ERR(hmdrv_dir))
		return PTR_ERR(hmdrv_dir);
	debugfs_create_file("ctl", 0600, hmdrv_dir, NULL, &hmdrv_fops);
	return 0;
}
EXPORT_SYMBOL_GPL(xfs_hmdrv_init);

void xfs_hmdrv_exit(void)
{
	debugfs_remove(hmdrv_dir);
}
EXPORT_SYMBOL_GPL(xfs_hmdrv_exit);
