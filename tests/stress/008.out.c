QA output created by 008
wakeone: 20 of 20 records woke 9 of 16 waiters
wakeone: records read 20
