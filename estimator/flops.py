"""Exact forward FLOPs per token, training FLOPs (with recompute and LoRA), and inference prefill/decode FLOPs.

Conventions (2 FLOPs per multiply-accumulate, matrix multiplies only; bias adds, norms, softmax and activations are
O(h) per token and left out, as in the sources below). Per token and layer, with h_attn = heads·head_dim, S the
number of keys a query attends:

    projections      = 2·(h·h_attn + 2·h·kv·head_dim + h_attn·h)        q, k, v, o
    attention_scores = 2·2·S·h_attn                                      QKᵀ and A·V; causal: S/2 keys on average
    mlp              = 2·3·h·i (gated) or 2·2·h·i; MoE: top-k + shared experts
    router           = 2·h·E
    logits           = 2·h·V                                             once per token, after the last layer

This is Kaplan et al. 2020 (arXiv:2001.08361) Table 1, C_forward ≈ 2N + 2·n_layer·n_ctx·d_attn (their context term
is our causal attention term), refined to the exact shapes of GQA, gated MLPs and MoE. For a GPT-style model
(MHA, 4h MLP) without causal halving, 3× forward plus one recomputed forward of the layers reproduces Narayanan et
al. 2021 (Megatron-LM, arXiv:2104.04473) eq. 3: 96·B·s·l·h²·(1 + s/(6h) + V/(16·l·h)) per iteration, and 72·B·s·l·h²·
(1 + s/(6h) + V/(12·l·h)) without recompute. 6·N·D (Kaplan §2.1; Chinchilla, Hoffmann et al. 2022, App. F) is shown
beside: it omits the attention-score term, which matters at long sequence lengths.
"""

from __future__ import annotations

from estimator.models import Checkpointing, Frozen, Method, MlpType, ModelArch, TrainingRun
from estimator.params import attention_linears, count_params, expert_intermediate, moe_layers, score_width


class FlopsPerToken(Frozen):
    """Forward FLOPs for one token, by component. `total` is their sum."""

    projections: float
    attention_scores: float
    mlp: float
    router: float
    logits: float
    total: float


class TrainingFlops(Frozen):
    """FLOPs of a training run.

    `model_flops` (fwd + bwd, no recompute) is what MFU divides by (PaLM, Chowdhery et al. 2022, App. B);
    `total_flops` adds recomputation and is what the hardware executes (HFU).
    """

    forward: FlopsPerToken
    forward_per_token: float
    training_per_token: float
    recompute_per_token: float
    tokens: float
    model_flops: float
    total_flops: float
    six_nd_flops: float
    six_nd_params: int  # N used in 6·N·D: active parameters (= total for dense models), including embeddings
    method: Method
    checkpointing: Checkpointing


def _mlp_weights(arch: ModelArch, intermediate: int) -> int:
    return (3 if arch.mlp_type == MlpType.GATED else 2) * arch.hidden_size * intermediate


def attended_keys(arch: ModelArch, seq_len: int, causal: bool = True) -> float:
    """Mean number of keys a query attends in a sequence of `seq_len` tokens.

    Non-causal: S (or the window W). Causal: S/2; with a sliding window W < S, the continuous mean of min(t, W)
    over t ∈ [0, S], i.e. W − W²/(2S).
    """
    window = arch.sliding_window
    if not causal:
        return float(min(seq_len, window) if window else seq_len)
    if window and seq_len > window:
        return window - window * window / (2 * seq_len)
    return seq_len / 2


def _weight_flops(arch: ModelArch) -> tuple[float, float, float, float]:
    """(projections, mlp, router, logits) forward FLOPs per token: 2 per weight element used by one token."""
    h, layers = arch.hidden_size, arch.num_layers
    projections = 2.0 * layers * sum(fan_in * fan_out for fan_in, fan_out in attention_linears(arch))
    n_moe = moe_layers(arch)
    mlp = 2.0 * (layers - n_moe) * _mlp_weights(arch, arch.intermediate_size)
    router = 0.0
    if n_moe:
        shared_i = arch.shared_expert_intermediate_size or expert_intermediate(arch)
        per_layer = arch.num_experts_per_tok * _mlp_weights(arch, expert_intermediate(arch))
        per_layer += arch.num_shared_experts * _mlp_weights(arch, shared_i)
        mlp += 2.0 * n_moe * per_layer
        router = 2.0 * n_moe * h * (arch.num_experts + (1 if arch.shared_expert_gate else 0))
    width = arch.word_embed_proj_dim or h
    logits = 2.0 * width * arch.vocab_size + (2.0 * h * width if width != h else 0.0)  # + OPT project_out
    return projections, mlp, router, logits


def forward_flops_per_token(arch: ModelArch, seq_len: int, causal: bool = True) -> FlopsPerToken:
    """Forward FLOPs per token at sequence length `seq_len` (Kaplan et al. 2020 Table 1, exact shapes).

    attention_scores = 4·L·h_attn·S̄ with S̄ = `attended_keys` (S/2 when causal).
    """
    projections, mlp, router, logits = _weight_flops(arch)
    scores = 4.0 * arch.num_layers * score_width(arch) * attended_keys(arch, seq_len, causal)
    return FlopsPerToken(
        projections=projections,
        attention_scores=scores,
        mlp=mlp,
        router=router,
        logits=logits,
        total=projections + scores + mlp + router + logits,
    )


def training_flops(arch: ModelArch, run: TrainingRun, causal: bool = True) -> TrainingFlops:
    """Training FLOPs of `run` on `arch`.

    Full training: 3× forward per token (backward = 2× forward: gradients w.r.t. activations and weights; Kaplan
    et al. 2020 §2.1, Narayanan et al. 2021 §5.1). LoRA/QLoRA: the frozen base needs activation gradients but no
    weight-gradient GEMMs, so its weight matmuls cost ≈ 2× forward; attention scores (no weights) still cost 3×;
    adapters (2·r·(in+out) FLOPs forward per adapted Linear) cost 3×. Recompute adds one more forward of every
    layer for full checkpointing (the head is not checkpointed) and of the attention scores for selective
    checkpointing (Korthikanti et al. 2022, arXiv:2205.05198 §4). 6·N·D uses active parameters.
    """
    fwd = forward_flops_per_token(arch, run.seq_len, causal)
    weights = fwd.projections + fwd.mlp + fwd.router + fwd.logits
    base = count_params(arch)
    if run.method == Method.FULL:
        adapter_fwd = 0.0
        training = 3.0 * fwd.total
    else:
        adapted = count_params(arch, run.method, run.lora)
        adapter_fwd = 2.0 * (adapted.active - base.active)
        training = 2.0 * weights + 3.0 * fwd.attention_scores + 3.0 * adapter_fwd
    if run.checkpointing == Checkpointing.FULL:
        recompute = fwd.total - fwd.logits + adapter_fwd
    elif run.checkpointing == Checkpointing.SELECTIVE:
        recompute = fwd.attention_scores
    else:
        recompute = 0.0
    return TrainingFlops(
        forward=fwd,
        forward_per_token=fwd.total + adapter_fwd,
        training_per_token=training,
        recompute_per_token=recompute,
        tokens=run.tokens,
        model_flops=training * run.tokens,
        total_flops=(training + recompute) * run.tokens,
        six_nd_flops=6.0 * base.active * run.tokens,
        six_nd_params=base.active,
        method=run.method,
        checkpointing=run.checkpointing,
    )


def prefill_flops(arch: ModelArch, prompt_tokens: int) -> float:
    """Forward FLOPs to process a prompt of `prompt_tokens` and produce the first next-token logits.

    = P·(projections + mlp + router) + Σ_{t=1..P} 4·L·h_attn·min(t, W) + logits for the last position only
    (serving engines compute logits for the token being generated, not for every prompt position).
    """
    if prompt_tokens <= 0:
        return 0.0
    projections, mlp, router, logits = _weight_flops(arch)
    window = arch.sliding_window or prompt_tokens
    p, w = prompt_tokens, min(window, prompt_tokens)
    keys_sum = w * (w + 1) / 2 + (p - w) * w  # Σ_t min(t, W)
    return p * (projections + mlp + router) + 4.0 * arch.num_layers * score_width(arch) * keys_sum + logits


def decode_flops_per_token(arch: ModelArch, context_len: int) -> float:
    """Forward FLOPs to generate one token attending `context_len` cached keys (itself included):
    projections + mlp + router + logits + 4·L·h_attn·min(context, W)."""
    projections, mlp, router, logits = _weight_flops(arch)
    keys = min(context_len, arch.sliding_window) if arch.sliding_window else context_len
    return projections + mlp + router + logits + 4.0 * arch.num_layers * score_width(arch) * keys
