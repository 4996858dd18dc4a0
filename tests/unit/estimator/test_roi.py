"""Fine-tuning ROI and payback."""

from __future__ import annotations

import pytest

from estimator.roi import FineTuneROIInputs, fine_tune_roi


def _inputs(**overrides: float) -> FineTuneROIInputs:
    values: dict[str, float] = {
        "data_prep_hours": 40,
        "data_prep_usd_per_hour": 100,
        "training_usd_per_iteration": 500,
        "iterations": 3,
        "inference_usd_per_month_before": 5000,
        "inference_usd_per_month_after": 3000,
    }
    values.update(overrides)
    return FineTuneROIInputs.model_validate(values)


def test_upfront_counts_every_iteration_and_data_prep() -> None:
    roi = fine_tune_roi(_inputs())
    assert roi.data_prep_usd == 4000
    assert roi.training_usd == 1500
    assert roi.upfront_usd == 5500


def test_payback_and_return() -> None:
    roi = fine_tune_roi(_inputs())
    assert roi.monthly_savings_usd == 2000
    assert roi.payback_months == pytest.approx(2.75)
    assert roi.net_usd_over_horizon == pytest.approx(12 * 2000 - 5500)
    assert roi.roi_ratio == pytest.approx((24000 - 5500) / 5500)


def test_no_savings_never_pays_back() -> None:
    roi = fine_tune_roi(_inputs(inference_usd_per_month_after=6000))
    assert roi.payback_months is None
    assert roi.net_usd_over_horizon < 0


def test_more_iterations_delay_payback() -> None:
    assert fine_tune_roi(_inputs(iterations=10)).payback_months > fine_tune_roi(_inputs(iterations=1)).payback_months  # type: ignore[operator]


def test_negative_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="data_prep_hours"):
        _inputs(data_prep_hours=-1)
