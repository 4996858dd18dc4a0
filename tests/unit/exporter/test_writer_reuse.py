"""A TextWriter kept across ticks reuses the lines of series whose value did not change: what it renders must equal
what a fresh writer (nothing kept) renders for the same families, through any sequence of changes, and equal
prometheus_client's `generate_latest`."""

from __future__ import annotations

from collections.abc import Iterable

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from monitor.http.exposition import Family, TextWriter

LABEL_VALUES = st.sampled_from(["a", "b", 'q"uote', "back\\slash", "new\nline", ""])
VALUES = st.sampled_from([0.0, -0.0, 1.0, 1e-7, 12345678.9, 0.1 + 0.2, float("inf"), float("-inf"), float("nan")])
# one tick: per family name, samples keyed by label values (a dict, as a family never repeats a label set)
TICK = st.fixed_dictionaries(
    {
        "cost_usd": st.dictionaries(st.tuples(LABEL_VALUES, LABEL_VALUES), VALUES, max_size=6),
        "gpus": st.dictionaries(st.tuples(LABEL_VALUES, LABEL_VALUES), VALUES, max_size=6),
    }
)


def _families(tick: dict[str, dict[tuple[str, str], float]]) -> list[Family]:
    kinds = {"cost_usd": "counter", "gpus": "gauge"}
    families = []
    for name, samples in tick.items():
        family = Family(name, f"{name} doc.", kinds[name], ("namespace", "job"))
        for values, value in samples.items():
            family.add(values, value)
        families.append(family)
    return families


class _Registry(Collector):
    def __init__(self, families: list[Family]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return [family.to_metric() for family in self._families]


@settings(max_examples=150, deadline=None)
@given(st.lists(TICK, min_size=1, max_size=6))
def test_a_kept_writer_renders_what_a_fresh_writer_renders(
    ticks: list[dict[str, dict[tuple[str, str], float]]],
) -> None:
    kept = TextWriter()
    for tick in ticks:
        families = _families(tick)
        text = kept.render(families)
        assert text == TextWriter().render(families)
        assert text == generate_latest(_Registry(families)).decode()


def test_a_changed_value_is_rendered_and_the_sign_of_zero_is_kept() -> None:
    writer = TextWriter()
    for value, written in [(1.0, "1.0"), (2.5, "2.5"), (2.5, "2.5"), (0.0, "0.0"), (-0.0, "-0.0"), (0.0, "0.0")]:
        family = Family("x", "X.", "gauge", ("job",))
        family.add(("j",), value)
        assert writer.render([family]).endswith(f'x{{job="j"}} {written}\n')
    assert writer.memoised == 1  # one series, one line kept
