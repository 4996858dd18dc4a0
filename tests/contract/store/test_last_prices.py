"""Last good prices: saved per (source, node identity key), replaced on update, loaded per source."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine

from monitor.adapters.store.last_prices import SqlLastGoodPrices
from monitor.core.domain.model import Price
from tests.contract.store.builders import T0


def price(usd: float) -> Price:
    return Price(usd_per_hour=usd, source="aws-spot-history", as_of=date(2026, 11, 10), fetched_at=T0, detail="z")


def test_saved_prices_round_trip_per_source_and_the_newest_wins(engine: Engine) -> None:
    memory = SqlLastGoodPrices(engine)
    assert memory.load("aws") == {}
    memory.save("aws", "aws|us-east-1|us-east-1b|g5.xlarge|spot|", price(0.42), T0)
    memory.save("aws", "aws|us-east-1|us-east-1b|g5.xlarge|spot|", price(0.47), T0 + timedelta(hours=1))
    memory.save("azure", "azure|eastus||ND96|on-demand|", price(98.32), T0)
    assert memory.load("aws") == {"aws|us-east-1|us-east-1b|g5.xlarge|spot|": price(0.47)}
    assert list(SqlLastGoodPrices(engine).load("azure").values()) == [price(98.32)]  # a new process reads them too
