"""Readers of Hugging Face config.json keys: typed values, transformers' defaults, errors that name the key.

Shared by the per-family mappings in `estimator.config`.
"""

from __future__ import annotations

from collections.abc import Mapping

from estimator.errors import InvalidConfigError

Config = Mapping[str, object]
_MISSING = object()


def get_key(cfg: Config, keys: tuple[str, ...], default: object = _MISSING) -> object:
    for key in keys:
        value = cfg.get(key)
        if value is not None:
            return value
    if default is _MISSING:
        also = f" (or {', '.join(keys[1:])})" if len(keys) > 1 else ""
        model_type = cfg.get("model_type", "unset")
        raise InvalidConfigError(
            keys[0], None, f"missing key{also} for model_type {model_type!r}; copy it from the model's config.json"
        )
    return default


def int_key(cfg: Config, *keys: str, default: int | None = None) -> int:
    value = get_key(cfg, keys, _MISSING if default is None else default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidConfigError(keys[0], value, "must be a positive integer")
    return value


def bool_key(cfg: Config, key: str, default: bool) -> bool:
    value = cfg.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidConfigError(key, value, "must be true or false")
    return value


def count_key(cfg: Config, key: str, default: int) -> int:
    """A non-negative integer (e.g. a number of shared experts, which may be 0)."""
    value = cfg.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidConfigError(key, value, "must be a non-negative integer")
    return value


def fraction_key(cfg: Config, key: str, default: float) -> float:
    value = cfg.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise InvalidConfigError(key, value, "must be a number in (0, 1]")
    return float(value)


def attention_geometry(
    cfg: Config, hidden: int, heads: int, kv_keys: tuple[str, ...], head_dim: int | None
) -> dict[str, int]:
    """Attention geometry: kv heads default to heads (MHA); head_dim defaults to hidden/heads, which must divide."""
    kv = int_key(cfg, *kv_keys, default=heads) if kv_keys else heads
    if head_dim is None:
        if hidden % heads:
            raise InvalidConfigError(
                "num_attention_heads",
                heads,
                f"hidden_size {hidden} is not divisible by {heads} heads; set head_dim or use a divisor of {hidden}",
            )
        head_dim = hidden // heads
    if heads % kv:
        raise InvalidConfigError(
            "num_key_value_heads", kv, f"must divide num_attention_heads {heads} (grouped-query attention)"
        )
    return {"num_heads": heads, "num_kv_heads": kv, "head_dim": head_dim}


def llama_style_fields(cfg: Config, name: str, family: str) -> dict[str, object]:
    """Keys shared by the Llama-style families (Llama, Mistral, Mixtral, Qwen, Gemma, Phi-3, DeepSeek)."""
    hidden = int_key(cfg, "hidden_size")
    heads = int_key(cfg, "num_attention_heads")
    head_dim = cfg.get("head_dim")
    return {
        "name": name,
        "family": family,
        "vocab_size": int_key(cfg, "vocab_size"),
        "hidden_size": hidden,
        "num_layers": int_key(cfg, "num_hidden_layers"),
        **attention_geometry(
            cfg, hidden, heads, ("num_key_value_heads",), int_key(cfg, "head_dim") if head_dim else None
        ),
        "intermediate_size": int_key(cfg, "intermediate_size"),
        "max_position_embeddings": int_key(cfg, "max_position_embeddings", default=4096),
        "tie_word_embeddings": bool_key(cfg, "tie_word_embeddings", False),
        "sliding_window": sliding_window(cfg),
    }


def sliding_window(cfg: Config) -> int | None:
    """Window of local attention; Qwen2 ships a window but disables it with use_sliding_window=false."""
    window = cfg.get("sliding_window")
    if not isinstance(window, int) or isinstance(window, bool) or not bool_key(cfg, "use_sliding_window", True):
        return None
    return window


def dense_layer_count(cfg: Config, layers: int, step_key: str, only_key: str, first_k: int = 0) -> int:
    """Layers with a dense MLP: the first k, those listed in `only_key`, and those skipped by the sparse step."""
    step = int_key(cfg, step_key, default=1)
    only = cfg.get(only_key) or []
    if not isinstance(only, list):
        raise InvalidConfigError(only_key, only, "must be a list of layer indices")
    return sum(1 for i in range(layers) if i < first_k or i in only or (i + 1) % step != 0)
