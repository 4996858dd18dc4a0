from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.core.domain.quantities import QuantityError, parse_count, parse_quantity, quantity_or_zero


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500m", Decimal("0.5")),
        ("2", Decimal(2)),
        ("64Gi", Decimal(64 * 2**30)),
        ("1e3", Decimal(1000)),
        ("1.5E-3", Decimal("0.0015")),
        ("128974848", Decimal(128974848)),
        ("129M", Decimal(129_000_000)),
        ("123Mi", Decimal(123 * 2**20)),
        ("100k", Decimal(100_000)),
        (".5", Decimal("0.5")),
        ("250u", Decimal("0.00025")),
    ],
)
def test_parse_quantity_follows_kubernetes_grammar(text, expected):
    assert parse_quantity(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "5 Gi", "1.2.3", "10GB", "Gi"])
def test_bad_quantity_names_field_value_and_fix(text):
    with pytest.raises(QuantityError) as caught:
        parse_quantity(text, "memory")
    assert caught.value.field == "memory"
    assert f"memory={text!r}" in str(caught.value)
    assert "64Gi" in caught.value.fix


def test_quantity_or_zero_tolerates_missing_and_bad_values():
    resources = {"cpu": "2500m", "memory": "oops"}
    assert quantity_or_zero(resources, "cpu") == Decimal("2.5")
    assert quantity_or_zero(resources, "memory") == 0
    assert quantity_or_zero(resources, "nvidia.com/gpu") == 0


@given(st.integers(min_value=0, max_value=10**12))
def test_binary_suffixes_scale_exactly(n):
    assert parse_quantity(f"{n}Ki") == n * 1024
    assert parse_quantity(f"{n}Gi") == n * 2**30


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2e9", 2e9),
        ("2B", 2e9),
        ("500M", 5e8),
        ("1.5T", 1.5e12),
        ("300k", 3e5),
        ("2_000_000_000", 2e9),
        ("15G", 1.5e10),
    ],
)
def test_parse_count_accepts_human_token_counts(text, expected):
    assert parse_count(text) == expected


@pytest.mark.parametrize("text", ["0", "-5", "two billion", "2X", ""])
def test_parse_count_rejects_non_positive_and_garbage(text):
    with pytest.raises(QuantityError, match="2e9"):
        parse_count(text, "tokens")
