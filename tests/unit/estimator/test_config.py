"""HF config.json → ModelArch: each family's key names, defaults, and errors naming the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from estimator.config import arch_from_hf_config, check_arch, supported_model_types
from estimator.errors import InvalidConfigError
from estimator.models import MlpType, NormType, PositionEncoding
from estimator.params import count_params

CONFIGS = Path(__file__).parents[2] / "data" / "hf-configs"


def load(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((CONFIGS / f"{name}.json").read_text())
    return loaded


# Size-deciding keys of public config.json files, as the Hub ships them (key names and values unchanged).
FALCON_7B = {  # tiiuae/falcon-7b, original RefinedWebModel config
    "model_type": "RefinedWebModel",
    "hidden_size": 4544,
    "n_head": 71,
    "n_layer": 32,
    "multi_query": True,
    "parallel_attn": True,
    "bias": False,
    "alibi": False,
    "vocab_size": 65024,
}
BLOOM_560M = {"model_type": "bloom", "n_embed": 1024, "n_layer": 24, "num_attention_heads": 16, "vocab_size": 250880}
OPT_350M = {  # facebook/opt-350m: 512-wide embeddings projected to 1024, post-LN (no final LayerNorm)
    "model_type": "opt",
    "hidden_size": 1024,
    "num_hidden_layers": 24,
    "num_attention_heads": 16,
    "ffn_dim": 4096,
    "max_position_embeddings": 2048,
    "word_embed_proj_dim": 512,
    "do_layer_norm_before": False,
    "vocab_size": 50272,
}
GEMMA_7B = {  # google/gemma-7b: head_dim 256 ≠ 3072/16
    "model_type": "gemma",
    "hidden_size": 3072,
    "num_hidden_layers": 28,
    "num_attention_heads": 16,
    "num_key_value_heads": 16,
    "head_dim": 256,
    "intermediate_size": 24576,
    "vocab_size": 256000,
    "max_position_embeddings": 8192,
}
GEMMA2_9B = GEMMA_7B | {
    "model_type": "gemma2",
    "hidden_size": 3584,
    "num_hidden_layers": 42,
    "num_key_value_heads": 8,
    "intermediate_size": 14336,
    "sliding_window": 4096,
}
PHI3_MINI = {  # microsoft/Phi-3-mini-4k-instruct
    "model_type": "phi3",
    "hidden_size": 3072,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 32,
    "intermediate_size": 8192,
    "vocab_size": 32064,
    "tie_word_embeddings": False,
}


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (FALCON_7B, 6_921_720_704),  # HF safetensors total of tiiuae/falcon-7b
        (BLOOM_560M, 559_214_592),  # keras-hub preset bloom_560m_multi
        (OPT_350M, 331_196_416),
        (GEMMA_7B, 8_537_680_896),  # keras-hub preset gemma_7b_en
        (GEMMA2_9B, 9_241_705_984),  # keras-hub preset gemma2_9b_en
        (PHI3_MINI, 3_821_079_552),  # keras-hub preset phi3_mini_4k_instruct_en
    ],
)
def test_family_key_mapping_gives_exact_totals(config: dict[str, object], expected: int) -> None:
    assert count_params(arch_from_hf_config(config)).total == expected


def test_gpt2_keys() -> None:
    arch = arch_from_hf_config(load("gpt2"))
    assert (arch.hidden_size, arch.num_layers, arch.num_heads, arch.intermediate_size) == (768, 12, 12, 3072)
    assert arch.learned_position_embeddings == 1024
    assert arch.position_encoding == PositionEncoding.LEARNED
    assert arch.tie_word_embeddings
    assert arch.fused_qkv
    assert arch.norm_type == NormType.LAYERNORM


def test_neox_phi_and_qwen_details() -> None:
    neox = arch_from_hf_config(load("pythia-410m"))
    assert neox.parallel_attention_mlp
    assert neox.rotary_fraction == 0.25
    assert not neox.tie_word_embeddings
    phi = arch_from_hf_config(load("phi-2"))
    assert (phi.norms_per_layer, phi.lm_head_bias, phi.rotary_fraction) == (1, True, 0.4)
    qwen = arch_from_hf_config(load("qwen2.5-0.5b"))
    assert qwen.qkv_bias
    assert not qwen.attn_out_bias
    assert qwen.sliding_window is None  # use_sliding_window: false
    mistral = arch_from_hf_config(load("mistral-7b-v0.1"))
    assert mistral.sliding_window == 4096
    assert mistral.mlp_type == MlpType.GATED


def test_opt_projections_and_missing_final_norm() -> None:
    arch = arch_from_hf_config(OPT_350M)
    counts = count_params(arch)
    assert arch.learned_position_embeddings == 2050  # offset of 2
    assert counts.position == 2050 * 1024
    assert counts.embedding == 50272 * 512 + 512 * 1024  # tokens + project_in
    assert counts.head == 1024 * 512  # tied lm_head, project_out only
    assert counts.norms == 24 * 2 * 2 * 1024  # no final LayerNorm


def test_falcon_new_architecture_has_grouped_kv_and_two_norms() -> None:
    cfg = {
        "model_type": "falcon",
        "new_decoder_architecture": True,
        "hidden_size": 8192,
        "num_attention_heads": 128,
        "num_kv_heads": 8,
        "num_hidden_layers": 60,
        "vocab_size": 65024,
    }
    arch = arch_from_hf_config(cfg)
    assert (arch.num_kv_heads, arch.head_dim, arch.norms_per_layer) == (8, 64, 2)


def test_moe_families() -> None:
    qwen_moe = {
        **PHI3_MINI,
        "model_type": "qwen2_moe",
        "hidden_size": 2048,
        "num_hidden_layers": 24,
        "num_attention_heads": 16,
        "num_key_value_heads": 16,
        "intermediate_size": 5632,
        "vocab_size": 151936,
        "num_experts": 60,
        "num_experts_per_tok": 4,
        "moe_intermediate_size": 1408,
        "shared_expert_intermediate_size": 5632,
    }
    counts = count_params(arch_from_hf_config(qwen_moe))
    assert counts.total - counts.active == 24 * (60 - 4) * 3 * 2048 * 1408
    assert counts.router == 24 * (2048 * 60 + 2048)  # router + shared-expert gate
    deepseek = {**qwen_moe, "model_type": "deepseek", "n_routed_experts": 64, "n_shared_experts": 2}
    deepseek |= {"num_experts_per_tok": 6, "first_k_dense_replace": 1, "intermediate_size": 10944}
    arch = arch_from_hf_config(deepseek)
    assert arch.first_dense_layers == 1
    ds = count_params(arch)
    assert ds.mlp == 3 * 2048 * 10944 + 23 * (64 + 2) * 3 * 2048 * 1408


def test_qwen3_counts_qk_norm() -> None:
    cfg = {**load("qwen2.5-0.5b"), "model_type": "qwen3", "head_dim": 128}
    arch = arch_from_hf_config(cfg)
    assert arch.qk_norm
    assert not arch.qkv_bias
    assert count_params(arch).norms == 24 * (2 * 896 + 2 * 128) + 896


def test_missing_key_names_the_key_and_fix() -> None:
    cfg = load("llama-2-7b")
    del cfg["intermediate_size"]
    with pytest.raises(InvalidConfigError, match="intermediate_size") as err:
        arch_from_hf_config(cfg)
    assert err.value.field == "intermediate_size"
    assert "config.json" in err.value.fix


def test_gpt2_missing_key_mentions_alias() -> None:
    cfg = load("gpt2")
    del cfg["n_embd"]
    with pytest.raises(InvalidConfigError, match=r"n_embd.*hidden_size"):
        arch_from_hf_config(cfg)


def test_heads_not_dividing_hidden() -> None:
    with pytest.raises(InvalidConfigError, match="not divisible") as err:
        arch_from_hf_config({**load("llama-2-7b"), "num_attention_heads": 30})
    assert err.value.field == "num_attention_heads"
    # An explicit head_dim makes the same heads valid (as for Gemma).
    assert arch_from_hf_config(
        {**load("llama-2-7b"), "num_attention_heads": 30, "num_key_value_heads": 30, "head_dim": 128}
    )


def test_kv_heads_not_dividing_heads() -> None:
    with pytest.raises(InvalidConfigError, match="must divide") as err:
        arch_from_hf_config({**load("mistral-7b-v0.1"), "num_key_value_heads": 5})
    assert err.value.field == "num_key_value_heads"


@pytest.mark.parametrize(("key", "value"), [("hidden_size", "4096"), ("num_hidden_layers", 0), ("vocab_size", True)])
def test_bad_values_name_the_key(key: str, value: object) -> None:
    with pytest.raises(InvalidConfigError, match=key):
        arch_from_hf_config({**load("llama-2-7b"), key: value})


def test_unknown_model_type_without_standard_keys_lists_supported() -> None:
    # MambaConfig's keys (transformers): d_model, n_layer, vocab_size; no attention heads.
    mamba = {"model_type": "mamba", "d_model": 768, "n_layer": 24, "vocab_size": 50280}
    with pytest.raises(InvalidConfigError, match="gpt_neox") as err:
        arch_from_hf_config(mamba)
    assert err.value.field == "model_type"
    assert "d_model" in err.value.fix
    # An unmapped type with multi-head latent attention keys (Kimi K2 ships a DeepseekV3-shaped config under its own
    # model_type) would be miscounted by a Llama reading, so it is refused rather than guessed.
    mla = {**load("llama-2-7b"), "model_type": "kimi_k2", "kv_lora_rank": 512, "q_lora_rank": 1536}
    with pytest.raises(InvalidConfigError, match="latent attention"):
        arch_from_hf_config(mla)
    assert "llama" in supported_model_types()


def test_unmapped_decoder_with_standard_keys_is_read_as_llama_and_says_so() -> None:
    llama = arch_from_hf_config(load("llama-2-7b"))
    other = arch_from_hf_config({**load("llama-2-7b"), "model_type": "some_new_llama_like"})
    assert other.assumed_family == "llama"
    assert other.family == "some_new_llama_like"
    assert count_params(other).total == count_params(llama).total
    assert llama.assumed_family == ""


def test_smollm3_is_a_llama_layer_with_tied_embeddings() -> None:
    # SmolLM3-3B's shape (HuggingFaceTB/SmolLM3-3B config.json: 36 layers, hidden 2048, 16 heads, 4 kv heads,
    # intermediate 11008, vocab 128256, tied). SmolLM3's decoder layer has Llama's modules; NoPE layers change no count.
    cfg = {
        "model_type": "smollm3",
        "hidden_size": 2048,
        "num_hidden_layers": 36,
        "num_attention_heads": 16,
        "num_key_value_heads": 4,
        "intermediate_size": 11008,
        "vocab_size": 128256,
        "tie_word_embeddings": True,
        "no_rope_layers": [1, 1, 1, 0] * 9,
    }
    arch = arch_from_hf_config(cfg)
    assert arch.assumed_family == ""
    h, kv, i, layers = 2048, 512, 11008, 36
    per_layer = 2 * h * h + 2 * h * kv + 3 * h * i + 2 * h
    assert count_params(arch).total == 128256 * h + layers * per_layer + h


def test_experts_per_token_above_experts() -> None:
    with pytest.raises(InvalidConfigError, match="num_experts_per_tok"):
        arch_from_hf_config({**load("mixtral-8x7b"), "num_experts_per_tok": 9})


def test_check_arch_rejects_direct_archs_that_cannot_exist() -> None:
    good = arch_from_hf_config(load("mixtral-8x7b"))
    assert check_arch(good) is good
    with pytest.raises(InvalidConfigError, match="num_key_value_heads"):
        check_arch(good.model_copy(update={"num_kv_heads": 3}))
    with pytest.raises(InvalidConfigError, match="num_experts_per_tok"):
        check_arch(good.model_copy(update={"num_experts_per_tok": 0}))
    with pytest.raises(InvalidConfigError, match="first_k_dense_replace"):
        check_arch(good.model_copy(update={"first_dense_layers": 33}))


def test_an_estimate_of_an_assumed_family_names_the_assumption() -> None:
    from estimator.catalog.gpus import gpu
    from estimator.estimate import estimate
    from estimator.models import Hardware, TrainingRun

    arch = arch_from_hf_config({**load("llama-2-7b"), "model_type": "some_new_llama_like"})
    result = estimate(arch, TrainingRun(tokens=1e9), Hardware(gpu=gpu("H100-SXM"), count=8), ())
    family = next(a for a in result.assumptions if a.name == "model family")
    assert "some_new_llama_like read as llama" in family.value


def test_gemma3_text_1b_counts_to_the_checkpoint() -> None:
    # google/gemma-3-1b-pt config.json shape values (model_type gemma3_text); the checkpoint holds 999,885,952
    # parameters: embeddings 262144·1152 (tied) + 26 × (q, k, v, o, GeGLU, 4 norms, q/k norms of head_dim 256) + norm.
    cfg = {
        "model_type": "gemma3_text",
        "vocab_size": 262144,
        "hidden_size": 1152,
        "num_hidden_layers": 26,
        "num_attention_heads": 4,
        "num_key_value_heads": 1,
        "head_dim": 256,
        "intermediate_size": 6912,
        "sliding_window": 512,
    }
    arch = arch_from_hf_config(cfg)
    assert arch.qk_norm
    assert arch.norms_per_layer == 4
    assert count_params(arch).total == 999_885_952


def test_olmo2_normalises_all_query_and_key_heads_at_once() -> None:
    # OLMo-2-1124-7B shape (allenai config.json: vocab 100352, hidden 4096, 32 layers, 32 heads, intermediate 11008,
    # untied). Olmo2Attention's q_norm and k_norm are RMSNorms of H·d and K·d, not of head_dim.
    cfg = {
        "model_type": "olmo2",
        "vocab_size": 100352,
        "hidden_size": 4096,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 32,
        "intermediate_size": 11008,
        "tie_word_embeddings": False,
    }
    arch = arch_from_hf_config(cfg)
    h, i = 4096, 11008
    per_layer = 4 * h * h + 3 * h * i + 2 * h + (h + h)
    assert count_params(arch).total == 2 * 100352 * h + 32 * per_layer + h
    as_per_head = arch.model_copy(update={"qk_norm_full_width": False})
    assert count_params(arch).total - count_params(as_per_head).total == 32 * (2 * h - 2 * 128)
