"""DeepSeek-V3 (multi-head latent attention + MoE) and MPT from their real config.json files (tests/data/hf-configs).

Neither has an exact published parameter count, so each is checked twice: against the published rounded totals, and
against a recount written module by module from the transformers classes (`DeepseekV3Attention`, `DeepseekV3MoE`,
`DeepseekV3TopkRouter`; `MptBlock`, `MptAttention`, `MptMLP`), independent of the estimator's formulas.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from estimator.catalog.gpus import gpu
from estimator.config import arch_from_hf_config
from estimator.errors import InvalidConfigError
from estimator.flops import forward_flops_per_token
from estimator.inference import Quantisation, inference_estimate, kv_cache_bytes_per_token
from estimator.models import Hardware, NormType, PositionEncoding, TrainingRun
from estimator.params import count_params
from estimator.throughput import training_time

CONFIGS = Path(__file__).parents[2] / "data" / "hf-configs"


def load(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((CONFIGS / f"{name}.json").read_text())
    return data


def _deepseek_v3_recount(cfg: dict[str, object]) -> tuple[int, int]:
    """(total, active) from the transformers modules, written out without the estimator."""
    g = {k: int(v) for k, v in cfg.items() if isinstance(v, int) and not isinstance(v, bool)}
    h, heads, vocab = g["hidden_size"], g["num_attention_heads"], g["vocab_size"]
    q_head = g["qk_nope_head_dim"] + g["qk_rope_head_dim"]
    attention = (
        h * g["q_lora_rank"]  # q_a_proj
        + g["q_lora_rank"]  # q_a_layernorm
        + g["q_lora_rank"] * heads * q_head  # q_b_proj
        + h * (g["kv_lora_rank"] + g["qk_rope_head_dim"])  # kv_a_proj_with_mqa
        + g["kv_lora_rank"]  # kv_a_layernorm
        + g["kv_lora_rank"] * heads * (g["qk_nope_head_dim"] + g["v_head_dim"])  # kv_b_proj
        + heads * g["v_head_dim"] * h  # o_proj
    )
    norms = 2 * h  # input_layernorm, post_attention_layernorm
    dense = 3 * h * g["intermediate_size"]
    expert = 3 * h * g["moe_intermediate_size"]
    shared = 3 * h * g["moe_intermediate_size"] * g["n_shared_experts"]
    router = g["n_routed_experts"] * h  # the weight; e_score_correction_bias is a buffer
    k, layers = g["first_k_dense_replace"], g["num_hidden_layers"]
    outer = vocab * h + h + vocab * h  # embed_tokens, norm, untied lm_head
    total = layers * (attention + norms) + k * dense + (layers - k) * (g["n_routed_experts"] * expert + shared + router)
    active = total - (layers - k) * (g["n_routed_experts"] - g["num_experts_per_tok"]) * expert
    return total + outer, active + outer


def test_deepseek_v3_counts_671b_total_and_37b_activated_from_its_config() -> None:
    cfg = load("deepseek-v3")
    arch = arch_from_hf_config(cfg, "deepseek-v3")
    counts = count_params(arch)
    assert (counts.total, counts.active) == _deepseek_v3_recount(cfg)
    assert round(counts.total / 1e9) == 671  # DeepSeek-V3 report: 671B total
    # "37B activated" (report) = 36.6B in DeepSeek's weight notes: the lookup-only input embedding is not counted
    assert round((counts.active - counts.embedding) / 1e9, 1) == 36.6
    assert round((counts.active - counts.embedding) / 1e9) == 37
    assert arch.assumed_family == ""


def test_latent_attention_is_smaller_than_the_full_rank_attention_it_replaces() -> None:
    arch = arch_from_hf_config(load("deepseek-v3"))
    # 128 heads × 192 query/key dims at h = 7168 would be ~4·h·H·d; the latents (1536 and 512 + 64) cut it ~3×
    full_rank = arch.model_copy(update={"kv_lora_rank": 0, "q_lora_rank": 0, "v_head_dim": 0})
    assert count_params(arch).attention * 3 < count_params(full_rank).attention
    # attention scores: QKᵀ over the 192-dim query/key heads, PV over the 128-dim value heads
    flops = forward_flops_per_token(arch, 4096)
    assert flops.attention_scores == pytest.approx(2 * 61 * 128 * (192 + 128) * 2048)


def test_deepseek_v3_without_a_q_latent_has_a_full_rank_q_proj() -> None:
    # DeepSeek-V2-Lite-style null q_lora_rank: transformers builds q_proj (h → H·d) instead of q_a/q_b
    cfg = {**load("deepseek-v3"), "q_lora_rank": None}
    with_latent = count_params(arch_from_hf_config(load("deepseek-v3")))
    without = count_params(arch_from_hf_config(cfg))
    h, rq, hd = 7168, 1536, 128 * 192
    assert with_latent.attention - without.attention == 61 * (h * rq + rq * hd - h * hd)
    assert with_latent.norms - without.norms == 61 * rq  # q_a_layernorm goes with the latent


def test_deepseek_v3_step_time_is_modelled_with_its_active_experts() -> None:
    arch = arch_from_hf_config(load("deepseek-v3"))
    run = TrainingRun(tokens=1e12, seq_len=4096, global_batch=8192)
    t = training_time(arch, run, Hardware(gpu=gpu("H100-SXM"), count=1024))
    assert 0.0 < t.mfu < 1.0


def test_mpt_7b_counts_from_its_config_with_bias_free_layernorms_and_alibi() -> None:
    arch = arch_from_hf_config(load("mpt-7b"), "mpt-7b")
    h, layers, vocab = 4096, 32, 50432
    # MptBlock: norm_1, norm_2 (weight only: transformers sets .bias = None); Wqkv h→3h, out_proj, up h→4h, down
    per_layer = 2 * h + 3 * h * h + h * h + 2 * 4 * h * h
    assert count_params(arch).total == vocab * h + layers * per_layer + h  # wte tied to lm_head, norm_f weight only
    assert round(count_params(arch).total / 1e8) == 66  # "6.7B" on the model card
    assert arch.norm_type == NormType.LAYERNORM
    assert not arch.norm_bias
    assert arch.position_encoding == PositionEncoding.ALIBI
    assert arch.tie_word_embeddings


def test_mpt_grouped_query_and_biased_variants_follow_llm_foundry_keys() -> None:
    cfg = load("mpt-7b")
    gqa = {**cfg, "attn_config": {"attn_type": "grouped_query_attention", "kv_n_heads": 8}}
    assert arch_from_hf_config(gqa).num_kv_heads == 8
    mqa = {**cfg, "attn_config": {"attn_type": "multiquery_attention"}}
    assert arch_from_hf_config(mqa).num_kv_heads == 1
    biased = count_params(arch_from_hf_config({**cfg, "no_bias": False})).total
    h = 4096
    # every Linear (qkv 3h, out h, up 4h, down h) and both LayerNorms of each layer, and norm_f, gain a bias
    assert biased - count_params(arch_from_hf_config(cfg)).total == 32 * (3 * h + h + 4 * h + h + 2 * h) + h
    with pytest.raises(InvalidConfigError) as err:
        arch_from_hf_config({**cfg, "attn_config": "alibi"})
    assert err.value.field == "attn_config"


def test_mla_caches_the_latent_and_rotary_key_per_layer() -> None:
    # DeepSeek-V2 (arXiv:2405.04434) §2.1.2 and Table 1: MLA caches (d_c + d_h^R)·l elements per token, with d_c = 4·d_h
    # and d_h^R = d_h / 2 (d_h = 128), "equal to GQA with only 2.25 groups"; DeepSeek-V3 keeps these widths.
    cfg = load("deepseek-v3")
    arch = arch_from_hf_config(cfg)
    layers, d_h = int(str(cfg["num_hidden_layers"])), 128
    assert kv_cache_bytes_per_token(arch) == 2 * 2.25 * d_h * layers * 2  # bf16, as GQA with 2.25 groups
    # against what caching the expanded per-head keys and values would hold: 128 heads x (192 + 128) per layer
    expanded = layers * int(str(cfg["num_attention_heads"])) * (192 + 128) * 2
    assert expanded / kv_cache_bytes_per_token(arch) == pytest.approx(71.1, rel=0.01)
    est = inference_estimate(arch, gpu("H100-SXM"), quantisation=Quantisation.INT4, context_tokens=1024, gpus=8)
    assert est.kv_bytes_per_token == kv_cache_bytes_per_token(arch)
    assert any(a.name == "kv_cache_layout" for a in est.assumptions)
