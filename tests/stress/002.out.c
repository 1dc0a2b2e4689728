QA output created by 002
sigdata: 200 records with a signal each
sigdata: end of stream while attached: (not checked on C)
sigdata: reads interrupted although a record was queued: 0
