QA output created by 001
readers: 200 records read by two readers
readers: end of stream while attached: (not checked on C)
readers: 2 of 2 returned at the end of the stream, UNMOUNT records 1
