"""Opens the store from settings: the engine, the schema check and the three SQL adapters that share the engine.

The composition root asks for an `OpenStore` and never sees SQLAlchemy: a database that cannot be reached or used
arrives as a `StoreUnavailableError` (a `StoreError`) with SQLAlchemy's exception chained as the cause.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from monitor.adapters.store.engine import create_store_engine
from monitor.adapters.store.last_prices import SqlLastGoodPrices
from monitor.adapters.store.migrate import ensure_schema
from monitor.adapters.store.outbox import SqlOutbox
from monitor.adapters.store.repository import SqlStore
from monitor.config.settings import StoreSettings
from monitor.core.errors import StoreUnavailableError


@dataclass(frozen=True)
class OpenStore:
    """The adapters over one database; `close()` releases its connections."""

    store: SqlStore
    outbox: SqlOutbox
    last_prices: SqlLastGoodPrices
    _engine: Engine

    def close(self) -> None:
        self._engine.dispose()


def open_store(settings: StoreSettings) -> OpenStore:
    """Creates the engine and checks (or, with `auto_upgrade`, upgrades) the schema before anything uses it."""
    engine = create_store_engine(settings.url)
    try:
        ensure_schema(engine, auto_upgrade=settings.auto_upgrade)
    except SQLAlchemyError as exc:
        engine.dispose()
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StoreUnavailableError(f"cannot use the database ({first_line})") from exc
    return OpenStore(SqlStore(engine), SqlOutbox(engine), SqlLastGoodPrices(engine), engine)
