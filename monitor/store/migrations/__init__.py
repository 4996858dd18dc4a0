"""Alembic environment and versions of the trainspend schema (run through monitor.store.migrate)."""
