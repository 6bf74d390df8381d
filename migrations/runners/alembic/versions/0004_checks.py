"""0004: CHECK constraints, NOT VALID"""

from batch import run

revision, down_revision, branch_labels, depends_on = "0004", "0003", None, None


def upgrade():
    run("0004_checks")


def downgrade():
    run("0004_checks", rollback=True)
