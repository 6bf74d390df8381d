-- sqitch revert of 0004_checks
\ir ../../../safe/rollback/0004_checks.sql
