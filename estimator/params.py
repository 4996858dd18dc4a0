"""Exact parameter counts of a decoder-only transformer, with a breakdown, MoE active counts and LoRA adapters.

The count is the number of unique trainable tensors' elements that Hugging Face `transformers` builds for the config
(what `sum(p.numel() for p in model.parameters())` reports, tied weights counted once). Buffers such as rotary
`inv_freq` or ALiBi slopes are not parameters. Per layer, with h = hidden, d = head_dim, H = heads, K = kv heads,
i = intermediate size:

    attention = h·H·d (q) + 2·h·K·d (k, v) + H·d·h (o)  [+ biases]
    MLA       = h·r_q + r_q·H·d (q through its latent; h·H·d without one) + h·(r_kv + d_rope) (latent + shared
                rotary key) + r_kv·H·(d − d_rope + d_v) (keys and values from the latent) + H·d_v·h (o), and an
                RMSNorm on each latent (DeepSeek-V2, arXiv:2405.04434 §2.1; transformers `DeepseekV3Attention`)
    mlp       = 3·h·i (gated: gate, up, down) or 2·h·i (GELU/ReLU: up, down)  [+ biases]
    norms     = norms_per_layer · h · (2 for LayerNorm weight+bias, 1 for RMSNorm)

plus embeddings V·h, learned positions P·h, the final norm and an untied head V·h (Kaplan et al. 2020, §2.1 gives the
non-embedding approximation N ≈ 12·L·h² that this refines). MoE layers hold E routed experts, shared experts and a
router h·E; `active` counts only top-k routed experts (Mixtral: 12,879,925,248 of 46,702,792,704).

LoRA (Hu et al. 2021): each adapted Linear of shape (in, out) gains r·(in + out) parameters — A is r×in, B is out×r —
which is exactly what peft reports as trainable.
"""

from __future__ import annotations

from types import MappingProxyType

from estimator.errors import InvalidConfigError
from estimator.models import Frozen, LoraConfig, Method, MlpType, ModelArch, NormType

# Names a user may give in LoRA targets, mapped to our canonical module names (HF module names and peft habits).
_TARGET_ALIASES = MappingProxyType(
    {
        "q": "q",
        "q_proj": "q",
        "query": "q",
        "k": "k",
        "k_proj": "k",
        "key": "k",
        "v": "v",
        "v_proj": "v",
        "value": "v",
        "o": "o",
        "o_proj": "o",
        "out_proj": "o",
        "dense": "o",
        "c_proj": "o+down",  # GPT-2 names both attn.c_proj and mlp.c_proj so; peft adapts both
        "qkv": "qkv",
        "qkv_proj": "qkv",
        "c_attn": "qkv",
        "query_key_value": "qkv",
        "gate": "gate",
        "gate_proj": "gate",
        "w1": "gate",
        "up": "up",
        "up_proj": "up",
        "w3": "up",
        "fc1": "up",
        "dense_h_to_4h": "up",
        "c_fc": "up",
        "gate_up": "gate_up",
        "gate_up_proj": "gate_up",
        "down": "down",
        "down_proj": "down",
        "w2": "down",
        "fc2": "down",
        "dense_4h_to_h": "down",
        "head": "head",
        "lm_head": "head",
    }
)


class ParamCounts(Frozen):
    """Parameter counts. `total` = embedding + position + attention + mlp + router + norms + head + lora.

    `total` includes LoRA adapters (as peft's "all params" does); `base` is the model without them. `active` is what
    one token uses (MoE: top-k routed experts only). `trainable` is total for full training, the adapters for
    LoRA/QLoRA.
    """

    total: int
    active: int
    trainable: int
    embedding: int
    position: int
    attention: int
    mlp: int
    router: int
    norms: int
    head: int
    lora: int

    @property
    def base(self) -> int:
        """Parameters of the model itself, without LoRA adapters."""
        return self.total - self.lora

    @property
    def non_embedding(self) -> int:
        """Kaplan et al. 2020's N: parameters outside the token/position embeddings and the output head."""
        return self.base - self.embedding - self.position - self.head


def norm_params(arch: ModelArch, width: int) -> int:
    """Elements of one norm of `width`: LayerNorm has weight and bias (MPT's no bias), RMSNorm weight only."""
    return width * (2 if arch.norm_type == NormType.LAYERNORM and arch.norm_bias else 1)


def v_head_dim(arch: ModelArch) -> int:
    """Width of one value head (MLA sets its own; otherwise head_dim)."""
    return arch.v_head_dim or arch.head_dim


def attention_linears(arch: ModelArch) -> list[tuple[int, int]]:
    """(in, out) of one layer's attention projections, in the order a token passes them (module docstring)."""
    h, heads, d = arch.hidden_size, arch.num_heads, arch.head_dim
    if arch.kv_lora_rank:
        rq, rkv, rope, dv = arch.q_lora_rank, arch.kv_lora_rank, arch.qk_rope_head_dim, v_head_dim(arch)
        q = [(h, rq), (rq, heads * d)] if rq else [(h, heads * d)]
        return [*q, (h, rkv + rope), (rkv, heads * (d - rope + dv)), (heads * dv, h)]
    qw, kw = q_width(arch), kv_width(arch)
    return [(h, qw), (h, kw), (h, kw), (qw, h)]


def score_width(arch: ModelArch) -> float:
    """Per attended key, FLOPs/2 of QKᵀ and PV per token: (H·d + H·d_v)/2 (= H·d unless values are narrower)."""
    return arch.num_heads * (arch.head_dim + v_head_dim(arch)) / 2


def q_width(arch: ModelArch) -> int:
    """Output width of the query projection, H·d (≠ hidden when head_dim is set explicitly, e.g. Gemma)."""
    return arch.num_heads * arch.head_dim


def kv_width(arch: ModelArch) -> int:
    """Output width of each of the key and value projections, K·d (grouped-query attention when K < H)."""
    return arch.num_kv_heads * arch.head_dim


def attention_params(arch: ModelArch) -> int:
    """One layer's attention: q, k, v, o projections and their biases (qk-norm weights are counted as norms)."""
    h, qw, kw = arch.hidden_size, q_width(arch), kv_width(arch)
    weights = sum(fan_in * fan_out for fan_in, fan_out in attention_linears(arch))
    # MLA's attention_bias sits on the two down-projections (q_a, kv_a) and o (transformers DeepseekV3Attention)
    mla_biases = arch.q_lora_rank + arch.kv_lora_rank + arch.qk_rope_head_dim
    input_biases = mla_biases if arch.kv_lora_rank else qw + 2 * kw
    biases = (input_biases if arch.qkv_bias else 0) + (h if arch.attn_out_bias else 0)
    return weights + biases


def mlp_params(arch: ModelArch, intermediate: int) -> int:
    """One feed-forward block of width `intermediate`: gated = 3·h·i (+ 2·i + h biases), plain = 2·h·i (+ i + h)."""
    h = arch.hidden_size
    if arch.mlp_type == MlpType.GATED:
        return 3 * h * intermediate + ((2 * intermediate + h) if arch.mlp_bias else 0)
    return 2 * h * intermediate + ((intermediate + h) if arch.mlp_bias else 0)


def moe_layers(arch: ModelArch) -> int:
    """Layers whose feed-forward is a mixture of experts (all but the first `first_dense_layers`)."""
    return 0 if arch.num_experts == 0 else arch.num_layers - arch.first_dense_layers


def expert_intermediate(arch: ModelArch) -> int:
    """Width of one routed expert."""
    return arch.moe_intermediate_size or arch.intermediate_size


def routed_expert_params(arch: ModelArch) -> int:
    """Parameters of every routed expert of every MoE layer: what expert parallelism splits (0 for a dense model)."""
    return moe_layers(arch) * _moe_parts(arch)[0] if arch.num_experts else 0


def _layer_norm_params(arch: ModelArch) -> int:
    per_layer = arch.norms_per_layer * norm_params(arch, arch.hidden_size)
    if arch.qk_norm and arch.qk_norm_full_width:
        per_layer += norm_params(arch, q_width(arch)) + norm_params(arch, kv_width(arch))
    elif arch.qk_norm:
        per_layer += 2 * norm_params(arch, arch.head_dim)
    if arch.kv_lora_rank:  # MLA: RMSNorm on the kv latent and on the q latent when there is one
        per_layer += arch.kv_lora_rank + arch.q_lora_rank
    return per_layer


def _embed_width(arch: ModelArch) -> int:
    return arch.word_embed_proj_dim or arch.hidden_size


def _moe_parts(arch: ModelArch) -> tuple[int, int, int, int]:
    """(routed experts, active routed experts, shared experts, router) parameters of one MoE layer."""
    h = arch.hidden_size
    one_expert = mlp_params(arch, expert_intermediate(arch))
    routed = arch.num_experts * one_expert
    active = arch.num_experts_per_tok * one_expert
    shared = arch.num_shared_experts * mlp_params(
        arch, arch.shared_expert_intermediate_size or expert_intermediate(arch)
    )
    router = h * arch.num_experts + (arch.num_experts if arch.router_bias else 0)
    if arch.shared_expert_gate:
        router += h  # qwen2_moe: Linear(hidden, 1) gating the shared expert, no bias
    return routed, active, shared, router


def _linear_shapes(arch: ModelArch) -> dict[str, tuple[int, int]]:
    """(in, out) of each adaptable Linear of one layer's attention and dense MLP, in our canonical names."""
    h, qw, kw, i = arch.hidden_size, q_width(arch), kv_width(arch), arch.intermediate_size
    return {
        "q": (h, qw),
        "k": (h, kw),
        "v": (h, kw),
        "qkv": (h, qw + 2 * kw),
        "o": (qw, h),
        "gate": (h, i),
        "up": (h, i),
        "gate_up": (h, 2 * i),
        "down": (i, h),
    }


def _canonical_targets(arch: ModelArch, lora: LoraConfig) -> set[str]:
    targets: set[str] = set()
    for raw in lora.targets:
        name = _TARGET_ALIASES.get(raw.strip().lower())
        if name is None:
            known = ", ".join(sorted(set(_TARGET_ALIASES)))
            raise InvalidConfigError(
                "lora.targets", raw, f"use module names such as q, k, v, o, gate, up, down ({known})"
            )
        targets.update(name.split("+"))
    # A fused Linear is adapted as one module: peft wraps the whole nn.Linear, not its q/k/v slices.
    if arch.fused_qkv and targets & {"q", "k", "v"}:
        targets = (targets - {"q", "k", "v"}) | {"qkv"}
    if not arch.fused_qkv and "qkv" in targets:
        targets = (targets - {"qkv"}) | {"q", "k", "v"}
    if arch.fused_gate_up and targets & {"gate", "up"}:
        targets = (targets - {"gate", "up"}) | {"gate_up"}
    if not arch.fused_gate_up and "gate_up" in targets:
        targets = (targets - {"gate_up"}) | {"gate", "up"}
    if arch.mlp_type == MlpType.GELU:
        targets.discard("gate")  # a plain MLP has no gate projection
        if "gate_up" in targets:
            targets = (targets - {"gate_up"}) | {"up"}
    if not targets:
        raise InvalidConfigError(
            "lora.targets", lora.targets, f"none of these modules exists in a {arch.family} model; try q, k, v, o"
        )
    return targets


def _lora_split(arch: ModelArch, lora: LoraConfig) -> tuple[int, int]:
    """(all adapter parameters, adapter parameters one token uses) for `lora` applied to `arch`."""
    r = lora.rank
    targets = _canonical_targets(arch, lora)
    shapes = _linear_shapes(arch)

    def adapters(names: set[str], intermediate: int) -> int:
        total = 0
        for name in names:
            fan_in, fan_out = shapes[name]
            if name in {"gate", "up"}:
                fan_out = intermediate
            elif name == "gate_up":
                fan_out = 2 * intermediate
            elif name == "down":
                fan_in = intermediate
            total += r * (fan_in + fan_out)
        return total

    attn_names = targets & {"q", "k", "v", "qkv", "o"}
    mlp_names = targets & {"gate", "up", "gate_up", "down"}
    attention = arch.num_layers * adapters(attn_names, 0)
    n_moe = moe_layers(arch)
    dense = (arch.num_layers - n_moe) * adapters(mlp_names, arch.intermediate_size)
    per_expert = adapters(mlp_names, expert_intermediate(arch))
    shared_i = arch.shared_expert_intermediate_size or expert_intermediate(arch)
    shared = arch.num_shared_experts * adapters(mlp_names, shared_i)
    routed_total = n_moe * arch.num_experts * per_expert
    routed_active = n_moe * arch.num_experts_per_tok * per_expert
    head = r * (arch.hidden_size + arch.vocab_size) if "head" in targets else 0
    always = attention + dense + n_moe * shared + head
    return always + routed_total, always + routed_active


def lora_params(arch: ModelArch, lora: LoraConfig) -> int:
    """Adapter parameters peft adds: Σ over adapted Linears of r·(in + out) (Hu et al. 2021, LoRA §4.1).

    Targets are q, k, v, o, gate, up, down, qkv, gate_up, head or the HF module names they stand for (q_proj,
    c_attn, query_key_value, fc1, w1, ...). On fused layouts a q/k/v target adapts the whole fused Linear, as peft
    does; MoE expert MLPs get one adapter per expert.
    """
    return _lora_split(arch, lora)[0]


def count_params(arch: ModelArch, method: Method = Method.FULL, lora: LoraConfig | None = None) -> ParamCounts:
    """Exact parameter counts of `arch`, with LoRA adapters for `Method.LORA`/`Method.QLORA` (default LoraConfig()).

    QLoRA has the same trainable adapters as LoRA; only the frozen base is stored in 4 bits (a memory matter).
    """
    h, v, layers = arch.hidden_size, arch.vocab_size, arch.num_layers
    e = _embed_width(arch)
    embedding = v * e
    if e != h:
        embedding += e * h  # OPT project_in (no bias)
    if arch.embedding_norm:
        embedding += norm_params(arch, e)
    position = arch.learned_position_embeddings * h
    attention = layers * attention_params(arch)
    n_moe = moe_layers(arch)
    dense_mlp = (layers - n_moe) * mlp_params(arch, arch.intermediate_size)
    routed, routed_active, shared, router_one = _moe_parts(arch) if n_moe else (0, 0, 0, 0)
    mlp = dense_mlp + n_moe * (routed + shared)
    router = n_moe * router_one
    norms = layers * _layer_norm_params(arch) + (norm_params(arch, h) if arch.final_norm else 0)
    head = 0 if arch.tie_word_embeddings else v * e
    if arch.lm_head_bias:
        head += v
    if e != h:
        head += h * e  # OPT project_out (no bias)

    adapters, adapters_active = 0, 0
    if method in (Method.LORA, Method.QLORA):
        adapters, adapters_active = _lora_split(arch, lora or LoraConfig())
    total = embedding + position + attention + mlp + router + norms + head + adapters
    inactive_experts = n_moe * (routed - routed_active)
    active = total - inactive_experts - (adapters - adapters_active)
    trainable = total if method == Method.FULL else adapters
    return ParamCounts(
        total=total,
        active=active,
        trainable=trainable,
        embedding=embedding,
        position=position,
        attention=attention,
        mlp=mlp,
        router=router,
        norms=norms,
        head=head,
        lora=adapters,
    )
