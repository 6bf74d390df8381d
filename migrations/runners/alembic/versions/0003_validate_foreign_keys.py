"""0003: validate the foreign keys"""

from batch import run

revision, down_revision, branch_labels, depends_on = "0003", "0002", None, None


def upgrade():
    run("0003_validate_foreign_keys")


def downgrade():
    run("0003_validate_foreign_keys", rollback=True)
