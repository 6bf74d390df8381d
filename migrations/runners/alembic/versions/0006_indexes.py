"""0006: performance indexes, CONCURRENTLY"""

from batch import run

revision, down_revision, branch_labels, depends_on = "0006", "0005", None, None


def upgrade():
    run("0006_indexes")


def downgrade():
    run("0006_indexes", rollback=True)
