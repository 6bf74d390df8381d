-- sqitch deploy of 0009_category_cleanup: the batch chosen with --set batch=safe (default) or unsafe
\ir ../../../:batch/0009_category_cleanup.sql
