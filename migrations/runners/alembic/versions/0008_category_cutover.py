"""0008: category fix 2/3: two-way sync, foreign key, NOT NULL"""

from batch import run

revision, down_revision, branch_labels, depends_on = "0008", "0007", None, None


def upgrade():
    run("0008_category_cutover")


def downgrade():
    run("0008_category_cutover", rollback=True)
