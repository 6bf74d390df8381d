-- sqitch revert of 0005_validate_checks
\ir ../../../safe/rollback/0005_validate_checks.sql
