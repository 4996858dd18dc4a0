"""Persistence (SQLAlchemy 2 + Alembic; SQLite or PostgreSQL).

Public API: `engine.create_store_engine(url)`, `migrate.ensure_schema(engine, auto_upgrade=...)` /
`migrate.upgrade_to_head(url)`, `repository.SqlStore(engine)` (the Store port), `outbox.SqlOutbox(engine)` (the
Outbox port).
"""
