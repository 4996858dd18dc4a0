"""Alembic environment and versions of the trainspend schema (run through monitor.adapters.store.migrate)."""
