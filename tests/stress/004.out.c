QA output created by 004
unmount: ROUNDS unmounts, every reader returned, one UNMOUNT each, balanced
unmount: end of stream while attached: (not checked on C)
xfs.ko unloaded
