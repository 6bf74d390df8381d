"""0001: composite unique keys, through concurrent indexes"""

from batch import run

revision, down_revision, branch_labels, depends_on = "0001", None, None, None


def upgrade():
    run("0001_unique_constraints")


def downgrade():
    run("0001_unique_constraints", rollback=True)
