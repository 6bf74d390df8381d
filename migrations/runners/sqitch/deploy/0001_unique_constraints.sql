-- sqitch deploy of 0001_unique_constraints: the batch chosen with --set batch=safe (default) or unsafe
\ir ../../../:batch/0001_unique_constraints.sql
