"""In-memory fakes for the pricing unit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.core.domain.model import NodeIdentity, Price


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


class ScriptedFetcher:
    """Answers from a script: each call pops the next item; an exception item is raised."""

    name = "fake-api"

    def __init__(self, clock: FakeClock, script: list[float | Exception | None]) -> None:
        self._clock = clock
        self._script = list(script)
        self.calls = 0

    def applies_to(self, node: NodeIdentity) -> bool:
        return node.provider == "aws"

    def fetch(self, node: NodeIdentity) -> Price | None:
        self.calls += 1
        item = self._script.pop(0)
        if isinstance(item, Exception):
            raise item
        if item is None:
            return None
        now = self._clock.now()
        return Price(usd_per_hour=item, source=self.name, as_of=now.date(), fetched_at=now)


def must(price: Price | None) -> Price:
    """The price, failing the test when a source had no answer."""
    assert price is not None, "expected a price, got no answer"
    return price
