"""`SqlLastGoodPrices`: the `monitor.core.ports.LastGoodPrices` over SQLAlchemy (table `last_good_prices`)."""

from __future__ import annotations

import logging
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import Engine, select

from monitor.adapters.store import tables as t
from monitor.adapters.store.engine import write_transaction
from monitor.adapters.store.types import require_aware
from monitor.adapters.store.upsert import insert_for
from monitor.core.domain.model import Price

log = logging.getLogger(__name__)


class SqlLastGoodPrices:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def load(self, source: str) -> dict[str, Price]:
        """key -> last good price of `source`; a row that no longer validates is skipped (and said so)."""
        table = t.last_good_prices
        found: dict[str, Price] = {}
        with self._engine.connect() as conn:
            for key, data in conn.execute(select(table.c.key, table.c.price).where(table.c.source == source)):
                try:
                    found[key] = Price.model_validate(data)
                except ValidationError as error:
                    log.warning("last good price %s/%s unreadable, ignored: %s", source, key, error)
        return found

    def save(self, source: str, key: str, price: Price, at: datetime) -> None:
        table = t.last_good_prices
        values = {
            "source": source,
            "key": key,
            "price": price.model_dump(mode="json"),
            "updated_at": require_aware("at", at),
        }
        with write_transaction(self._engine) as conn:
            stmt = insert_for(conn, table).values(**values)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["source", "key"],
                    set_={"price": stmt.excluded.price, "updated_at": stmt.excluded.updated_at},
                )
            )
