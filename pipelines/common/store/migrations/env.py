"""Alembic's environment: migrations run on the connection database.migrate() hands over (never a URL of their own).

A new migration: `.venv/bin/alembic -c pipelines/common/store/alembic.ini revision -m "what changes"` (the app's own
GS_DATABASE_URL / data folder), then write its upgrade() and downgrade() by hand; tables.py is the model it follows.
"""

from alembic import context

from pipelines.common.store.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # the alembic command line: the app's own database
    from pipelines.common.store.database import database_url, make_engine

    connection = make_engine(database_url()).connect()

if connection.dialect.name == "postgresql":
    # Replicas starting at once: one migrates, the others wait here, then find nothing left to do.
    # A transaction-level lock, released when the migration's transaction ends.
    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7860020)")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
