-- sqitch revert of 0008_category_cutover
\ir ../../../safe/rollback/0008_category_cutover.sql
