"""The estimator accuracy table of README.md, as markdown rows computed by `python -m benchmarks estimator_accuracy`.

The benchmark prints these rows last (check | target | result); README's "How the estimator works, and how accurate it
is" table is these rows pasted, so every figure there is one the benchmark printed, not typed.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def pct(value: float, signed: bool = False) -> str:
    """0.052 → '5.2 %' (signed: '+5.2 %' / '−5.2 %', with a true minus sign as in the README)."""
    text = f"{abs(value) * 100:.1f} %"
    if not signed:
        return text
    return ("−" if value < 0 else "+") + text


def spread(errors: Sequence[float]) -> str:
    """'median a %, max b %' of the absolute errors."""
    magnitudes = [abs(e) for e in errors]
    return f"median {pct(statistics.median(magnitudes))}, max {pct(max(magnitudes))}"


def render(rows: Sequence[tuple[str, str, str]]) -> str:
    """Markdown table lines of (check, target, result) rows, with the header README's table has."""
    lines = ["| check | target | result |", "|---|---|---|"]
    lines += [f"| {check} | {target} | {result} |" for check, target, result in rows]
    return "\n".join(lines)
