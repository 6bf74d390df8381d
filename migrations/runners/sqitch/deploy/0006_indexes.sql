-- sqitch deploy of 0006_indexes: the batch chosen with --set batch=safe (default) or unsafe
\ir ../../../:batch/0006_indexes.sql
