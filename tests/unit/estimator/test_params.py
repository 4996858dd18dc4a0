"""Exact parameter counts against published/recounted totals and peft's trainable counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estimator.config import arch_from_hf_config
from estimator.errors import InvalidConfigError
from estimator.models import LoraConfig, Method, MlpType, ModelArch, NormType, PositionEncoding
from estimator.params import count_params, lora_params

CONFIGS = Path(__file__).parents[2] / "data" / "hf-configs"
INDEX = json.loads((CONFIGS / "INDEX.json").read_text())


def llama(
    hidden: int, layers: int, heads: int, intermediate: int, vocab: int = 32000, kv: int | None = None
) -> ModelArch:
    return ModelArch(
        vocab_size=vocab,
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        num_kv_heads=kv or heads,
        head_dim=hidden // heads,
        intermediate_size=intermediate,
    )


@pytest.mark.parametrize("model_id", sorted(INDEX))
def test_count_from_raw_hf_config_is_exact(model_id: str) -> None:
    expected = INDEX[model_id]
    arch = arch_from_hf_config(json.loads((CONFIGS / f"{model_id}.json").read_text()), model_id)
    counts = count_params(arch)
    assert counts.total == expected["params_total"]
    assert counts.active == expected.get("params_active", expected["params_total"])
    assert counts.trainable == counts.total


# Source: the public H100 reference measurements (h100-training-measurements.jsonl, measured 2025):
# LlamaForCausalLM (vocab 32000, untied, MHA, SwiGLU), fields n_params and, for part B (LoRA r=16 on
# q,k,v,o,gate,up,down, as peft reported), n_trainable.
H100_ROWS = [
    ((768, 12, 12, 2048), 134_105_856, None),
    ((2048, 24, 16, 5504), 1_345_423_360, 14_991_360),
    ((2560, 32, 20, 6912), 2_701_560_320, None),
]


@pytest.mark.parametrize(("shape", "n_params", "n_trainable"), H100_ROWS)
def test_h100_measured_models(shape: tuple[int, int, int, int], n_params: int, n_trainable: int | None) -> None:
    arch = llama(*shape)
    assert count_params(arch).total == n_params
    if n_trainable is not None:
        lora = count_params(arch, Method.LORA, LoraConfig(rank=16))
        assert lora.trainable == n_trainable == lora_params(arch, LoraConfig(rank=16))
        assert lora.total == n_params + n_trainable  # peft's "all params" includes the adapters
        assert lora.base == n_params
        qlora = count_params(arch, Method.QLORA, LoraConfig(rank=16))
        assert qlora.trainable == n_trainable


@pytest.mark.parametrize(
    ("arch", "expected"),
    [
        # Meta's Llama 3 model card / safetensors totals (meta-llama/Meta-Llama-3-8B, -70B), TinyLlama-1.1B.
        (llama(4096, 32, 32, 14336, vocab=128256, kv=8), 8_030_261_248),
        (llama(8192, 80, 64, 28672, vocab=128256, kv=8), 70_553_706_496),
        (llama(2048, 22, 32, 5632, kv=4), 1_100_048_384),
    ],
)
def test_llama3_and_tinyllama_totals(arch: ModelArch, expected: int) -> None:
    assert count_params(arch).total == expected


def test_breakdown_sums_to_total_and_norms_are_rmsnorm_weights() -> None:
    arch = llama(2048, 24, 16, 5504)
    c = count_params(arch)
    parts = c.embedding + c.position + c.attention + c.mlp + c.router + c.norms + c.head + c.lora
    assert parts == c.total
    assert c.norms == (2 * 24 + 1) * 2048
    assert c.embedding == c.head == 32000 * 2048
    assert c.attention == 24 * 4 * 2048 * 2048
    assert c.non_embedding == c.total - 2 * 32000 * 2048


def test_lora_targets_on_fused_qkv_adapt_one_module() -> None:
    gpt2 = arch_from_hf_config(json.loads((CONFIGS / "gpt2.json").read_text()))
    # peft on GPT-2 c_attn (768 -> 2304): r·(768 + 2304) per layer.
    assert lora_params(gpt2, LoraConfig(rank=8, targets=("c_attn",))) == 12 * 8 * (768 + 2304)
    assert lora_params(gpt2, LoraConfig(rank=8, targets=("q", "v"))) == 12 * 8 * (768 + 2304)


def test_lora_on_moe_counts_every_expert_but_activates_top_k() -> None:
    mixtral = arch_from_hf_config(json.loads((CONFIGS / "mixtral-8x7b.json").read_text()))
    c = count_params(mixtral, Method.LORA, LoraConfig(rank=8, targets=("w1",)))
    per_expert = 8 * (4096 + 14336)
    assert c.lora == 32 * 8 * per_expert
    assert c.active == 12_879_925_248 + 32 * 2 * per_expert


def test_unknown_lora_target_names_the_field() -> None:
    with pytest.raises(InvalidConfigError, match=r"lora\.targets"):
        lora_params(llama(768, 12, 12, 2048), LoraConfig(targets=("qq",)))


shapes = st.tuples(
    st.integers(1, 16).map(lambda x: 64 * x),  # hidden
    st.integers(1, 48),  # layers
    st.sampled_from([1, 2, 4]),  # heads
    st.integers(1, 64).map(lambda x: 64 * x),  # intermediate
    st.integers(100, 200_000),  # vocab
)


@given(shapes, st.integers(1, 64))
def test_lora_trainable_below_total(shape: tuple[int, int, int, int, int], rank: int) -> None:
    h, layers, heads, i, vocab = shape
    c = count_params(llama(h, layers, heads, i, vocab=vocab), Method.LORA, LoraConfig(rank=rank))
    assert 0 < c.trainable < c.total


@given(shapes)
def test_params_strictly_increase_with_layers(shape: tuple[int, int, int, int, int]) -> None:
    h, layers, heads, i, vocab = shape
    fewer = count_params(llama(h, layers, heads, i, vocab=vocab)).total
    more = count_params(llama(h, layers + 1, heads, i, vocab=vocab)).total
    assert more > fewer


def test_gpt3_175b_matches_the_paper_rounding() -> None:
    """GPT-3 paper (arXiv:2005.14165) Table D.1: 174,600 million (to 0.1 B).

    GPT-2 BPE vocabulary, 2048 learned positions, tied embeddings, biases everywhere.
    """
    gpt3 = ModelArch(
        vocab_size=50257,
        hidden_size=12288,
        num_layers=96,
        num_heads=96,
        num_kv_heads=96,
        head_dim=128,
        intermediate_size=4 * 12288,
        mlp_type=MlpType.GELU,
        norm_type=NormType.LAYERNORM,
        qkv_bias=True,
        attn_out_bias=True,
        mlp_bias=True,
        tie_word_embeddings=True,
        position_encoding=PositionEncoding.LEARNED,
        learned_position_embeddings=2048,
    )
    assert round(count_params(gpt3).total / 1e8) == 1746  # 174.6 B, the precision the paper gives


@given(shapes, st.booleans())
def test_tying_and_gqa_only_remove_parameters(shape: tuple[int, int, int, int, int], tie: bool) -> None:
    h, layers, heads, i, vocab = shape
    mha = llama(h, layers, 4 * heads, i, vocab=vocab).model_copy(update={"tie_word_embeddings": tie})
    gqa = mha.model_copy(update={"num_kv_heads": heads})
    assert count_params(gqa).total == count_params(mha).total - layers * 2 * h * (3 * heads) * (h // (4 * heads))
    if tie:
        untied = count_params(mha.model_copy(update={"tie_word_embeddings": False}))
        assert untied.total - count_params(mha).total == vocab * h


def test_gpt2_c_proj_target_adapts_attention_and_mlp_projections() -> None:
    gpt2 = arch_from_hf_config(json.loads((CONFIGS / "gpt2.json").read_text()))
    # attn.c_proj (768 -> 768) and mlp.c_proj (3072 -> 768) both end in "c_proj".
    assert lora_params(gpt2, LoraConfig(rank=4, targets=("c_proj",))) == 12 * 4 * ((768 + 768) + (3072 + 768))


def test_lora_targets_absent_from_the_model_are_an_error() -> None:
    gpt2 = arch_from_hf_config(json.loads((CONFIGS / "gpt2.json").read_text()))
    with pytest.raises(InvalidConfigError, match="gpt2"):
        lora_params(gpt2, LoraConfig(targets=("gate",)))
