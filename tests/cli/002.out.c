QA output created by 002
== probe and samefs, no monitor
SCRATCH_MNT: health monitoring is supported and free
SCRATCH_MNT/sub: not the root directory of the filesystem; give the mount point itself (XFS_IOC_HEALTH_MONITOR: Operation not permitted)
/proc: not an XFS filesystem (XFS_IOC_HEALTH_MONITOR: Inappropriate ioctl for device)
SCRATCH_MNT/file: on the filesystem of SCRATCH_MNT
/proc/self/status: not on the filesystem of SCRATCH_MNT
samefs exit status 1
== a watch with --json, --raw and --prometheus
SCRATCH_MNT: already monitored: one monitor per filesystem at a time (is xfs_healer running?) (XFS_IOC_HEALTH_MONITOR: File exists)
pid PID (xfs-healthmon) fd FD: state alive, dev DEV, format v0, events 71, lost 0
prometheus record series before unmount: 22
stats --prometheus exit status 0
xfs_healthmon_monitor_records_total{mount="SCRATCH_MNT",dev="DEV"} 71
xfs_healthmon_monitor_lost_total{mount="SCRATCH_MNT",dev="DEV"} 0
xfs_healthmon_monitor_alive{mount="SCRATCH_MNT",dev="DEV"} 1
no counts by type in fdinfo
watch exit status 0
records: 72 JSON, 72 raw, 71 reports
every JSON object has its record's fields
== the JSON objects
{"type":"running","type_code":0,"domain":"mount","domain_code":0,"time_ns":T}
{"type":"sick","type_code":3,"domain":"fs","domain_code":1,"time_ns":T,"mask":1,"mask_names":["fscounters"]}
{"type":"sick","type_code":3,"domain":"ag","domain_code":2,"time_ns":T,"gno":1,"mask":1,"mask_names":["super"]}
{"type":"sick","type_code":3,"domain":"rtgroup","domain_code":4,"time_ns":T,"gno":1,"mask":1,"mask_names":["super"]}
{"type":"sick","type_code":3,"domain":"inode","domain_code":3,"time_ns":T,"ino":I,"gen":G,"mask":1,"mask_names":["core"]}
{"type":"shutdown","type_code":6,"domain":"mount","domain_code":0,"time_ns":T,"reasons":1,"reasons_names":["meta_io_error"]}
{"type":"buffered_read","type_code":8,"domain":"filerange","domain_code":8,"time_ns":T,"ino":I,"gen":G,"pos":0,"len":4096,"error":5,"error_text":"Input/output error"}
{"type":"media_error","type_code":7,"domain":"datadev","domain_code":5,"time_ns":T,"daddr":0,"bbcount":8}
{"type":"sick","type_code":3,"domain":"fs","domain_code":1,"time_ns":T,"mask":2,"mask_names":["usrquota"]}
{"type":"sick","type_code":3,"domain":"ag","domain_code":2,"time_ns":T,"gno":1,"mask":2,"mask_names":["agf"]}
{"type":"sick","type_code":3,"domain":"rtgroup","domain_code":4,"time_ns":T,"gno":1,"mask":2,"mask_names":["bitmap"]}
{"type":"sick","type_code":3,"domain":"inode","domain_code":3,"time_ns":T,"ino":I,"gen":G,"mask":2,"mask_names":["datafork"]}
{"type":"shutdown","type_code":6,"domain":"mount","domain_code":0,"time_ns":T,"reasons":2,"reasons_names":["log_io_error"]}
{"type":"buffered_write","type_code":9,"domain":"filerange","domain_code":8,"time_ns":T,"ino":I,"gen":G,"pos":4096,"len":4096,"error":6,"error_text":"No such device or address"}
{"type":"media_error","type_code":7,"domain":"logdev","domain_code":7,"time_ns":T,"daddr":100,"bbcount":9}
{"type":"sick","type_code":3,"domain":"fs","domain_code":1,"time_ns":T,"mask":4,"mask_names":["grpquota"]}
{"type":"sick","type_code":3,"domain":"ag","domain_code":2,"time_ns":T,"gno":1,"mask":4,"mask_names":["agfl"]}
{"type":"sick","type_code":3,"domain":"rtgroup","domain_code":4,"time_ns":T,"gno":1,"mask":4,"mask_names":["summary"]}
{"type":"sick","type_code":3,"domain":"inode","domain_code":3,"time_ns":T,"ino":I,"gen":G,"mask":4,"mask_names":["attrfork"]}
{"type":"shutdown","type_code":6,"domain":"mount","domain_code":0,"time_ns":T,"reasons":4,"reasons_names":["force_umount"]}
{"type":"directio_read","type_code":10,"domain":"filerange","domain_code":8,"time_ns":T,"ino":I,"gen":G,"pos":8192,"len":4096,"error":7,"error_text":"Argument list too long"}
{"type":"media_error","type_code":7,"domain":"rtdev","domain_code":6,"time_ns":T,"daddr":200,"bbcount":10}
{"type":"sick","type_code":3,"domain":"fs","domain_code":1,"time_ns":T,"mask":8,"mask_names":["prjquota"]}
{"type":"sick","type_code":3,"domain":"ag","domain_code":2,"time_ns":T,"gno":1,"mask":8,"mask_names":["agi"]}
{"type":"sick","type_code":3,"domain":"rtgroup","domain_code":4,"time_ns":T,"gno":1,"mask":8,"mask_names":["rmapbt"]}
{"type":"sick","type_code":3,"domain":"inode","domain_code":3,"time_ns":T,"ino":I,"gen":G,"mask":8,"mask_names":["cowfork"]}
{"type":"shutdown","type_code":6,"domain":"mount","domain_code":0,"time_ns":T,"reasons":8,"reasons_names":["corrupt_incore"]}
{"type":"directio_write","type_code":11,"domain":"filerange","domain_code":8,"time_ns":T,"ino":I,"gen":G,"pos":12288,"len":4096,"error":8,"error_text":"Exec format error"}
{"type":"sick","type_code":3,"domain":"fs","domain_code":1,"time_ns":T,"mask":64,"mask_names":["quotacheck"]}
{"type":"sick","type_code":3,"domain":"ag","domain_code":2,"time_ns":T,"gno":1,"mask":16,"mask_names":["bnobt"]}
{"type":"sick","type_code":3,"domain":"rtgroup","domain_code":4,"time_ns":T,"gno":1,"mask":16,"mask_names":["refcountbt"]}
{"type":"sick","type_code":3,"domain":"inode","domain_code":3,"time_ns":T,"ino":I,"gen":G,"mask":16,"mask_names":["directory"]}
{"type":"shutdown","type_code":6,"domain":"mount","domain_code":0,"time_ns":T,"reasons":16,"reasons_names":["corrupt_ondisk"]}
{"type":"data_lost","type_code":12,"domain":"filerange","domain_code":8,"time_ns":T,"ino":I,"gen":G,"pos":16384,"len":4096,"error":9,"error_text":"Bad file descriptor"}
{"type":"sick","type_code":3,"domain":"fs","domain_code":1,"time_ns":T,"mask":128,"mask_names":["nlinks"]}
{"type":"sick","type_code":3,"domain":"ag","domain_code":2,"time_ns":T,"gno":1,"mask":32,"mask_names":["cntbt"]}
{"type":"sick","type_code":3,"domain":"rtgroup","domain_code":4,"time_ns":T,"gno":1,"mask":0,"mask_names":[]}
{"type":"sick","type_code":3,"domain":"inode","domain_code":3,"time_ns":T,"ino":I,"gen":G,"mask":32,"mask_names":["xattr"]}
{"type":"shutdown","type_code":6,"domain":"mount","domain_code":0,"time_ns":T,"reasons":32,"reasons_names":["device_removed"]}
{"type":"sick","type_code":3,"domain":"fs","domain_code":1,"time_ns":T,"mask":256,"mask_names":["metadir"]}
{"type":"sick","type_code":3,"domain":"ag","domain_code":2,"time_ns":T,"gno":1,"mask":64,"mask_names":["inobt"]}
{"type":"sick","type_code":3,"domain":"rtgroup","domain_code":4,"time_ns":T,"gno":1,"mask":0,"mask_names":[]}
{"type":"sick","type_code":3,"domain":"inode","domain_code":3,"time_ns":T,"ino":I,"gen":G,"mask":64,"mask_names":["symlink"]}
{"type":"sick","type_code":3,"domain":"fs","domain_code":1,"time_ns":T,"mask":512,"mask_names":["metapath"]}
{"type":"sick","type_code":3,"domain":"ag","domain_code":2,"time_ns":T,"gno":1,"mask":128,"mask_names":["finobt"]}
{"type":"sick","type_code":3,"domain":"inode","domain_code":3,"time_ns":T,"ino":I,"gen":G,"mask":128,"mask_names":["parent"]}
{"type":"sick","type_code":3,"domain":"fs","domain_code":1,"time_ns":T,"mask":0,"mask_names":[]}
{"type":"sick","type_code":3,"domain":"ag","domain_code":2,"time_ns":T,"gno":1,"mask":256,"mask_names":["rmapbt"]}
{"type":"sick","type_code":3,"domain":"inode","domain_code":3,"time_ns":T,"ino":I,"gen":G,"mask":2,"mask_names":["datafork"]}
{"type":"sick","type_code":3,"domain":"fs","domain_code":1,"time_ns":T,"mask":0,"mask_names":[]}
{"type":"sick","type_code":3,"domain":"ag","domain_code":2,"time_ns":T,"gno":1,"mask":512,"mask_names":["refcountbt"]}
{"type":"sick","type_code":3,"domain":"inode","domain_code":3,"time_ns":T,"ino":I,"gen":G,"mask":4,"mask_names":["attrfork"]}
{"type":"sick","type_code":3,"domain":"fs","domain_code":1,"time_ns":T,"mask":0,"mask_names":[]}
{"type":"sick","type_code":3,"domain":"ag","domain_code":2,"time_ns":T,"gno":1,"mask":1024,"mask_names":["inodes"]}
{"type":"sick","type_code":3,"domain":"inode","domain_code":3,"time_ns":T,"ino":I,"gen":G,"mask":16,"mask_names":["directory"]}
{"type":"sick","type_code":3,"domain":"fs","domain_code":1,"time_ns":T,"mask":0,"mask_names":[]}
{"type":"sick","type_code":3,"domain":"ag","domain_code":2,"time_ns":T,"gno":1,"mask":0,"mask_names":[]}
{"type":"sick","type_code":3,"domain":"inode","domain_code":3,"time_ns":T,"ino":I,"gen":G,"mask":64,"mask_names":["symlink"]}
{"type":"sick","type_code":3,"domain":"fs","domain_code":1,"time_ns":T,"mask":0,"mask_names":[]}
{"type":"sick","type_code":3,"domain":"ag","domain_code":2,"time_ns":T,"gno":1,"mask":0,"mask_names":[]}
{"type":"corrupt","type_code":4,"domain":"fs","domain_code":1,"time_ns":T,"mask":975,"mask_names":["fscounters","usrquota","grpquota","prjquota","quotacheck","nlinks","metadir","metapath"]}
{"type":"corrupt","type_code":4,"domain":"ag","domain_code":2,"time_ns":T,"gno":0,"mask":2047,"mask_names":["super","agf","agfl","agi","bnobt","cntbt","inobt","finobt","rmapbt","refcountbt","inodes"]}
{"type":"healthy","type_code":5,"domain":"fs","domain_code":1,"time_ns":T,"mask":15,"mask_names":["fscounters","usrquota","grpquota","prjquota"]}
{"type":"corrupt","type_code":4,"domain":"rtgroup","domain_code":4,"time_ns":T,"gno":0,"mask":31,"mask_names":["super","bitmap","summary","rmapbt","refcountbt"]}
{"type":"corrupt","type_code":4,"domain":"inode","domain_code":3,"time_ns":T,"ino":I,"gen":G,"mask":255,"mask_names":["core","datafork","attrfork","cowfork","directory","xattr","symlink","parent"]}
{"type":"healthy","type_code":5,"domain":"ag","domain_code":2,"time_ns":T,"gno":0,"mask":3,"mask_names":["super","agf"]}
{"type":"shutdown","type_code":6,"domain":"mount","domain_code":0,"time_ns":T,"reasons":63,"reasons_names":["meta_io_error","log_io_error","force_umount","corrupt_incore","corrupt_ondisk","device_removed"]}
{"type":"healthy","type_code":5,"domain":"rtgroup","domain_code":4,"time_ns":T,"gno":0,"mask":1,"mask_names":["super"]}
{"type":"buffered_read","type_code":8,"domain":"filerange","domain_code":8,"time_ns":T,"ino":I,"gen":G,"pos":1,"len":2,"error":200,"error_text":"Unknown error 200"}
{"type":"healthy","type_code":5,"domain":"inode","domain_code":3,"time_ns":T,"ino":I,"gen":G,"mask":1,"mask_names":["core"]}
{"type":"media_error","type_code":7,"domain":"datadev","domain_code":5,"time_ns":T,"daddr":999,"bbcount":1}
{"type":"unmount","type_code":2,"domain":"mount","domain_code":0,"time_ns":T}
== the Prometheus file
# HELP xfs_healthmon_records_total Health monitor records read, by type and domain.
# TYPE xfs_healthmon_records_total counter
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="buffered_read",domain="filerange"} 2
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="buffered_write",domain="filerange"} 1
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="corrupt",domain="ag"} 1
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="corrupt",domain="fs"} 1
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="corrupt",domain="inode"} 1
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="corrupt",domain="rtgroup"} 1
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="data_lost",domain="filerange"} 1
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="directio_read",domain="filerange"} 1
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="directio_write",domain="filerange"} 1
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="healthy",domain="ag"} 1
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="healthy",domain="fs"} 1
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="healthy",domain="inode"} 1
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="healthy",domain="rtgroup"} 1
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="media_error",domain="datadev"} 2
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="media_error",domain="logdev"} 1
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="media_error",domain="rtdev"} 1
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="running",domain="mount"} 1
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="shutdown",domain="mount"} 7
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="sick",domain="ag"} 13
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="sick",domain="fs"} 13
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="sick",domain="inode"} 12
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="sick",domain="rtgroup"} 7
xfs_healthmon_records_total{mount="SCRATCH_MNT",type="unmount",domain="mount"} 1
# HELP xfs_healthmon_lost_events_total Events the kernel could not queue (the LOST records' counts).
# TYPE xfs_healthmon_lost_events_total counter
xfs_healthmon_lost_events_total{mount="SCRATCH_MNT"} 0
# HELP xfs_healthmon_last_record_timestamp_seconds When the newest record was queued.
# TYPE xfs_healthmon_last_record_timestamp_seconds gauge
xfs_healthmon_last_record_timestamp_seconds{mount="SCRATCH_MNT"} T
# HELP xfs_healthmon_mounted Whether the monitored filesystem is still mounted.
# TYPE xfs_healthmon_mounted gauge
xfs_healthmon_mounted{mount="SCRATCH_MNT"} 0
== --nonblock, stopped by SIGTERM
watch exit status 0
SCRATCH_MNT: monitoring started
SCRATCH_MNT ino INO gen GEN core: sick
xfs-healthmon: SCRATCH_MNT: 2 records (running 1, sick 1), 0 events lost
== blocking, stopped by SIGINT
watch exit status 0
xfs-healthmon: SCRATCH_MNT: 1 records (running 1), 0 events lost
