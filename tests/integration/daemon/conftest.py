"""Fixtures of the daemon integration tests: a manual clock and the local API server driven by it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitor.core.clock import ManualClock
from monitor.demo.apiserver import LocalApiServer
from tests.integration.daemon.helpers import T0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def server(clock: ManualClock) -> Iterator[LocalApiServer]:
    api = LocalApiServer(clock=clock.now, bookmark_interval_seconds=0.2).start()
    try:
        yield api
    finally:
        api.stop()
