-- sqitch deploy of 0002_foreign_keys: the batch chosen with --set batch=safe (default) or unsafe
\ir ../../../:batch/0002_foreign_keys.sql
