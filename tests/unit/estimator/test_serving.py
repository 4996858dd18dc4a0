"""Serving plan: memory per replica against published facts, batch/latency/capacity, replicas and prices by hand."""

from __future__ import annotations

import math
from datetime import date

import pytest

from estimator.catalog.gpus import gpu
from estimator.catalog.presets import preset
from estimator.currency import Currency, cfets_rate, custom_rate
from estimator.errors import InvalidRunError
from estimator.inference import Quantisation, inference_estimate
from estimator.models import CapacityType, Offer
from estimator.params import count_params
from estimator.serving import (
    HOURS_PER_MONTH,
    ServingLoad,
    hosted_comparison,
    load_from_tokens_per_second,
    price_option,
    replicas_needed,
    serving_plan,
    size_replica,
)

OPT_13B = preset("opt-13b")
LLAMA2_7B = preset("llama-2-7b")


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


def test_kv_cache_is_vllms_800_kb_per_token_for_opt_13b() -> None:
    # memory_facts vllm-opt13b-kv: 819,200 B per token; ~1.6 GB for a 2048-token request.
    load = ServingLoad(prompt_tokens=1024, output_tokens=1024, requests_per_second=1)
    replica = size_replica(OPT_13B, gpu("A100-40GB"), load, quantisation=Quantisation.FP16)
    assert replica.kv_bytes_per_token == 819_200
    assert replica.kv_bytes_per_sequence == 819_200 * 2048
    assert replica.kv_bytes_per_sequence / 1e9 == pytest.approx(1.68, abs=0.01)


def test_opt_13b_on_a100_40gb_splits_memory_like_the_vllm_paper() -> None:
    # Same paper: on an A100-40GB, ~65% of memory holds a 13B model's weights and ~30% the KV cache.
    load = ServingLoad(prompt_tokens=512, output_tokens=512, requests_per_second=1)
    a100 = gpu("A100-40GB")
    replica = size_replica(OPT_13B, a100, load, quantisation=Quantisation.FP16)
    assert replica.weights_bytes == 2 * count_params(OPT_13B).total
    assert 0.55 < replica.weights_bytes / a100.memory_bytes < 0.70
    kv_share = replica.max_batch * replica.kv_bytes_per_sequence / a100.memory_bytes
    assert 0.25 < kv_share < 0.35


def test_llama_2_7b_kv_for_1000_tokens_is_524_mb() -> None:
    # memory_facts gpu-poor-llama2-7b-kv: analytic fp16 KV = 2 x 32 x 4096 x 2 x 1000 = 524 MB.
    load = ServingLoad(prompt_tokens=900, output_tokens=100, requests_per_second=1)
    replica = size_replica(LLAMA2_7B, gpu("A10"), load, quantisation=Quantisation.INT4)
    assert replica.kv_bytes_per_sequence == 524_288_000


def test_capacity_combines_prefill_and_batched_decode() -> None:
    load = ServingLoad(prompt_tokens=1000, output_tokens=200, requests_per_second=1)
    h100 = gpu("H100")
    replica = size_replica(preset("llama-3-8b"), h100, load, quantisation=Quantisation.BF16)
    # By hand from the roofline: full context 1200 reserves memory, mean context 1100 times the decode step.
    step = inference_estimate(preset("llama-3-8b"), h100, context_tokens=1100, prompt_tokens=1000, batch=replica.batch)
    assert replica.batch == replica.max_batch
    assert replica.tpot_seconds == step.decode_step_seconds
    assert replica.ttft_seconds == pytest.approx(step.prefill_seconds + step.decode_step_seconds)
    per_request = step.prefill_seconds + 200 * step.decode_step_seconds / replica.batch
    assert replica.requests_per_second == pytest.approx(1 / per_request)
    # batching server: the batch decodes far faster than one sequence alone
    assert replica.decode_tokens_per_second > 50 * (1 / replica.tpot_seconds)


def test_tpot_target_caps_the_batch() -> None:
    loose = ServingLoad(prompt_tokens=1000, output_tokens=200, requests_per_second=1)
    tight = loose.model_copy(update={"tpot_ms": 30.0})
    model, l4 = preset("llama-3-8b"), gpu("L4")
    free = size_replica(model, l4, loose, quantisation=Quantisation.INT4)
    capped = size_replica(model, l4, tight, quantisation=Quantisation.INT4)
    assert capped.tpot_seconds <= 0.030 < free.tpot_seconds
    assert 0 < capped.batch < free.batch
    over = inference_estimate(
        model, l4, quantisation=Quantisation.INT4, context_tokens=1100, prompt_tokens=1000, batch=capped.batch + 1
    )
    assert over.decode_step_seconds > 0.030


def test_a_model_too_large_is_rejected_with_its_size_and_ttft_is_checked() -> None:
    load = ServingLoad(prompt_tokens=1000, output_tokens=200, requests_per_second=1, ttft_ms=1.0)
    too_big = size_replica(preset("llama-3-70b"), gpu("L4"), load, quantisation=Quantisation.BF16)
    assert too_big.batch == 0
    assert "GiB" in too_big.rejected_because[0]
    slow = size_replica(preset("llama-3-8b"), gpu("L4"), load, quantisation=Quantisation.INT4)
    assert slow.rejected_because
    assert "TTFT" in slow.rejected_because[0]


def test_replicas_and_price_by_hand() -> None:
    load = ServingLoad(prompt_tokens=1000, output_tokens=200, requests_per_second=5)
    replica = size_replica(preset("llama-3-8b"), gpu("A10"), load, quantisation=Quantisation.INT4)
    count = replicas_needed(load, replica, 0.8)
    assert count == math.ceil(5 / (replica.requests_per_second * 0.8))
    option = price_option(replica, count, _offer("A10", 4, 6.0), load, Currency.USD, cfets_rate())
    assert option is not None
    instances = math.ceil(count / 4)
    assert option.instances == instances
    assert option.monthly.amount == pytest.approx(6.0 * instances * 730)
    assert option.per_1k_requests.amount == pytest.approx(6.0 * instances / (5 * 3600) * 1000)
    assert option.per_million_tokens.amount == pytest.approx(6.0 * instances / (5 * 3600 * 1200) * 1e6)


def test_cny_native_offer_is_priced_exactly_in_cny() -> None:
    # Aliyun ecs.gn7i-c8g1.2xlarge (1x A10), cn-hangzhou: 9.5326 CNY/h.
    load = ServingLoad(prompt_tokens=500, output_tokens=100, requests_per_second=0.5)
    replica = size_replica(preset("qwen2.5-7b"), gpu("A10"), load, quantisation=Quantisation.INT4)
    offer = _offer("A10", 1, 9.5326 / 7.0197, currency="CNY", native=9.5326)
    option = price_option(replica, 1, offer, load, Currency.CNY, custom_rate(7.5))
    assert option is not None
    assert option.monthly.amount == pytest.approx(9.5326 * HOURS_PER_MONTH, abs=1e-9)
    assert option.monthly.currency is Currency.CNY


def test_tensor_parallel_beyond_the_instance_is_not_offered() -> None:
    load = ServingLoad(prompt_tokens=1000, output_tokens=200, requests_per_second=1)
    replica = size_replica(preset("llama-3-70b"), gpu("H100"), load, tensor_parallel=2)
    assert price_option(replica, 1, _offer("H100-SXM", 1, 4.0), load, Currency.USD, cfets_rate()) is None


def test_hosted_api_comparison_and_payback() -> None:
    # 1 request/s of 1,000 tokens = 3600 x 730 x 1000 = 2.628e9 tokens/month; at $1/M that is $2,628/month.
    load = ServingLoad(prompt_tokens=800, output_tokens=200, requests_per_second=1)
    replica = size_replica(preset("llama-3-8b"), gpu("A10"), load, quantisation=Quantisation.INT4)
    option = price_option(replica, 1, _offer("A10", 1, 1.0), load, Currency.USD, cfets_rate())
    assert option is not None
    result = hosted_comparison(load, option, 1.0, cfets_rate(), upfront_usd=1898.0)
    assert result.hosted_monthly.amount == pytest.approx(2628.0)
    assert result.monthly_savings.amount == pytest.approx(2628.0 - 730.0)
    assert result.payback_months == pytest.approx(1.0)
    with pytest.raises(InvalidRunError, match="hosted_usd_per_mtok"):
        hosted_comparison(load, option, 0.0, cfets_rate())


def test_plan_ranks_offers_and_states_the_batching_server() -> None:
    load = load_from_tokens_per_second(1000, 200, 2000.0, tpot_ms=50)
    assert load.requests_per_second == 10.0
    offers = (_offer("A10", 1, 1.2), _offer("H100-SXM", 8, 55.04), _offer("L4", 1, 0.8))
    plan = serving_plan(
        preset("llama-3-8b"),
        load,
        (gpu("A10"), gpu("H100"), gpu("L4"), gpu("T4")),
        offers,
        quantisation=Quantisation.INT4,
        rate=cfets_rate(),
        hosted_usd_per_million_tokens=0.6,
    )
    monthly = [option.monthly.amount for option in plan.options]
    assert monthly == sorted(monthly)
    assert len(plan.options) == 3
    assert {r.gpu_id for r in plan.replicas} == {"A10", "H100-SXM", "L4"}  # T4 has no offer here
    assert plan.hosted is not None
    assert plan.hosted.self_hosted_monthly == plan.options[0].monthly
    names = {a.name: a for a in plan.assumptions}
    assert "batching server" in names["server"].value
    assert names["exchange_rate"].value.endswith("(2026-01-08)")
