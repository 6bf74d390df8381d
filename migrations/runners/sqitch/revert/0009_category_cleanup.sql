-- sqitch revert of 0009_category_cleanup
\ir ../../../safe/rollback/0009_category_cleanup.sql
