"""0009: category fix 3/3: drop the old column (off unless recipe.cleanup = on)"""

from batch import run

revision, down_revision, branch_labels, depends_on = "0009", "0008", None, None


def upgrade():
    run("0009_category_cleanup")


def downgrade():
    run("0009_category_cleanup", rollback=True)
