-- sqitch deploy of 0008_category_cutover: the batch chosen with --set batch=safe (default) or unsafe
\ir ../../../:batch/0008_category_cutover.sql
