// SPDX-License-Identifier: GPL-2.0

//! The merge rules: when a new event joins the newest queued record instead of taking a slot.

use super::Event;
use super::Metadata;

impl Metadata {
    /// ORs `new`'s mask into this one when both name the same object.
    fn merge(&mut self, new: &Metadata) -> bool {
        match (self, new) {
            (Metadata::Fs { mask }, Metadata::Fs { mask: m }) => {
                *mask |= m;
                true
            }
            (
                Metadata::Ag { group, mask },
                Metadata::Ag {
                    group: g, mask: m, ..
                },
            )
            | (
                Metadata::Rtgroup { group, mask },
                Metadata::Rtgroup {
                    group: g, mask: m, ..
                },
            ) if *group == *g => {
                *mask |= m;
                true
            }
            (
                Metadata::Inode { ino, gen, mask },
                Metadata::Inode {
                    ino: i,
                    gen: g,
                    mask: m,
                },
            ) if *ino == *i && *gen == *g => {
                *mask |= m;
                true
            }
            _ => false,
        }
    }
}

/// Merges two byte or sector ranges when one ends where the other begins.  The arithmetic wraps
/// as the C monitor's does, so a range at the very end of the address space merges the same way.
fn merge_range(start: &mut u64, len: &mut u64, new_start: u64, new_len: u64) -> bool {
    if start.wrapping_add(*len) == new_start {
        *len = len.wrapping_add(new_len);
        return true;
    }
    if new_start.wrapping_add(new_len) == *start {
        *start = new_start;
        *len = len.wrapping_add(new_len);
        return true;
    }
    false
}

impl Event {
    /// Merges `new` into `self`, which is the newest queued event, and says whether it did.
    ///
    /// Only events of the same type and domain merge: lost counts add up, shutdown reasons and
    /// metadata masks of the same object are ORed, and ranges that touch are joined (file ranges
    /// only for the same inode, generation and errno).  RUNNING and UNMOUNT never merge.
    pub(crate) fn merge(&mut self, new: &Event) -> bool {
        // The same type and domain, spelled out per kind: the same health (type) and the same
        // kind of object (domain, which `Metadata::merge` checks), the same device, the same
        // operation.  RUNNING, UNMOUNT and events of different kinds fall through.
        match (self, new) {
            (Event::Lost { count }, Event::Lost { count: c }) => {
                *count = count.saturating_add(*c);
                true
            }
            (Event::Shutdown { flags }, Event::Shutdown { flags: f }) => {
                // Shutdowns can race; the record carries every reason.
                *flags |= f;
                true
            }
            (
                Event::Metadata { health, what },
                Event::Metadata {
                    health: h, what: w, ..
                },
            ) if *health == *h => what.merge(w),
            (
                Event::Media {
                    dev,
                    daddr,
                    bbcount,
                },
                Event::Media {
                    dev: v,
                    daddr: d,
                    bbcount: b,
                },
            ) if *dev == *v => merge_range(daddr, bbcount, *d, *b),
            (
                Event::FileIo {
                    op,
                    ino,
                    gen,
                    pos,
                    len,
                    error,
                },
                Event::FileIo {
                    op: o,
                    ino: i,
                    gen: g,
                    pos: p,
                    len: l,
                    error: e,
                },
            ) if *op == *o => {
                if *ino != *i || *gen != *g || *error != *e {
                    return false;
                }
                merge_range(pos, len, *p, *l)
            }
            _ => false,
        }
    }
}

#[kernel::prelude::kunit_tests(xfs_healthmon_merge)]
mod tests {
    use super::*;
    use crate::event::testing::*;
    use crate::event::FileIo;
    use crate::event::Health;
    use crate::event::MediaDev;

    #[test]
    fn lost_counts_add() {
        let mut e = Event::Lost { count: 3 };
        assert!(e.merge(&Event::Lost { count: 4 }));
        assert_eq!(e, Event::Lost { count: 7 });
    }

    #[test]
    fn shutdown_reasons_or() {
        let mut e = Event::Shutdown { flags: 1 };
        assert!(e.merge(&Event::Shutdown { flags: 4 }));
        assert_eq!(e, Event::Shutdown { flags: 5 });
    }

    #[test]
    fn running_and_unmount_never_merge() {
        assert!(!Event::Running.merge(&Event::Running));
        assert!(!Event::Unmount.merge(&Event::Unmount));
    }

    #[test]
    fn fs_masks_or() {
        let mut e = Event::Metadata {
            health: Health::Corrupt,
            what: Metadata::Fs { mask: 1 },
        };
        assert!(e.merge(&Event::Metadata {
            health: Health::Corrupt,
            what: Metadata::Fs { mask: 2 },
        }));
        assert_eq!(
            e,
            Event::Metadata {
                health: Health::Corrupt,
                what: Metadata::Fs { mask: 3 },
            }
        );
    }

    #[test]
    fn different_health_does_not_merge() {
        let mut e = sick_ag(1, 1);
        assert!(!e.merge(&Event::Metadata {
            health: Health::Corrupt,
            what: Metadata::Ag { group: 1, mask: 2 },
        }));
        assert_eq!(e, sick_ag(1, 1));
    }

    #[test]
    fn groups_merge_only_with_the_same_group() {
        let mut e = sick_ag(1, 1);
        assert!(e.merge(&sick_ag(1, 2)));
        assert_eq!(e, sick_ag(1, 3));
        assert!(!e.merge(&sick_ag(2, 4)));
        let mut rg = Event::Metadata {
            health: Health::Sick,
            what: Metadata::Rtgroup { group: 1, mask: 1 },
        };
        // An rtgroup is not an AG of the same number.
        assert!(!rg.merge(&sick_ag(1, 2)));
        assert!(rg.merge(&Event::Metadata {
            health: Health::Sick,
            what: Metadata::Rtgroup { group: 1, mask: 8 },
        }));
        assert!(!rg.merge(&Event::Metadata {
            health: Health::Sick,
            what: Metadata::Rtgroup { group: 0, mask: 8 },
        }));
    }

    #[test]
    fn inodes_merge_only_with_the_same_ino_and_gen() {
        let mut e = sick_inode(128, 5, 1);
        assert!(e.merge(&sick_inode(128, 5, 16)));
        assert_eq!(e, sick_inode(128, 5, 17));
        assert!(!e.merge(&sick_inode(128, 6, 2)));
        assert!(!e.merge(&sick_inode(129, 5, 2)));
        assert_eq!(e, sick_inode(128, 5, 17));
    }

    #[test]
    fn media_ranges_join_when_adjacent() {
        let mut e = media(MediaDev::Data, 100, 8);
        assert!(e.merge(&media(MediaDev::Data, 108, 8)));
        assert_eq!(e, media(MediaDev::Data, 100, 16));
        assert!(e.merge(&media(MediaDev::Data, 90, 10)));
        assert_eq!(e, media(MediaDev::Data, 90, 26));
        // A gap, an overlap, or another device does not merge.
        assert!(!e.merge(&media(MediaDev::Data, 117, 1)));
        assert!(!e.merge(&media(MediaDev::Data, 100, 4)));
        assert!(!e.merge(&media(MediaDev::Log, 116, 4)));
        assert!(!e.merge(&media(MediaDev::Rt, 116, 4)));
        assert_eq!(e, media(MediaDev::Data, 90, 26));
    }

    #[test]
    fn file_ranges_join_when_adjacent_with_the_same_errno() {
        let mut e = file_io(FileIo::DioWrite, 131, 4096, 4096, 5);
        assert!(e.merge(&file_io(FileIo::DioWrite, 131, 8192, 4096, 5)));
        assert!(e.merge(&file_io(FileIo::DioWrite, 131, 0, 4096, 5)));
        assert_eq!(e, file_io(FileIo::DioWrite, 131, 0, 12288, 5));
        // Another errno, inode, operation, generation or a gap: no merge.
        assert!(!e.merge(&file_io(FileIo::DioWrite, 131, 12288, 4096, 28)));
        assert!(!e.merge(&file_io(FileIo::DioWrite, 132, 12288, 4096, 5)));
        assert!(!e.merge(&file_io(FileIo::DioRead, 131, 12288, 4096, 5)));
        assert!(!e.merge(&file_io(FileIo::DioWrite, 131, 16384, 4096, 5)));
        assert!(!e.merge(&Event::FileIo {
            op: FileIo::DioWrite,
            ino: 131,
            gen: 8,
            pos: 12288,
            len: 4096,
            error: 5,
        }));
        assert_eq!(e, file_io(FileIo::DioWrite, 131, 0, 12288, 5));
    }

    #[test]
    fn different_types_never_merge() {
        let mut e = Event::Shutdown { flags: 1 };
        assert!(!e.merge(&Event::Lost { count: 1 }));
        let mut l = Event::Lost { count: 1 };
        assert!(!l.merge(&Event::Shutdown { flags: 1 }));
        let mut m = media(MediaDev::Data, 0, 8);
        assert!(!m.merge(&file_io(FileIo::BufRead, 1, 4096, 8, 5)));
    }
}
