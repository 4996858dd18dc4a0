"""The one backoff rule (monitor.core.backoff): the invariants every caller relies on."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.core.backoff import backoff_seconds

_bases = st.floats(0.01, 100.0)
_caps = st.floats(0.01, 86_400.0)
_retries = st.integers(0, 5_000)  # far past where 2^retry overflows a float


@given(retry=_retries, base=_bases, cap=_caps, seed=st.integers(0, 2**32))
def test_every_jitter_stays_within_the_capped_exponential(retry: int, base: float, cap: float, seed: int) -> None:
    d = min(cap, base * 2.0 ** min(retry, 64))
    assert backoff_seconds(retry, base_seconds=base, max_seconds=cap, jitter="none") == d
    equal = backoff_seconds(retry, base_seconds=base, max_seconds=cap, jitter="equal", rng=random.Random(seed))
    assert d / 2 <= equal <= d
    full = backoff_seconds(retry, base_seconds=base, max_seconds=cap, jitter="full", rng=random.Random(seed))
    assert 0.0 <= full <= d


@given(retry=st.integers(0, 200), base=_bases, cap=_caps)
def test_without_jitter_the_delay_never_shrinks_and_reaches_the_cap(retry: int, base: float, cap: float) -> None:
    now = backoff_seconds(retry, base_seconds=base, max_seconds=cap, jitter="none")
    later = backoff_seconds(retry + 1, base_seconds=base, max_seconds=cap, jitter="none")
    assert now <= later <= cap
    assert backoff_seconds(10_000, base_seconds=base, max_seconds=cap, jitter="none") == cap


def test_the_first_retries_double_from_the_base() -> None:
    delays = [backoff_seconds(r, base_seconds=5.0, max_seconds=300.0, jitter="none") for r in range(8)]
    assert delays == [5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0]


def test_jitter_without_a_random_source_is_refused() -> None:
    with pytest.raises(ValueError, match="rng"):
        backoff_seconds(1, base_seconds=1.0, max_seconds=10.0, jitter="full")
