-- sqitch deploy of 0007_category_backfill: the batch chosen with --set batch=safe (default) or unsafe
\ir ../../../:batch/0007_category_backfill.sql
