-- sqitch revert of 0002_foreign_keys
\ir ../../../safe/rollback/0002_foreign_keys.sql
