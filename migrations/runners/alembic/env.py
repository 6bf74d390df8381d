"""Alembic environment: one autocommit connection, as psql runs a file.

Each statement of a migration commits on its own, so CREATE INDEX CONCURRENTLY and the
backfill's batches (DO blocks that COMMIT) run as they would from psql; the migrations make
their own transactions where they need them.
"""

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine

fileConfig(context.config.config_file_name)

engine = create_engine(os.environ["AUDIT_DATABASE_URL"], isolation_level="AUTOCOMMIT")
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None, transactional_ddl=False)
    with context.begin_transaction():
        context.run_migrations()
