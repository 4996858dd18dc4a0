"""Leave-one-group-out bookkeeping (benchmarks.group_out): which rows a refit sees and when a check is computable."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from benchmarks.group_out import Fit, HeldCase, leave_group_out
from estimator.step_phases import StepConstants

BASE = StepConstants(launch_seconds=1e-5, memory_fraction=0.5, ampere_matmul_fraction=0.6)
KEYS = st.lists(st.tuples(st.sampled_from(["llama", "gpt2", "falcon"]), st.sampled_from([2048, 8192])), max_size=12)


def _case(family: str, seq: int) -> HeldCase:
    # error = the launch constant, so a refit is visible in the error
    return HeldCase(f"{family}-{seq}", family, seq, lambda c: c.launch_seconds)


@given(keys=KEYS, family=st.sampled_from(["llama", "gpt2", "falcon"]))
def test_refit_sees_exactly_the_rows_outside_the_group(keys: list[tuple[str, int]], family: str) -> None:
    seen: list[list[int]] = []

    def refit(kept: list[int], c: StepConstants) -> tuple[StepConstants | None, str]:
        seen.append(kept)
        return c.model_copy(update={"launch_seconds": float(len(kept))}), "refitted"

    cases = [_case(f, s) for f, s in keys]
    result = leave_group_out("g", lambda k: k[0] == family, cases, [Fit("f", keys, refit)], BASE)
    in_group = [i for i, k in enumerate(keys) if k[0] == family]
    assert result.cases == len(in_group)
    if in_group:  # the fit used the group's rows: refitted once on the others, and the group's errors see it
        assert seen == [[i for i, k in enumerate(keys) if k[0] != family]]
        assert result.errors == tuple(float(len(keys) - len(in_group)) for _ in in_group)
    else:  # no fit uses the group: nothing refitted, the check is the held-out error under the committed constants
        assert seen == []
        assert result.errors == ()


def test_a_fit_with_no_rows_left_and_no_fallback_makes_the_group_not_computable() -> None:
    keys = [("llama", 2048)] * 3

    def refit(kept: list[int], c: StepConstants) -> tuple[StepConstants | None, str]:
        return (None, "no rows") if not kept else (c, "refitted")

    result = leave_group_out("llama", lambda k: k[0] == "llama", [_case("llama", 2048)], [Fit("f", keys, refit)], BASE)
    assert result.errors is None
    assert result.refits == ("f: no rows",)


def test_groups_no_fit_uses_keep_the_committed_constants() -> None:
    keys = [("llama", 2048)] * 2
    fit = Fit("f", keys, lambda kept, c: (None, "never called"))
    result = leave_group_out("s", lambda k: k[1] == 8192, [_case("llama", 8192)], [fit], BASE)
    assert result.errors == (BASE.launch_seconds,)
    assert "no fitted constant" in result.refits[0]
