"""Chinchilla-optimal allocation against Hoffmann et al. 2022, Table 3."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estimator.errors import InvalidRunError
from estimator.scaling import chinchilla_optimal, training_compute_flops

# Hoffmann et al. 2022 Table 3 (approach 1): FLOPs -> (parameters, tokens).
TABLE_3 = [
    (1.21e20, 1e9, 20.2e9),
    (1.23e22, 10e9, 205.1e9),
    (5.76e23, 67e9, 1.5e12),
    (3.85e24, 175e9, 3.7e12),
]


@pytest.mark.parametrize(("flops", "params", "tokens"), TABLE_3)
def test_matches_chinchilla_table_3(flops: float, params: float, tokens: float) -> None:
    result = chinchilla_optimal(flops)
    assert result.params == pytest.approx(params, rel=0.08)
    assert result.tokens == pytest.approx(tokens, rel=0.08)


def test_chinchilla_itself() -> None:
    # Chinchilla: 70B parameters on 1.4T tokens.
    result = chinchilla_optimal(training_compute_flops(70e9, 1.4e12))
    assert result.params == pytest.approx(70e9, rel=0.01)
    assert result.tokens == pytest.approx(1.4e12, rel=0.01)


@given(st.floats(min_value=1e15, max_value=1e30))
def test_allocation_spends_the_whole_budget(flops: float) -> None:
    result = chinchilla_optimal(flops)
    assert 6 * result.params * result.tokens == pytest.approx(flops, rel=1e-9)
    assert result.tokens / result.params == pytest.approx(20.0)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan])
def test_bad_budget_is_rejected(bad: float) -> None:
    with pytest.raises(InvalidRunError) as info:
        chinchilla_optimal(bad)
    assert info.value.field == "compute_flops"
