-- sqitch revert of 0006_indexes
\ir ../../../safe/rollback/0006_indexes.sql
