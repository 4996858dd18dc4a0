"""Hugging Face `config.json` (as a dict) → ModelArch, one explicit key mapping per model family.

Each family reads the keys its `transformers` configuration class defines, with that class's defaults where the
Hub file omits a key (e.g. GPT-2's `n_inner=None` means 4·n_embd; Falcon's `num_kv_heads=None` means every head has
its own key/value). A missing or malformed key raises InvalidConfigError naming the key and the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from estimator.config_keys import (
    Config,
    attention_geometry,
    bool_key,
    count_key,
    dense_layer_count,
    fraction_key,
    int_key,
    llama_style_fields,
)
from estimator.errors import InvalidConfigError
from estimator.models import MlpType, ModelArch, NormType, PositionEncoding


def _llama(cfg: Config, name: str) -> ModelArch:
    """Llama 1/2/3, Mistral: attention_bias → q,k,v,o biases; mlp_bias → gate/up/down biases; RMSNorm; SwiGLU."""
    bias = bool_key(cfg, "attention_bias", False)
    family = str(cfg.get("model_type", "llama"))
    return ModelArch(
        **llama_style_fields(cfg, name, family),
        qkv_bias=bias,
        attn_out_bias=bias,
        mlp_bias=bool_key(cfg, "mlp_bias", False),
    )


def _mixtral(cfg: Config, name: str) -> ModelArch:
    """Mixtral: every layer's MLP is `num_local_experts` SwiGLU experts of `intermediate_size`, router h→E no bias."""
    return ModelArch(
        **llama_style_fields(cfg, name, "mixtral"),
        num_experts=int_key(cfg, "num_local_experts"),
        num_experts_per_tok=int_key(cfg, "num_experts_per_tok"),
    )


def _qwen2(cfg: Config, name: str) -> ModelArch:
    """Qwen2/2.5: bias on q, k, v only (not o); RMSNorm; SwiGLU."""
    return ModelArch(**llama_style_fields(cfg, name, "qwen2"), qkv_bias=True)


def _qwen3(cfg: Config, name: str) -> ModelArch:
    """Qwen3 (dense and MoE): RMSNorm on q and k per head (qk-norm); attention_bias default false; head_dim 128."""
    cfg = {"head_dim": 128, **cfg}
    bias = bool_key(cfg, "attention_bias", False)
    fields = llama_style_fields(cfg, name, str(cfg.get("model_type")))
    if cfg.get("model_type") == "qwen3_moe":
        layers = int_key(cfg, "num_hidden_layers")
        fields |= {
            "num_experts": int_key(cfg, "num_experts"),
            "num_experts_per_tok": int_key(cfg, "num_experts_per_tok"),
            "moe_intermediate_size": int_key(cfg, "moe_intermediate_size"),
            "first_dense_layers": dense_layer_count(cfg, layers, "decoder_sparse_step", "mlp_only_layers"),
        }
    return ModelArch(**fields, qkv_bias=bias, attn_out_bias=bias, qk_norm=True)


def _qwen2_moe(cfg: Config, name: str) -> ModelArch:
    """Qwen1.5/2-MoE: q,k,v bias; routed experts of moe_intermediate_size; one shared expert with a sigmoid gate h→1.

    Dense layers (mlp_only_layers, decoder_sparse_step) are counted in `first_dense_layers`: for parameters and
    FLOPs only their number matters, not their position.
    """
    layers = int_key(cfg, "num_hidden_layers")
    return ModelArch(
        **llama_style_fields(cfg, name, "qwen2_moe"),
        qkv_bias=True,
        num_experts=int_key(cfg, "num_experts"),
        num_experts_per_tok=int_key(cfg, "num_experts_per_tok"),
        moe_intermediate_size=int_key(cfg, "moe_intermediate_size"),
        num_shared_experts=1,
        shared_expert_intermediate_size=int_key(cfg, "shared_expert_intermediate_size"),
        shared_expert_gate=True,
        first_dense_layers=dense_layer_count(cfg, layers, "decoder_sparse_step", "mlp_only_layers"),
    )


def _deepseek(cfg: Config, name: str) -> ModelArch:
    """DeepSeekMoE (v1): first_k_dense_replace dense layers, n_routed_experts + n_shared_experts of moe_intermediate."""
    layers = int_key(cfg, "num_hidden_layers")
    first_k = count_key(cfg, "first_k_dense_replace", 0)
    freq = int_key(cfg, "moe_layer_freq", default=1)
    dense = sum(1 for i in range(layers) if i < first_k or i % freq != 0)
    bias = bool_key(cfg, "attention_bias", False)
    return ModelArch(
        **llama_style_fields(cfg, name, "deepseek"),
        qkv_bias=bias,
        attn_out_bias=bias,
        num_experts=int_key(cfg, "n_routed_experts"),
        num_experts_per_tok=int_key(cfg, "num_experts_per_tok"),
        moe_intermediate_size=int_key(cfg, "moe_intermediate_size"),
        num_shared_experts=count_key(cfg, "n_shared_experts", 0),
        first_dense_layers=dense,
    )


def _deepseek_v3(cfg: Config, name: str) -> ModelArch:
    """DeepSeek-V3 (transformers `DeepseekV3ForCausalLM`): multi-head latent attention (q_lora_rank, kv_lora_rank,
    qk_nope/qk_rope/v head dims; a null q_lora_rank means a full-rank q_proj), layers from first_k_dense_replace on
    are MoE: n_routed_experts of moe_intermediate_size, top num_experts_per_tok, one shared MLP of
    moe_intermediate_size × n_shared_experts, a bias-free router (its e_score_correction_bias is a buffer). The
    multi-token-prediction layer (num_nextn_predict_layers) is not part of the model transformers builds."""
    layers = int_key(cfg, "num_hidden_layers")
    nope, rope = int_key(cfg, "qk_nope_head_dim"), int_key(cfg, "qk_rope_head_dim")
    moe_i = int_key(cfg, "moe_intermediate_size")
    shared = count_key(cfg, "n_shared_experts", 0)
    bias = bool_key(cfg, "attention_bias", False)
    q_rank = cfg.get("q_lora_rank")
    fields = llama_style_fields({**cfg, "head_dim": nope + rope, "num_key_value_heads": None}, name, "deepseek_v3")
    return ModelArch(
        **fields,
        qkv_bias=bias,
        attn_out_bias=bias,
        q_lora_rank=0 if q_rank is None else int_key(cfg, "q_lora_rank"),
        kv_lora_rank=int_key(cfg, "kv_lora_rank"),
        qk_rope_head_dim=rope,
        v_head_dim=int_key(cfg, "v_head_dim"),
        rotary_fraction=rope / (nope + rope),
        num_experts=int_key(cfg, "n_routed_experts"),
        num_experts_per_tok=int_key(cfg, "num_experts_per_tok"),
        moe_intermediate_size=moe_i,
        num_shared_experts=1 if shared else 0,
        shared_expert_intermediate_size=moe_i * shared,
        first_dense_layers=min(count_key(cfg, "first_k_dense_replace", 0), layers),
    )


def _mpt(cfg: Config, name: str) -> ModelArch:
    """MPT (transformers `MptForCausalLM`): d_model, n_heads, n_layers, max_seq_len; fused Wqkv and out_proj, an
    up/down GELU MLP of expansion_ratio·d_model, no Linear biases (no_bias), LayerNorms whose bias transformers
    removes, ALiBi (no position parameters), head tied to wte. llm-foundry's grouped-query variant names its key/value
    heads in attn_config.kv_n_heads; no_bias false (llm-foundry) puts biases on every Linear and norm."""
    hidden = int_key(cfg, "d_model", "hidden_size")
    heads = int_key(cfg, "n_heads", "num_attention_heads")
    attn = cfg.get("attn_config") or {}
    if not isinstance(attn, Mapping):
        raise InvalidConfigError("attn_config", attn, "must be an object, as in the model's config.json")
    kind = attn.get("attn_type", "multihead_attention")
    geometry = attention_geometry(
        {"kv_n_heads": attn.get("kv_n_heads")},
        hidden,
        heads,
        ("kv_n_heads",) if kind != "multihead_attention" else (),
        None,
    )
    if kind == "multiquery_attention":
        geometry["num_kv_heads"] = 1
    bias = not bool_key(cfg, "no_bias", True)
    return ModelArch(
        name=name,
        family="mpt",
        vocab_size=int_key(cfg, "vocab_size"),
        hidden_size=hidden,
        num_layers=int_key(cfg, "n_layers", "num_hidden_layers"),
        **geometry,
        intermediate_size=int_key(cfg, "expansion_ratio", default=4) * hidden,
        mlp_type=MlpType.GELU,
        norm_type=NormType.LAYERNORM,
        norm_bias=bias,
        qkv_bias=bias,
        attn_out_bias=bias,
        mlp_bias=bias,
        fused_qkv=True,
        tie_word_embeddings=bool_key(cfg, "tie_word_embeddings", True),
        position_encoding=PositionEncoding.ALIBI,
        max_position_embeddings=int_key(cfg, "max_seq_len", default=2048),
    )


def _gemma(cfg: Config, name: str) -> ModelArch:
    """Gemma (2 RMSNorms per layer) / Gemma 2 and Gemma 3 text (4: pre/post attention and pre/post MLP); GeGLU;
    tied; head_dim given. Gemma 3 adds an RMSNorm of head_dim on q and on k (transformers `Gemma3Attention`)."""
    family = str(cfg.get("model_type"))
    cfg = {"tie_word_embeddings": True, **cfg}
    norms = 2 if family == "gemma" else 4
    fields = llama_style_fields(cfg, name, family)
    if family in ("gemma2", "gemma3_text"):
        # Local (windowed) and global layers alternate; attending the full context is the safe upper bound.
        fields["sliding_window"] = None
    return ModelArch(**fields, norms_per_layer=norms, qk_norm=family == "gemma3_text")


def _olmo2(cfg: Config, name: str) -> ModelArch:
    """OLMo 2: a Llama layer whose two RMSNorms follow attention and MLP (post-norm), plus one RMSNorm over all
    query heads and one over all key heads (transformers `Olmo2Attention`: q_norm(H·d), k_norm(K·d)); no biases."""
    bias = bool_key(cfg, "attention_bias", False)
    fields = llama_style_fields(cfg, name, "olmo2")
    return ModelArch(**fields, qkv_bias=bias, attn_out_bias=bias, qk_norm=True, qk_norm_full_width=True)


def _phi3(cfg: Config, name: str) -> ModelArch:
    """Phi-3: fused qkv_proj and gate_up_proj (no biases), RMSNorm, partial_rotary_factor (no parameters)."""
    return ModelArch(
        **llama_style_fields(cfg, name, "phi3"),
        fused_qkv=True,
        fused_gate_up=True,
        rotary_fraction=fraction_key(cfg, "partial_rotary_factor", 1.0),
    )


def _phi(cfg: Config, name: str) -> ModelArch:
    """Phi-1/1.5/2: parallel attention+MLP with ONE LayerNorm, biases on q,k,v,dense,fc1,fc2 and on lm_head."""
    return ModelArch(
        **llama_style_fields(cfg, name, "phi"),
        mlp_type=MlpType.GELU,
        norm_type=NormType.LAYERNORM,
        norms_per_layer=1,
        qkv_bias=True,
        attn_out_bias=True,
        mlp_bias=True,
        lm_head_bias=True,
        qk_norm=bool_key(cfg, "qk_layernorm", False),
        parallel_attention_mlp=True,
        rotary_fraction=fraction_key(cfg, "partial_rotary_factor", 0.5),
    )


def _gpt2(cfg: Config, name: str) -> ModelArch:
    """GPT-2: n_embd/n_layer/n_head/n_positions, n_inner (None = 4·n_embd), fused c_attn, biases, learned positions."""
    hidden = int_key(cfg, "n_embd", "hidden_size")
    positions = int_key(cfg, "n_positions", "max_position_embeddings")
    return ModelArch(
        name=name,
        family="gpt2",
        vocab_size=int_key(cfg, "vocab_size"),
        hidden_size=hidden,
        num_layers=int_key(cfg, "n_layer", "num_hidden_layers"),
        **attention_geometry(cfg, hidden, int_key(cfg, "n_head", "num_attention_heads"), (), None),
        intermediate_size=int_key(cfg, "n_inner", default=4 * hidden),
        **_gelu_layernorm_biases(),
        fused_qkv=True,
        tie_word_embeddings=bool_key(cfg, "tie_word_embeddings", True),
        position_encoding=PositionEncoding.LEARNED,
        max_position_embeddings=positions,
        learned_position_embeddings=positions,
    )


def _gelu_layernorm_biases() -> dict[str, object]:
    return {
        "mlp_type": MlpType.GELU,
        "norm_type": NormType.LAYERNORM,
        "qkv_bias": True,
        "attn_out_bias": True,
        "mlp_bias": True,
    }


def _gpt_neox(cfg: Config, name: str) -> ModelArch:
    """GPT-NeoX/Pythia: fused query_key_value, attention_bias (default true), MLP biases, 2 LayerNorms per layer,
    parallel residual, partial rotary (rotary_pct), untied embed_out."""
    hidden = int_key(cfg, "hidden_size")
    bias = bool_key(cfg, "attention_bias", True)
    return ModelArch(
        name=name,
        family="gpt_neox",
        vocab_size=int_key(cfg, "vocab_size"),
        hidden_size=hidden,
        num_layers=int_key(cfg, "num_hidden_layers"),
        **attention_geometry(cfg, hidden, int_key(cfg, "num_attention_heads"), (), None),
        intermediate_size=int_key(cfg, "intermediate_size"),
        **(_gelu_layernorm_biases() | {"qkv_bias": bias, "attn_out_bias": bias}),
        fused_qkv=True,
        tie_word_embeddings=bool_key(cfg, "tie_word_embeddings", False),
        parallel_attention_mlp=bool_key(cfg, "use_parallel_residual", True),
        rotary_fraction=fraction_key(cfg, "rotary_pct", 0.25),
        max_position_embeddings=int_key(cfg, "max_position_embeddings", default=2048),
    )


def _bloom(cfg: Config, name: str) -> ModelArch:
    """BLOOM: LayerNorm after the word embeddings, ALiBi (no position parameters), fused qkv with biases, 4h MLP,
    tied head."""
    hidden = int_key(cfg, "hidden_size", "n_embed")
    return ModelArch(
        name=name,
        family="bloom",
        vocab_size=int_key(cfg, "vocab_size"),
        hidden_size=hidden,
        num_layers=int_key(cfg, "n_layer", "num_hidden_layers"),
        **attention_geometry(cfg, hidden, int_key(cfg, "n_head", "num_attention_heads"), (), None),
        intermediate_size=4 * hidden,
        **_gelu_layernorm_biases(),
        fused_qkv=True,
        embedding_norm=True,
        tie_word_embeddings=bool_key(cfg, "tie_word_embeddings", True),
        position_encoding=PositionEncoding.ALIBI,
        max_position_embeddings=int_key(cfg, "seq_length", default=2048),
    )


def _opt(cfg: Config, name: str) -> ModelArch:
    """OPT: ffn_dim, learned positions with 2 offset rows, project_in/out when word_embed_proj_dim ≠ hidden_size,
    no final LayerNorm when do_layer_norm_before is false (OPT-350m), enable_bias for every Linear, ReLU MLP, tied."""
    hidden = int_key(cfg, "hidden_size")
    positions = int_key(cfg, "max_position_embeddings")
    affine = bool_key(cfg, "layer_norm_elementwise_affine", True)
    bias = bool_key(cfg, "enable_bias", True)
    final = bool_key(cfg, "do_layer_norm_before", True) and not bool_key(cfg, "_remove_final_layer_norm", False)
    return ModelArch(
        name=name,
        family="opt",
        vocab_size=int_key(cfg, "vocab_size"),
        hidden_size=hidden,
        num_layers=int_key(cfg, "num_hidden_layers"),
        **attention_geometry(cfg, hidden, int_key(cfg, "num_attention_heads"), (), None),
        intermediate_size=int_key(cfg, "ffn_dim"),
        mlp_type=MlpType.GELU,  # ReLU: same two-matrix shape
        norm_type=NormType.LAYERNORM,
        norms_per_layer=2 if affine else 0,
        final_norm=final and affine,
        qkv_bias=bias,
        attn_out_bias=bias,
        mlp_bias=bias,
        tie_word_embeddings=bool_key(cfg, "tie_word_embeddings", True),
        position_encoding=PositionEncoding.LEARNED,
        max_position_embeddings=positions,
        learned_position_embeddings=positions + 2,  # OPTLearnedPositionalEmbedding's offset of 2
        word_embed_proj_dim=int_key(cfg, "word_embed_proj_dim", default=hidden),
    )


def _falcon(cfg: Config, name: str) -> ModelArch:
    """Falcon: new_decoder_architecture (grouped kv, ln_attn+ln_mlp) or multi_query (1 kv head); parallel_attn; `bias`
    on every Linear; 4h (ffn_hidden_size) GELU MLP; LayerNorm; tied head. RefinedWeb* are the pre-HF names."""
    model_type = cfg.get("model_type")
    new_arch = bool_key(cfg, "new_decoder_architecture", model_type == "RefinedWeb")
    hidden = int_key(cfg, "hidden_size", "n_embed")
    heads = int_key(cfg, "num_attention_heads", "n_head")
    if new_arch:
        kv_keys: tuple[str, ...] = ("num_kv_heads", "n_head_kv")
    else:
        kv_keys = ("num_kv_heads",) if not bool_key(cfg, "multi_query", True) else ()
    geometry = attention_geometry(cfg, hidden, heads, kv_keys, None)
    if not new_arch and bool_key(cfg, "multi_query", True):
        geometry["num_kv_heads"] = 1
    parallel = bool_key(cfg, "parallel_attn", True)
    num_ln = int_key(cfg, "num_ln_in_parallel_attn", default=2 if new_arch else 1)
    bias = bool_key(cfg, "bias", False)
    alibi = bool_key(cfg, "alibi", False)
    return ModelArch(
        name=name,
        family="falcon",
        vocab_size=int_key(cfg, "vocab_size"),
        hidden_size=hidden,
        num_layers=int_key(cfg, "num_hidden_layers", "n_layer"),
        **geometry,
        intermediate_size=int_key(cfg, "ffn_hidden_size", default=4 * hidden),
        mlp_type=MlpType.GELU,
        norm_type=NormType.LAYERNORM,
        norms_per_layer=2 if not parallel or num_ln == 2 else 1,
        qkv_bias=bias,
        attn_out_bias=bias,
        mlp_bias=bias,
        fused_qkv=True,
        tie_word_embeddings=bool_key(cfg, "tie_word_embeddings", True),
        parallel_attention_mlp=parallel,
        position_encoding=PositionEncoding.ALIBI if alibi else PositionEncoding.ROPE,
        max_position_embeddings=int_key(cfg, "max_position_embeddings", default=2048),
    )


def _families() -> dict[str, Callable[[Config, str], ModelArch]]:
    return {
        "llama": _llama,
        "mistral": _llama,
        "mixtral": _mixtral,
        "qwen2": _qwen2,
        "qwen2_moe": _qwen2_moe,
        "qwen3": _qwen3,
        "qwen3_moe": _qwen3,
        "gemma": _gemma,
        "gemma2": _gemma,
        "gemma3_text": _gemma,
        "olmo2": _olmo2,
        "phi": _phi,
        "phi3": _phi3,
        "gpt2": _gpt2,
        "gpt_neox": _gpt_neox,
        "bloom": _bloom,
        "opt": _opt,
        "falcon": _falcon,
        "RefinedWeb": _falcon,
        "RefinedWebModel": _falcon,
        "deepseek": _deepseek,
        "deepseek_v3": _deepseek_v3,
        "mpt": _mpt,
        # SmolLM3: a Llama layer (same modules and biases); some layers skip RoPE, which changes no count.
        "smollm3": _llama,
    }


def supported_model_types() -> list[str]:
    """The HF `model_type` values `arch_from_hf_config` understands."""
    return sorted(_families())


def arch_from_hf_config(config: Mapping[str, object], name: str = "custom") -> ModelArch:
    """Build a ModelArch from a Hugging Face config.json dict. Without `model_type`, Llama keys and defaults apply.

    Raises InvalidConfigError naming the key and the fix for missing keys, bad values, heads not dividing the hidden
    size (when head_dim is absent), kv heads not dividing heads, and unsupported model types.
    """
    model_type = config.get("model_type", "llama")
    family = _families().get(str(model_type))
    if family is None:
        return check_arch(_assumed_llama(config, name, str(model_type)))
    return check_arch(family(config, name))


# Keys of layouts the Llama reading would miscount: multi-head latent attention (DeepSeek-V2/V3, Kimi), MPT's and
# other non-standard names for the layer shape. A config with one of them is refused rather than guessed.
_NON_LLAMA_KEYS = ("kv_lora_rank", "q_lora_rank", "d_model", "n_layers", "n_embd", "expansion_ratio")
_LLAMA_KEYS = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size")


def _assumed_llama(config: Config, name: str, model_type: str) -> ModelArch:
    """An unmapped decoder whose standard keys suffice, read as a Llama layer, with the assumption recorded."""
    odd = [k for k in _NON_LLAMA_KEYS if k in config]
    missing = [k for k in _LLAMA_KEYS if k not in config]
    if odd or missing:
        why = f"has {', '.join(odd)}, which a Llama layout would miscount" if odd else f"lacks {', '.join(missing)}"
        hint = " (multi-head latent attention is not modelled)" if "kv_lora_rank" in odd else ""
        raise InvalidConfigError(
            "model_type",
            model_type,
            f"unsupported{hint}: the config {why}; supported: {', '.join(supported_model_types())}",
        )
    arch = _llama({**config, "model_type": model_type}, name)
    return arch.model_copy(update={"assumed_family": "llama"})


def check_arch(arch: ModelArch) -> ModelArch:
    """Reject a ModelArch whose values cannot describe a real model (for archs built directly, not from a config)."""
    if arch.num_heads % arch.num_kv_heads:
        raise InvalidConfigError(
            "num_key_value_heads", arch.num_kv_heads, f"must divide num_attention_heads {arch.num_heads}"
        )
    if arch.num_experts and not 0 < arch.num_experts_per_tok <= arch.num_experts:
        raise InvalidConfigError(
            "num_experts_per_tok", arch.num_experts_per_tok, f"must be between 1 and the {arch.num_experts} experts"
        )
    if not 0 <= arch.first_dense_layers <= arch.num_layers:
        raise InvalidConfigError(
            "first_k_dense_replace",
            arch.first_dense_layers,
            f"must be between 0 and num_hidden_layers {arch.num_layers}",
        )
    return arch
