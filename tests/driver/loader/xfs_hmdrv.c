// SPDX-License-Identifier: GPL-2.0
/*
 * Loader of the health monitor's report driver (test builds only).
 *
 * The driver itself is linked into a test build of xfs.ko (tests/driver/hmdrv.c), where it can
 * reach XFS's structures; xfs.ko's one module_init is XFS's own, so this module creates and
 * removes the driver's debugfs interface.  Loading it needs a test build of xfs.ko.
 */
#include <linux/module.h>

int xfs_hmdrv_init(void);
void xfs_hmdrv_exit(void);

static int __init hmdrv_loader_init(void)
{
	return xfs_hmdrv_init();
}

static void __exit hmdrv_loader_exit(void)
{
	xfs_hmdrv_exit();
}

module_init(hmdrv_loader_init);
module_exit(hmdrv_loader_exit);
MODULE_DESCRIPTION("XFS health monitor report driver (test builds only)");
MODULE_LICENSE("GPL");
