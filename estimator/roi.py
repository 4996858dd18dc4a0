"""Fine-tuning ROI: what a fine-tune costs up front against what it saves on inference each month."""

from __future__ import annotations

from pydantic import Field

from estimator.models import Assumption, Frozen


class FineTuneROIInputs(Frozen):
    """A fine-tune that replaces (part of) a more expensive inference bill."""

    data_prep_hours: float = Field(ge=0, description="people-hours to collect, clean and label data")
    data_prep_usd_per_hour: float = Field(ge=0, description="loaded cost of one people-hour")
    training_usd_per_iteration: float = Field(ge=0, description="compute cost of one training run")
    iterations: int = Field(default=3, ge=1, description="training runs until one ships (sweeps, failed runs)")
    evaluation_usd: float = Field(default=0.0, ge=0, description="evaluation and deployment work, one-off")
    inference_usd_per_month_before: float = Field(ge=0, description="current monthly inference bill")
    inference_usd_per_month_after: float = Field(ge=0, description="monthly bill with the fine-tuned model")
    horizon_months: float = Field(default=12.0, gt=0, description="period over which the return is judged")


class FineTuneROI(Frozen):
    upfront_usd: float
    data_prep_usd: float
    training_usd: float
    monthly_savings_usd: float
    payback_months: float | None = Field(description="None when the fine-tune never pays back")
    net_usd_over_horizon: float
    roi_ratio: float | None = Field(description="net return over the horizon / upfront cost; None when upfront is 0")
    assumptions: tuple[Assumption, ...]


def fine_tune_roi(inputs: FineTuneROIInputs) -> FineTuneROI:
    """upfront = data_prep_hours x rate + training_usd_per_iteration x iterations + evaluation;
    monthly savings = inference before - after; payback = upfront / savings (months);
    net = savings x horizon - upfront; ROI = net / upfront.

    Every training iteration is paid, not only the one that ships: sweeps and failed runs are the usual hidden cost.
    """
    data_prep = inputs.data_prep_hours * inputs.data_prep_usd_per_hour
    training = inputs.training_usd_per_iteration * inputs.iterations
    upfront = data_prep + training + inputs.evaluation_usd
    savings = inputs.inference_usd_per_month_before - inputs.inference_usd_per_month_after
    payback = upfront / savings if savings > 0 else None
    net = savings * inputs.horizon_months - upfront
    return FineTuneROI(
        upfront_usd=upfront,
        data_prep_usd=data_prep,
        training_usd=training,
        monthly_savings_usd=savings,
        payback_months=payback,
        net_usd_over_horizon=net,
        roi_ratio=net / upfront if upfront > 0 else None,
        assumptions=(
            Assumption(
                name="iterations",
                value=str(inputs.iterations),
                why="each training run until one ships is paid in full",
            ),
            Assumption(
                name="horizon_months",
                value=f"{inputs.horizon_months:g}",
                why="savings are counted flat over the horizon, undiscounted",
            ),
        ),
    )
