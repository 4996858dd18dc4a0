"""README's accuracy rows as the benchmark prints them (benchmarks.readme_rows)."""

from __future__ import annotations

from benchmarks.readme_rows import pct, render, spread


def test_percentages_read_as_the_readme_writes_them() -> None:
    assert pct(0.0524) == "5.2 %"
    assert pct(-0.064, signed=True) == "−6.4 %"  # a true minus sign
    assert pct(0.06, signed=True) == "+6.0 %"
    assert spread([0.01, -0.3, 0.02]) == "median 2.0 %, max 30.0 %"  # of the magnitudes


def test_rows_render_under_the_readme_header() -> None:
    table = render([("a", "b", "c")]).splitlines()
    assert table == ["| check | target | result |", "|---|---|---|", "| a | b | c |"]
