QA output created by 006
lossy: 100 reports under failing kmalloc-64 allocations (0 commands failed)
lossy: media records read 0, events lost 100
