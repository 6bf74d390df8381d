-- sqitch revert of 0003_validate_foreign_keys
\ir ../../../safe/rollback/0003_validate_foreign_keys.sql
