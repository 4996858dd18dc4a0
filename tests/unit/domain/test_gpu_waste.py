"""The unused GPU cost is the Job's cost, interval by interval, times the unused share of its burn rate: conserved,
monotone, bounded by the cost, and charged once across restarts (a restart resumes from a stored snapshot)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.core.domain.gpu_waste import HeldPod, Waste, accrue, job_utilization

shares = st.floats(0.0, 1.0)
steps = st.lists(st.tuples(st.floats(0.0, 1e4), shares), min_size=1, max_size=30)


def test_utilization_is_gpu_weighted_and_waste_counts_only_measured_pods() -> None:
    pods = [
        HeldPod("ml", "a", gpus=4, hourly_usd=16.0),
        HeldPod("ml", "b", gpus=2, hourly_usd=8.0),
        HeldPod("ml", "c", gpus=2, hourly_usd=8.0),  # no reading: not counted as waste
        HeldPod("ml", "launcher", gpus=0, hourly_usd=0.5),  # a CPU pod: in the burn rate, never measured
    ]
    utilization, share = job_utilization(pods, {("ml", "a"): 0.9, ("ml", "b"): 0.3, ("ml", "launcher"): 0.0})
    assert utilization == pytest.approx((4 * 0.9 + 2 * 0.3) / 6)
    assert share == pytest.approx((16 * 0.1 + 8 * 0.7) / 32.5)
    assert job_utilization(pods, {}) == (None, 0.0)


def test_first_sight_starts_the_basis_at_the_cost_so_far() -> None:
    """Cost accrued before anything measured the Job is not called waste."""
    first = accrue(None, 120.0, 0.1, 0.9)
    assert (first.unused_usd, first.basis_usd) == (0.0, 120.0)
    assert accrue(first, 150.0, 0.1, 0.9).unused_usd == pytest.approx(27.0)


@given(steps)
def test_conserved_monotone_and_bounded(path: list[tuple[float, float]]) -> None:
    waste, cost, used = accrue(None, 0.0, None, 0.0), 0.0, 0.0
    for delta, share in path:
        cost += delta
        nxt = accrue(waste, cost, 1 - share, share)
        assert nxt.unused_usd >= waste.unused_usd
        used += delta * (1 - share)
        waste = nxt
    assert 0.0 <= waste.unused_usd <= cost * (1 + 1e-12)
    assert waste.unused_usd + used == pytest.approx(cost, rel=1e-9, abs=1e-6)
    assert waste.basis_usd == pytest.approx(cost)


@given(steps, st.data())
def test_a_restart_from_an_older_snapshot_charges_each_dollar_once(path: list[tuple[float, float]], data) -> None:
    """The daemon dies after tick k's snapshot and some more ticks; the restarted one resumes from that snapshot with
    the ledger's (exact) cost: the ticks lost in between are charged once, at the reading after the restart."""
    costs, wastes = [], []
    waste, cost = accrue(None, 0.0, None, 0.0), 0.0
    for delta, share in path:
        cost += delta
        waste = accrue(waste, cost, None, share)
        costs.append(cost)
        wastes.append(waste)
    k = data.draw(st.integers(0, len(path) - 1))
    snapshot = Waste(None, wastes[k].unused_usd, wastes[k].basis_usd)
    share_after = data.draw(shares)
    resumed = accrue(snapshot, cost, None, share_after)
    assert resumed.unused_usd == pytest.approx(snapshot.unused_usd + (cost - costs[k]) * share_after, abs=1e-6)
    assert resumed.basis_usd == pytest.approx(cost)
    assert resumed.unused_usd <= cost * (1 + 1e-12) + 1e-9
    # the same reading replayed (a tick repeated at the same instant) adds nothing
    assert accrue(resumed, cost, None, share_after).unused_usd == resumed.unused_usd


@given(st.floats(0, 1e6), st.floats(0, 1e6), shares)
def test_a_cost_that_goes_down_is_never_charged_again_when_it_comes_back(high: float, low: float, share: float) -> None:
    low = min(low, high)
    at_high = accrue(Waste(None, 0.0, 0.0), high, None, share)
    back = accrue(accrue(at_high, low, None, share), high, None, share)
    assert back.unused_usd == pytest.approx(at_high.unused_usd)
