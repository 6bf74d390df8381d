-- sqitch deploy of 0005_validate_checks: the batch chosen with --set batch=safe (default) or unsafe
\ir ../../../:batch/0005_validate_checks.sql
