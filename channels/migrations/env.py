"""Alembic's entry point: runs the revisions of versions/ on the connection `channels.schema` hands over.

Every revision is compared against `channels.db.Base.metadata`, which holds the tables of the
gateway, the mediator console and the editor console. SQLite cannot alter most things in place,
so operations are rendered in batch mode (copy, alter, swap), which PostgreSQL runs as plain ALTERs.
"""

from __future__ import annotations

from alembic import context

from channels.db import Base
from channels.schema import register_tables

register_tables()
connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
