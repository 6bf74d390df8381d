-- sqitch revert of 0007_category_backfill
\ir ../../../safe/rollback/0007_category_backfill.sql
