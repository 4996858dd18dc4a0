"""Kubernetes resource quantities ("500m", "64Gi", "1e3") and human token counts ("2e9", "2B", "500M").

Quantities follow the Kubernetes API's `resource.Quantity` grammar (k8s.io/apimachinery/pkg/api/resource/quantity.go):
a signed decimal number, then either a binary SI suffix (Ki Mi Gi Ti Pi Ei = 2^10 .. 2^60), a decimal SI suffix
(n u m "" k M G T P E = 10^-9 .. 10^18) or a decimal exponent (e3, E-2). Parsing is exact (Decimal).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

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
    match = _QUANTITY.match(text)
    if match is None:
        raise QuantityError(field, value, 'use a Kubernetes quantity such as "2", "500m", "64Gi" or "1e3"')
    number = Decimal(match.group(1))
    suffix = match.group(2) or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    return number * (Decimal(10) ** int(suffix[1:]))


def quantity_or_zero(resources: Mapping[str, str], name: str) -> Decimal:
    """`resources[name]` as a Decimal; absent or unparseable -> 0 (a bad quantity must not stop the accounting)."""
    raw = resources.get(name)
    if raw is None:
        return Decimal(0)
    try:
        return parse_quantity(raw, name)
    except QuantityError:
        return Decimal(0)


def parse_count(value: str, field: str = "count") -> float:
    """A positive count of tokens/items: "2e9", "2_000_000_000", "2B", "500M", "1.5T", "300k" (B and G = 10^9)."""
    text = value.strip().replace("_", "").replace(",", "")
    match = _COUNT.match(text)
    fix = 'use a positive number such as "2e9", "2000000000", "2B", "500M" or "1.5T"'
    if match is None:
        raise QuantityError(field, value, fix)
    try:
        number = Decimal(match.group(1)) * _COUNT_SUFFIX[match.group(2).lower()]
    except InvalidOperation as error:  # pragma: no cover - the regex admits only valid decimals
        raise QuantityError(field, value, fix) from error
    if number <= 0:
        raise QuantityError(field, value, fix)
    return float(number)
