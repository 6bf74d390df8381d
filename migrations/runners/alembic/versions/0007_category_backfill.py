"""0007: category fix 1/3: category_id and a batched backfill"""

from batch import run

revision, down_revision, branch_labels, depends_on = "0007", "0006", None, None


def upgrade():
    run("0007_category_backfill")


def downgrade():
    run("0007_category_backfill", rollback=True)
