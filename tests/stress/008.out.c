QA output created by 008
passon: 20 of 20 records read in halves by two readers
passon: 20 of 20 records read in halves by two faulting readers
wakeone: 20 of 20 records woke 9 of 16 waiters
wakeone: records read 20
