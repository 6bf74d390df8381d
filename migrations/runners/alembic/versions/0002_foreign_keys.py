"""0002: missing foreign keys, NOT VALID"""

from batch import run

revision, down_revision, branch_labels, depends_on = "0002", "0001", None, None


def upgrade():
    run("0002_foreign_keys")


def downgrade():
    run("0002_foreign_keys", rollback=True)
