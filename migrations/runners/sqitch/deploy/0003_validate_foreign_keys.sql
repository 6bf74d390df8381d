-- sqitch deploy of 0003_validate_foreign_keys: the batch chosen with --set batch=safe (default) or unsafe
\ir ../../../:batch/0003_validate_foreign_keys.sql
