-- sqitch revert of 0001_unique_constraints
\ir ../../../safe/rollback/0001_unique_constraints.sql
