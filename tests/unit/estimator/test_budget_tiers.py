"""Budget tiers: cost per token, affordable tokens and epochs by hand, on hand-made offers."""

from __future__ import annotations

from datetime import date

import pytest

from estimator.budget_tiers import budget_tiers
from estimator.catalog.gpus import gpu
from estimator.catalog.local import SpeedModel, local_machine, training_tokens_per_second
from estimator.catalog.presets import preset
from estimator.currency import Currency, Money, cfets_rate
from estimator.errors import InvalidRunError
from estimator.models import GPU, CapacityType, Hardware, Method, ModelArch, Offer, TrainingRun
from estimator.params import count_params
from estimator.throughput import training_time

RUN = TrainingRun(tokens=1.0, method=Method.LORA, seq_len=1024)


def _offer(gpu_id: str, count: int, usd: float, currency: str = "USD", native: float | None = None) -> Offer:
    return Offer(
        provider="test",
        instance=f"{count}x{gpu_id}",
        region=None,
        gpu_id=gpu_id,
        gpu_count=count,
        capacity_type=CapacityType.ON_DEMAND,
        usd_per_hour=usd,
        source="hand-made",
        as_of=date(2026, 1, 1),
        currency=currency,
        native_price_per_hour=native,
    )


def _calibrated(model: ModelArch, hw: GPU) -> float:
    """Tokens/s of RUN on one `hw` by the calibrated step-time model (what datacenter GPUs are timed with)."""
    return training_time(model, RUN, Hardware(gpu=hw)).tokens_per_second


def test_cost_per_token_and_affordable_tokens_by_hand() -> None:
    model, l4 = preset("qwen2.5-0.5b"), gpu("L4")
    result = budget_tiers(
        Money(amount=50, currency=Currency.USD), (model,), (l4,), (_offer("L4", 1, 0.8),), RUN, cfets_rate(),
        dataset_tokens=1e7,
    )  # fmt: skip
    (tier,) = result.tiers
    assert tier.speed_model is SpeedModel.CALIBRATED
    speed = _calibrated(model, l4)
    per_token = 0.8 / (speed * 3600)
    assert tier.per_million_tokens.amount == pytest.approx(per_token * 1e6)
    assert tier.affordable_tokens == pytest.approx(50 / per_token)
    assert tier.epochs == pytest.approx(50 / per_token / 1e7)
    assert tier.hours == pytest.approx(50 / 0.8)
    assert tier.tokens_per_param == pytest.approx(tier.affordable_tokens / count_params(model).total)


def test_each_model_keeps_its_cheapest_offer_and_the_largest_is_named() -> None:
    offers = (_offer("L4", 1, 0.8), _offer("L4", 1, 0.7), _offer("H100-SXM", 8, 55.04))
    models = (preset("qwen2.5-0.5b"), preset("llama-3-8b"), preset("llama-3-70b"))
    result = budget_tiers(
        Money(amount=500, currency=Currency.USD), models, (gpu("L4"), gpu("H100")), offers, RUN, cfets_rate()
    )
    by_model = {t.model: t for t in result.tiers}
    assert by_model["qwen2.5-0.5b"].instance == "1xL4"
    assert by_model["qwen2.5-0.5b"].per_million_tokens.amount == pytest.approx(
        0.7 / (_calibrated(models[0], gpu("L4")) * 3600) * 1e6
    )
    assert by_model["llama-3-70b"].gpu_id == "H100-SXM"  # 70B LoRA needs more than one 24 GB L4
    assert result.largest is not None
    assert result.largest.model == "llama-3-70b"
    costs = [t.per_million_tokens.amount for t in result.tiers]
    assert costs == sorted(costs)


def test_too_few_epochs_and_no_fit_are_left_out_with_why() -> None:
    result = budget_tiers(
        Money(amount=1, currency=Currency.USD), (preset("qwen2.5-1.5b"), preset("llama-3-70b")), (gpu("L4"),),
        (_offer("L4", 1, 0.8),), RUN, cfets_rate(), dataset_tokens=1e9,
    )  # fmt: skip
    assert not result.tiers
    assert result.largest is None
    assert any("epochs" in line for line in result.left_out)
    assert any(line == "llama-3-70b: fits on no offered hardware" for line in result.left_out)


def test_cny_budget_uses_native_cny_prices() -> None:
    # 100 CNY on an A10 at 9.5326 CNY/h buys 100 / 9.5326 hours, whatever the exchange rate.
    offer = _offer("A10", 1, 9.5326 / 7.0197, currency="CNY", native=9.5326)
    result = budget_tiers(
        Money(amount=100, currency=Currency.CNY), (preset("qwen2.5-0.5b"),), (gpu("A10"),), (offer,), RUN, cfets_rate()
    )
    assert result.tiers[0].hours == pytest.approx(100 / 9.5326)
    assert result.tiers[0].per_million_tokens.currency is Currency.CNY
    with pytest.raises(InvalidRunError, match="budget"):
        budget_tiers(Money(amount=0, currency=Currency.USD), (), (), (), RUN, cfets_rate())


def test_macs_and_consumer_cards_keep_the_labelled_efficiency_and_say_so() -> None:
    model, mac, rtx = preset("qwen2.5-0.5b"), local_machine("M4-Max-40c-128GB").gpu, gpu("RTX-4090")
    offers = (_offer(mac.id, 1, 0.4), _offer("RTX-4090", 1, 0.35), _offer("L4", 1, 0.8))
    for hw in (mac, rtx):
        (tier,) = budget_tiers(
            Money(amount=50, currency=Currency.USD), (model,), (hw,), offers, RUN, cfets_rate()
        ).tiers
        assert tier.speed_model is SpeedModel.LABELLED_EFFICIENCY
        assert tier.tokens_per_second == pytest.approx(training_tokens_per_second(model, RUN, hw))
    result = budget_tiers(
        Money(amount=50, currency=Currency.USD), (model,), (mac, rtx, gpu("L4")), offers, RUN, cfets_rate()
    )
    (speed,) = [a for a in result.assumptions if a.name == "speed_model"]
    assert speed.value == f"calibrated: L4; labelled-efficiency: {mac.id}, RTX-4090"
    assert any(a.name == "training_efficiency" for a in result.assumptions)
