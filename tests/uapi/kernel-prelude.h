/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What fs/xfs/libxfs/xfs_fs.h expects from its includer, for compiling it in userspace (xfsprogs
 * provides the same through its platform headers).
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/ioctl.h>
#include <linux/types.h>

#define __user
typedef uint32_t prid_t;
typedef int64_t xfs_off_t;
