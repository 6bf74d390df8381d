-- sqitch deploy of 0004_checks: the batch chosen with --set batch=safe (default) or unsafe
\ir ../../../:batch/0004_checks.sql
