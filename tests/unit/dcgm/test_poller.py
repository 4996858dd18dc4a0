"""The poller hands the tick the last good reading while it is fresh, keeps it through failed fetches until it is
stale, and counts failures (whole fetches and single endpoints)."""

from __future__ import annotations

from monitor.adapters.dcgm.poller import UtilizationPoller
from monitor.core.errors import UtilizationError


class Fetcher:
    def __init__(self) -> None:
        self.answer: dict[tuple[str, str], float] | None = {("ml", "p"): 0.5}
        self.partial_errors = 0
        self.closed = False

    def fetch(self) -> dict[tuple[str, str], float]:
        if self.answer is None:
            raise UtilizationError("down")
        return dict(self.answer)

    def close(self) -> None:
        self.closed = True


def test_fresh_kept_through_failures_then_stale() -> None:
    now = [100.0]
    fetcher = Fetcher()
    poller = UtilizationPoller(fetcher, stale_after_seconds=60, monotonic=lambda: now[0])
    assert poller.utilization() == {}  # never fetched
    poller.refresh()
    assert poller.utilization() == {("ml", "p"): 0.5}
    fetcher.answer = None
    now[0] += 30
    poller.refresh()
    assert poller.utilization() == {("ml", "p"): 0.5}  # the last good reading, 30 s old
    now[0] += 31
    assert poller.utilization() == {}  # 61 s old: no reading rather than an old one
    fetcher.partial_errors = 2
    assert poller.api_errors == 3
    fetcher.answer = {("ml", "p"): 0.1}
    poller.refresh()
    assert poller.utilization() == {("ml", "p"): 0.1}
    poller.close()
    assert fetcher.closed
