"""FLOPs against the published closed forms (Megatron-LM eq. 3, Kaplan Table 1) and internal consistency."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estimator.config import arch_from_hf_config
from estimator.flops import decode_flops_per_token, forward_flops_per_token, prefill_flops, training_flops
from estimator.models import Checkpointing, LoraConfig, Method, MlpType, ModelArch, TrainingRun
from estimator.params import count_params

CONFIGS = Path(__file__).parents[2] / "data" / "hf-configs"


def gpt(h: int, layers: int, heads: int, vocab: int) -> ModelArch:
    """A GPT-style model as Megatron-LM counts it: MHA, 4h GELU MLP, no gate."""
    return ModelArch(
        vocab_size=vocab,
        hidden_size=h,
        num_layers=layers,
        num_heads=heads,
        num_kv_heads=heads,
        head_dim=h // heads,
        intermediate_size=4 * h,
        mlp_type=MlpType.GELU,
    )


def llama_1_3b() -> ModelArch:
    return ModelArch(
        vocab_size=32000,
        hidden_size=2048,
        num_layers=24,
        num_heads=16,
        num_kv_heads=16,
        head_dim=128,
        intermediate_size=5504,
    )


@pytest.mark.parametrize(
    ("h", "layers", "heads", "vocab", "seq"), [(12288, 96, 96, 51200, 2048), (768, 12, 12, 50257, 1024)]
)
def test_megatron_equation_3(h: int, layers: int, heads: int, vocab: int, seq: int) -> None:
    """Narayanan et al. 2021 eq. 3 counts attention over all S keys (no causal halving) and logits once."""
    arch = gpt(h, layers, heads, vocab)
    batch = 8
    tokens = float(batch * seq)
    recompute = training_flops(arch, TrainingRun(tokens=tokens, seq_len=seq, checkpointing=Checkpointing.FULL), False)
    megatron_96 = 96 * batch * seq * layers * h**2 * (1 + seq / (6 * h) + vocab / (16 * layers * h))
    assert recompute.total_flops == pytest.approx(megatron_96, rel=1e-12)
    plain = training_flops(arch, TrainingRun(tokens=tokens, seq_len=seq), causal=False)
    megatron_72 = 72 * batch * seq * layers * h**2 * (1 + seq / (6 * h) + vocab / (12 * layers * h))
    assert plain.total_flops == pytest.approx(megatron_72, rel=1e-12)
    assert plain.model_flops == plain.total_flops


def test_forward_weight_flops_are_two_per_parameter() -> None:
    """Kaplan et al. 2020 Table 1: C_forward ≈ 2N + 2·n_layer·n_ctx·d_attn; exact for bias-free weights."""
    mixtral = arch_from_hf_config(json.loads((CONFIGS / "mixtral-8x7b.json").read_text()))
    counts = count_params(mixtral)
    fwd = forward_flops_per_token(mixtral, 4096, causal=True)
    weights_used = counts.active - counts.embedding - counts.norms  # embeddings are a lookup, norms are not matmuls
    assert fwd.projections + fwd.mlp + fwd.router + fwd.logits == 2 * weights_used
    assert fwd.attention_scores == 2 * 32 * 4096 * 4096  # Kaplan's 2·n_layer·n_ctx·d_attn
    assert fwd.total == fwd.projections + fwd.attention_scores + fwd.mlp + fwd.router + fwd.logits


def test_causal_halves_attention_and_window_caps_it() -> None:
    arch = llama_1_3b()
    full = forward_flops_per_token(arch, 2048, causal=False)
    causal = forward_flops_per_token(arch, 2048, causal=True)
    assert causal.attention_scores * 2 == full.attention_scores
    assert causal.mlp == full.mlp
    windowed = arch.model_copy(update={"sliding_window": 1024})
    assert forward_flops_per_token(windowed, 2048, causal=False).attention_scores == full.attention_scores / 2
    # Causal with window W < S: mean keys W − W²/(2S) = 768 for W=1024, S=2048.
    assert forward_flops_per_token(windowed, 2048).attention_scores == 4 * 24 * 2048 * 768


def test_training_is_three_forwards_and_shows_6nd() -> None:
    arch = llama_1_3b()
    run = TrainingRun(tokens=1e9, seq_len=2048)
    result = training_flops(arch, run)
    assert result.training_per_token == 3 * result.forward_per_token
    assert result.six_nd_flops == 6 * 1_345_423_360 * 1e9
    # The exact count exceeds 6·N·D by the attention term and falls short by the embedding lookup (no FLOPs).
    attention = 3 * result.forward.attention_scores * 1e9
    embedding = 6 * 32000 * 2048 * 1e9
    norms = 6 * (2 * 24 + 1) * 2048 * 1e9
    assert result.model_flops == pytest.approx(result.six_nd_flops + attention - embedding - norms, rel=1e-12)


def test_recompute_by_checkpointing() -> None:
    arch = llama_1_3b()
    fwd = forward_flops_per_token(arch, 2048)
    none = training_flops(arch, TrainingRun(tokens=1.0, seq_len=2048))
    sel = training_flops(arch, TrainingRun(tokens=1.0, seq_len=2048, checkpointing=Checkpointing.SELECTIVE))
    full = training_flops(arch, TrainingRun(tokens=1.0, seq_len=2048, checkpointing=Checkpointing.FULL))
    assert none.recompute_per_token == 0
    assert sel.recompute_per_token == fwd.attention_scores
    assert full.recompute_per_token == fwd.total - fwd.logits
    assert full.model_flops == none.model_flops  # MFU counts no recompute


def test_lora_skips_weight_gradients_of_the_frozen_base() -> None:
    arch = llama_1_3b()
    lora = TrainingRun(tokens=1.0, seq_len=2048, method=Method.LORA, lora=LoraConfig(rank=16))
    result = training_flops(arch, lora)
    fwd = result.forward
    adapters = 2 * 14_991_360  # 2 FLOPs per adapter parameter per token
    expected = 2 * (fwd.total - fwd.attention_scores) + 3 * fwd.attention_scores + 3 * adapters
    assert result.training_per_token == expected
    full = training_flops(arch, TrainingRun(tokens=1.0, seq_len=2048))
    assert 2 * fwd.total < result.training_per_token < full.training_per_token


def test_decode_and_prefill_are_consistent() -> None:
    arch = arch_from_hf_config(json.loads((CONFIGS / "llama-2-7b.json").read_text()))
    step = decode_flops_per_token(arch, 101) - decode_flops_per_token(arch, 100)
    assert step == 4 * 32 * 4096  # one more cached key: QKᵀ and AV over L layers
    logits = forward_flops_per_token(arch, 1).logits
    # Prefilling P tokens = decoding positions 1..P, but logits only for the last one.
    p = 64
    assert prefill_flops(arch, p) == pytest.approx(
        sum(decode_flops_per_token(arch, t) for t in range(1, p + 1)) - (p - 1) * logits
    )
    assert prefill_flops(arch, 0) == 0


def test_decode_with_sliding_window_stops_growing() -> None:
    mistral = arch_from_hf_config(json.loads((CONFIGS / "mistral-7b-v0.1.json").read_text()))
    assert decode_flops_per_token(mistral, 32768) == decode_flops_per_token(mistral, 4096)
    assert decode_flops_per_token(mistral, 4096) > decode_flops_per_token(mistral, 4095)


@given(st.integers(1, 32768), st.integers(1, 32768))
def test_forward_flops_monotone_in_sequence(a: int, b: int) -> None:
    arch = llama_1_3b()
    lo, hi = sorted((a, b))
    assert forward_flops_per_token(arch, lo).total <= forward_flops_per_token(arch, hi).total


@given(st.floats(1e3, 1e13), st.floats(1.01, 100))
def test_training_flops_linear_in_tokens(tokens: float, factor: float) -> None:
    arch = llama_1_3b()
    one = training_flops(arch, TrainingRun(tokens=tokens, seq_len=2048)).total_flops
    scaled = training_flops(arch, TrainingRun(tokens=tokens * factor, seq_len=2048)).total_flops
    assert scaled == pytest.approx(one * factor, rel=1e-9)
