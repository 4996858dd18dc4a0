"""Kubernetes resource quantities ("500m", "64Gi", "1e3") and human token counts ("2e9", "2B", "500M").

Quantities follow the Kubernetes API's `resource.Quantity` grammar (k8s.io/apimachinery/pkg/api/resource/quantity.go):
a signed decimal number, then either a binary SI suffix (Ki Mi Gi Ti Pi Ei = 2^10 .. 2^60), a decimal SI suffix
(n u m "" k M G T P E = 10^-9 .. 10^18) or a decimal exponent (e3, E-2). Parsing is exact (Decimal).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$")
# Token counts as people write them: "2e9", "2_000_000_000", "2B" (billion), "500M", "1.5T", "300k".
_COUNT = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([kKmMbBgGtT]?)$")
_COUNT_SUFFIX = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9, "g": 10**9, "t": 10**12}
# Longest text read as a number: "2_000_000_000_000" is 17; a longer value is not a quantity but a payload.
MAX_NUMBER_CHARS = 64
# The largest count taken: 10^18 tokens, 5 orders of magnitude above the largest published training run (Llama 3,
# 15.6e12 tokens, arXiv:2407.21783 §3.1); far beyond it an estimate is meaningless and its ETA overflows a datetime.
MAX_COUNT = 1e18


class QuantityError(ValueError):
    """A quantity that does not parse; the message names the field, the value and the fix."""

    def __init__(self, field: str, value: str, fix: str) -> None:
        self.field = field
        self.value = value
        self.fix = fix
        super().__init__(f"{field}={value!r}: {fix}")


def parse_quantity(value: str, field: str = "quantity") -> Decimal:
    """Exact value of a Kubernetes quantity: "500m" -> 0.5, "64Gi" -> 68719476736, "1e3" -> 1000."""
    text = value.strip()
    fix = 'use a Kubernetes quantity such as "2", "500m", "64Gi" or "1e3"'
    match = _QUANTITY.match(text) if len(text) <= MAX_NUMBER_CHARS else None
    if match is None:
        raise QuantityError(field, value[:MAX_NUMBER_CHARS], fix)
    number = Decimal(match.group(1))
    suffix = match.group(2) or ""
    try:
        if suffix in _BINARY:
            return number * _BINARY[suffix]
        if suffix in _DECIMAL:
            return number * _DECIMAL[suffix]
        return number * (Decimal(10) ** int(suffix[1:]))
    except ArithmeticError:  # decimal.Overflow: "1e999999999" is beyond Decimal's exponent range
        raise QuantityError(field, value, fix + " (this one overflows)") from None


def quantity_or_zero(resources: Mapping[str, str], name: str) -> Decimal:
    """`resources[name]` as a Decimal; absent or unparseable -> 0 (a bad quantity must not stop the accounting)."""
    return parse_quantity_or_zero(resources.get(name), name)


def parse_quantity_or_zero(raw: str | None, field: str = "quantity") -> Decimal:
    """`parse_quantity(raw)`, but 0 when absent or unparseable: the API server validates quantities, so junk only
    comes from a broken object, and one broken object must not stop the cache or the accounting."""
    if raw is None:
        return Decimal(0)
    try:
        return parse_quantity(raw, field)
    except QuantityError:
        return Decimal(0)


def parse_count(value: str, field: str = "count") -> float:
    """A positive count of tokens/items: "2e9", "2_000_000_000", "2B", "500M", "1.5T", "300k" (B and G = 10^9),
    at most `MAX_COUNT`."""
    text = value.strip().replace("_", "").replace(",", "")
    match = _COUNT.match(text) if len(text) <= MAX_NUMBER_CHARS else None
    fix = f'use a positive number up to {MAX_COUNT:.0e} such as "2e9", "2000000000", "2B", "500M" or "1.5T"'
    if match is None:
        raise QuantityError(field, value[:MAX_NUMBER_CHARS], fix)
    try:
        number = Decimal(match.group(1)) * _COUNT_SUFFIX[match.group(2).lower()]
    except ArithmeticError:  # decimal.Overflow of "1e999999999" (InvalidOperation is one too)
        raise QuantityError(field, value, fix) from None
    count = float(number)
    if not (0 < count <= MAX_COUNT):  # also rejects inf and what underflows to 0.0
        raise QuantityError(field, value, fix)
    return count
