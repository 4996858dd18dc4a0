"""monitor.core.domain.quantities is the one Kubernetes quantity parser (the cache, attribution and pricing identity
all use
it); it must read every well-formed quantity exactly as the official client's `kubernetes.utils.parse_quantity` does
(kubernetes-client/python, kubernetes/utils/quantity.py), which the cache used before."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from kubernetes.utils import parse_quantity as client_parse_quantity

from monitor.core.domain.quantities import parse_quantity_or_zero

_SUFFIXES = ["", "m", "k", "M", "G", "T", "Ki", "Mi", "Gi", "Ti", "n", "u", "e3", "E-2"]
_numbers = st.one_of(
    st.integers(0, 10**12).map(str),
    st.decimals(0, 10**6, places=3, allow_nan=False, allow_infinity=False).map(lambda d: format(d, "f")),
)


@given(number=_numbers, suffix=st.sampled_from(_SUFFIXES))
def test_every_well_formed_quantity_reads_as_the_client_reads_it(number: str, suffix: str) -> None:
    text = number + suffix
    assert parse_quantity_or_zero(text) == Decimal(client_parse_quantity(text))


def test_absent_and_junk_quantities_are_zero_not_an_error() -> None:
    assert parse_quantity_or_zero(None) == 0
    assert parse_quantity_or_zero("lots") == 0
    assert parse_quantity_or_zero("5 Gi") == 0
