"""Model presets: the Hugging Face config.json values of common public models, keyed by a short name.

Each preset keeps only the keys that decide size and cost, copied from the config.json of the Hugging Face repo named
beside it (values as published on the Hub, checked 2025; the reference configs in tests/data/hf-configs are verbatim
copies). A preset is built through `arch_from_hf_config`, so presets and user configs share one code path.
"""

from __future__ import annotations

import difflib

from estimator.config import arch_from_hf_config
from estimator.errors import UnknownModelError
from estimator.models import ModelArch

Cfg = dict[str, object]


def _llama(v: int, h: int, n: int, heads: int, kv: int, i: int, pos: int, **extra: object) -> Cfg:
    return {
        "model_type": "llama",
        "vocab_size": v,
        "hidden_size": h,
        "num_hidden_layers": n,
        "num_attention_heads": heads,
        "num_key_value_heads": kv,
        "intermediate_size": i,
        "max_position_embeddings": pos,
        **extra,
    }


def _typed(model_type: str, base: Cfg, **extra: object) -> Cfg:
    return base | {"model_type": model_type} | extra


def _gpt2(h: int, n: int, heads: int) -> Cfg:
    return {"model_type": "gpt2", "vocab_size": 50257, "n_embd": h, "n_layer": n, "n_head": heads, "n_positions": 1024}


def _neox(v: int, h: int, n: int, heads: int) -> Cfg:
    return {
        "model_type": "gpt_neox",
        "vocab_size": v,
        "hidden_size": h,
        "num_hidden_layers": n,
        "num_attention_heads": heads,
        "intermediate_size": 4 * h,
        "rotary_pct": 0.25,
        "use_parallel_residual": True,
        "max_position_embeddings": 2048,
    }


def _opt(h: int, n: int, heads: int, **extra: object) -> Cfg:
    return {
        "model_type": "opt",
        "vocab_size": 50272,
        "hidden_size": h,
        "num_hidden_layers": n,
        "num_attention_heads": heads,
        "ffn_dim": 4 * h,
        "max_position_embeddings": 2048,
        "word_embed_proj_dim": h,
        **extra,
    }


def _bloom(h: int, n: int, heads: int) -> Cfg:
    return {"model_type": "bloom", "vocab_size": 250880, "n_embed": h, "n_layer": n, "num_attention_heads": heads}


def _gemma(family: str, h: int, n: int, heads: int, kv: int, head_dim: int, i: int) -> Cfg:
    return _llama(256000, h, n, heads, kv, i, 8192, model_type=family, head_dim=head_dim, tie_word_embeddings=True)


def _catalog() -> dict[str, tuple[str, Cfg]]:
    """name -> (Hugging Face repo id the values come from, config.json keys). Built on call: no import-time work."""
    l3, l31 = 128256, 131072
    q_small, q_big = 151936, 152064
    tied = {"tie_word_embeddings": True}
    mistral = _llama(32000, 4096, 32, 32, 8, 14336, 32768, model_type="mistral", sliding_window=4096)
    qwen1_5_moe = _typed(
        "qwen2_moe",
        _llama(q_small, 2048, 24, 16, 16, 5632, 8192),
        num_experts=60,
        num_experts_per_tok=4,
        moe_intermediate_size=1408,
        shared_expert_intermediate_size=5632,
    )
    deepseek_moe = _typed(
        "deepseek",
        _llama(102400, 2048, 28, 16, 16, 10944, 4096),
        n_routed_experts=64,
        n_shared_experts=2,
        num_experts_per_tok=6,
        moe_intermediate_size=1408,
        first_k_dense_replace=1,
        moe_layer_freq=1,
    )
    return {
        "llama-2-7b": ("meta-llama/Llama-2-7b-hf", _llama(32000, 4096, 32, 32, 32, 11008, 4096)),
        "llama-2-13b": ("meta-llama/Llama-2-13b-hf", _llama(32000, 5120, 40, 40, 40, 13824, 4096)),
        "llama-2-70b": ("meta-llama/Llama-2-70b-hf", _llama(32000, 8192, 80, 64, 8, 28672, 4096)),
        "llama-3-8b": ("meta-llama/Meta-Llama-3-8B", _llama(l3, 4096, 32, 32, 8, 14336, 8192)),
        "llama-3-70b": ("meta-llama/Meta-Llama-3-70B", _llama(l3, 8192, 80, 64, 8, 28672, 8192)),
        "llama-3.1-8b": ("meta-llama/Llama-3.1-8B", _llama(l3, 4096, 32, 32, 8, 14336, l31)),
        "llama-3.1-70b": ("meta-llama/Llama-3.1-70B", _llama(l3, 8192, 80, 64, 8, 28672, l31)),
        "llama-3.1-405b": ("meta-llama/Llama-3.1-405B", _llama(l3, 16384, 126, 128, 8, 53248, l31)),
        "llama-3.2-1b": ("meta-llama/Llama-3.2-1B", _llama(l3, 2048, 16, 32, 8, 8192, l31, head_dim=64, **tied)),
        "llama-3.2-3b": ("meta-llama/Llama-3.2-3B", _llama(l3, 3072, 28, 24, 8, 8192, l31, head_dim=128, **tied)),
        "tinyllama-1.1b": (
            "TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T",
            _llama(32000, 2048, 22, 32, 4, 5632, 2048),
        ),
        "smollm-135m": ("HuggingFaceTB/SmolLM-135M", _llama(49152, 576, 30, 9, 3, 1536, 2048, **tied)),
        "smollm-360m": ("HuggingFaceTB/SmolLM-360M", _llama(49152, 960, 32, 15, 5, 2560, 2048, **tied)),
        "smollm-1.7b": ("HuggingFaceTB/SmolLM-1.7B", _llama(49152, 2048, 24, 32, 32, 8192, 2048, **tied)),
        "mistral-7b-v0.1": ("mistralai/Mistral-7B-v0.1", mistral),
        "mistral-7b": ("mistralai/Mistral-7B-v0.1", mistral),
        "mistral-7b-v0.3": ("mistralai/Mistral-7B-v0.3", mistral | {"vocab_size": 32768, "sliding_window": None}),
        "mixtral-8x7b": (
            "mistralai/Mixtral-8x7B-v0.1",
            _typed("mixtral", mistral, sliding_window=None, num_local_experts=8, num_experts_per_tok=2),
        ),
        "qwen2.5-0.5b": ("Qwen/Qwen2.5-0.5B", _typed("qwen2", _llama(q_small, 896, 24, 14, 2, 4864, 32768, **tied))),
        "qwen2.5-1.5b": ("Qwen/Qwen2.5-1.5B", _typed("qwen2", _llama(q_small, 1536, 28, 12, 2, 8960, 32768, **tied))),
        "qwen2.5-3b": ("Qwen/Qwen2.5-3B", _typed("qwen2", _llama(q_small, 2048, 36, 16, 2, 11008, 32768, **tied))),
        "qwen2.5-7b": ("Qwen/Qwen2.5-7B", _typed("qwen2", _llama(q_big, 3584, 28, 28, 4, 18944, 131072))),
        "qwen2.5-14b": ("Qwen/Qwen2.5-14B", _typed("qwen2", _llama(q_big, 5120, 48, 40, 8, 13824, 131072))),
        "qwen2.5-32b": ("Qwen/Qwen2.5-32B", _typed("qwen2", _llama(q_big, 5120, 64, 40, 8, 27648, 131072))),
        "qwen2.5-72b": ("Qwen/Qwen2.5-72B", _typed("qwen2", _llama(q_big, 8192, 80, 64, 8, 29568, 131072))),
        "qwen1.5-moe-a2.7b": ("Qwen/Qwen1.5-MoE-A2.7B", qwen1_5_moe),
        "deepseek-moe-16b": ("deepseek-ai/deepseek-moe-16b-base", deepseek_moe),
        "gemma-2b": ("google/gemma-2b", _gemma("gemma", 2048, 18, 8, 1, 256, 16384)),
        "gemma-7b": ("google/gemma-7b", _gemma("gemma", 3072, 28, 16, 16, 256, 24576)),
        "gemma-2-2b": ("google/gemma-2-2b", _gemma("gemma2", 2304, 26, 8, 4, 256, 9216)),
        "gemma-2-9b": ("google/gemma-2-9b", _gemma("gemma2", 3584, 42, 16, 8, 256, 14336)),
        "gemma-2-27b": ("google/gemma-2-27b", _gemma("gemma2", 4608, 46, 32, 16, 128, 36864)),
        "phi-1.5": (
            "microsoft/phi-1_5",
            _typed("phi", _llama(51200, 2048, 24, 32, 32, 8192, 2048), partial_rotary_factor=0.5),
        ),
        "phi-2": (
            "microsoft/phi-2",
            _typed("phi", _llama(51200, 2560, 32, 32, 32, 10240, 2048), partial_rotary_factor=0.4),
        ),
        "phi-3-mini": ("microsoft/Phi-3-mini-4k-instruct", _typed("phi3", _llama(32064, 3072, 32, 32, 32, 8192, 4096))),
        "gpt2": ("openai-community/gpt2", _gpt2(768, 12, 12)),
        "gpt2-medium": ("openai-community/gpt2-medium", _gpt2(1024, 24, 16)),
        "gpt2-large": ("openai-community/gpt2-large", _gpt2(1280, 36, 20)),
        "gpt2-xl": ("openai-community/gpt2-xl", _gpt2(1600, 48, 25)),
        "pythia-70m": ("EleutherAI/pythia-70m", _neox(50304, 512, 6, 8)),
        "pythia-160m": ("EleutherAI/pythia-160m", _neox(50304, 768, 12, 12)),
        "pythia-410m": ("EleutherAI/pythia-410m", _neox(50304, 1024, 24, 16)),
        "pythia-1b": ("EleutherAI/pythia-1b", _neox(50304, 2048, 16, 8)),
        "pythia-1.4b": ("EleutherAI/pythia-1.4b", _neox(50304, 2048, 24, 16)),
        "pythia-2.8b": ("EleutherAI/pythia-2.8b", _neox(50304, 2560, 32, 32)),
        "pythia-6.9b": ("EleutherAI/pythia-6.9b", _neox(50432, 4096, 32, 32)),
        "pythia-12b": ("EleutherAI/pythia-12b", _neox(50688, 5120, 36, 40)),
        "opt-125m": ("facebook/opt-125m", _opt(768, 12, 12)),
        "opt-350m": ("facebook/opt-350m", _opt(1024, 24, 16, word_embed_proj_dim=512, do_layer_norm_before=False)),
        "opt-1.3b": ("facebook/opt-1.3b", _opt(2048, 24, 32)),
        "opt-6.7b": ("facebook/opt-6.7b", _opt(4096, 32, 32)),
        "opt-13b": ("facebook/opt-13b", _opt(5120, 40, 40)),
        "bloom-560m": ("bigscience/bloom-560m", _bloom(1024, 24, 16)),
        "bloom-1b1": ("bigscience/bloom-1b1", _bloom(1536, 24, 16)),
        "bloom-7b1": ("bigscience/bloom-7b1", _bloom(4096, 30, 32)),
        "falcon-7b": (
            "tiiuae/falcon-7b",
            {
                "model_type": "falcon",
                "vocab_size": 65024,
                "hidden_size": 4544,
                "num_hidden_layers": 32,
                "num_attention_heads": 71,
                "multi_query": True,
                "parallel_attn": True,
                "bias": False,
            },
        ),
        # The LlamaForCausalLM shapes of trainspend's public H100 measurements (vocab 32000, untied, MHA, SwiGLU).
        "h100-ref-125m": ("trainspend H100 measurements (LlamaConfig)", _llama(32000, 768, 12, 12, 12, 2048, 2048)),
        "h100-ref-1.3b": ("trainspend H100 measurements (LlamaConfig)", _llama(32000, 2048, 24, 16, 16, 5504, 2048)),
        "h100-ref-2.7b": ("trainspend H100 measurements (LlamaConfig)", _llama(32000, 2560, 32, 20, 20, 6912, 2048)),
    }


def preset_names() -> list[str]:
    """All preset names, sorted."""
    return sorted(_catalog())


# The shapes of trainspend's own H100 measurements: presets so the accuracy benchmark can name them, not models a
# user would train, so listings leave them out (they still resolve by name).
REFERENCE_PREFIX = "h100-ref-"


def public_preset_names() -> list[str]:
    """The preset names a listing shows: every preset but the measurement reference shapes, sorted."""
    return [name for name in preset_names() if not name.startswith(REFERENCE_PREFIX)]


def preset_source(name: str) -> str:
    """The Hugging Face repo id (or measurement) a preset's config values come from."""
    return preset(name).source


def _normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def preset(name: str) -> ModelArch:
    """The ModelArch of a preset, by short name (case-insensitive) or by its Hugging Face repo id.

    Raises UnknownModelError listing the closest names (difflib) when there is no such preset.
    """
    catalog = _catalog()
    wanted = _normalise(name)
    for key, (repo, cfg) in catalog.items():
        if wanted in (key, _normalise(repo)):
            return arch_from_hf_config(cfg, key).model_copy(update={"source": repo})
    close = difflib.get_close_matches(wanted, list(catalog), n=5, cutoff=0.4)
    suggestion = f"did you mean {', '.join(close)}?" if close else "no close match"
    raise UnknownModelError(
        "model", name, f"{suggestion} Run `trainspend models` for the presets, or pass --model-config FILE."
    )
