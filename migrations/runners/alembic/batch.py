"""Run one SQL file of the batch through Alembic's connection, statement by statement.

The file is split with sqlparse (dollar quotes and comments understood) and each statement
executed on the DBAPI cursor, so PostgreSQL's errors (audit's refusals with their DETAIL and
HINT included) reach Alembic's output unchanged, and NOTICEs (the backfill's row counts) are
printed.
"""

import os
import pathlib

import sqlparse
from alembic import op

MIGRATIONS = pathlib.Path(__file__).resolve().parents[2]


def run(name, rollback=False):
    batch = os.environ.get("AUDIT_BATCH", "safe")
    path = MIGRATIONS / "safe" / "rollback" / f"{name}.sql" if rollback else MIGRATIONS / batch / f"{name}.sql"
    dbapi = op.get_bind().connection.dbapi_connection
    cursor = dbapi.cursor()
    for statement in sqlparse.split(path.read_text()):
        if not sqlparse.format(statement, strip_comments=True).strip():
            continue
        cursor.execute(statement)
        for notice in dbapi.notices:
            print(notice.strip())
        del dbapi.notices[:]
