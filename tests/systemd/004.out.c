QA output created by 004
== lost events
failed reads: 2000
the monitor counted lost events: yes
no lost line
lost records account for every lost event: no
no full repair
== a spot repair that fails
ls: reading directory 'SCRATCH_MNT/dir': Structure needs cleaning
xfs_scrub@mnt-scratch.service: Failed with result 'exit-code'.
xfs_scrub_fail ran: yes
SCRATCH_MNT ino INO gen GEN directory: sick
SCRATCH_MNT ino INO gen GEN directory: Repair unsuccessful; offline repair required.
SCRATCH_MNT: Full repairs in progress.
Repair unsuccessful; offline repair required
