"""Alembic environment: runs migrations on the connection the case store hands over."""

from __future__ import annotations

from alembic import context

from threadline.store.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only the case store runs migrations
    raise RuntimeError("migrations run through threadline.store.database.open_case_store")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
