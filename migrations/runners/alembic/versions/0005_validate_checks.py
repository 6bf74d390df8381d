"""0005: validate the CHECK constraints"""

from batch import run

revision, down_revision, branch_labels, depends_on = "0005", "0004", None, None


def upgrade():
    run("0005_validate_checks")


def downgrade():
    run("0005_validate_checks", rollback=True)
