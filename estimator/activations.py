"""Activation memory per token: what autograd keeps for the backward pass, tensor by tensor.

Korthikanti et al. 2022 (arXiv:2205.05198, Table 2) count s·b·h·(34 + 5·a·s/h) bytes per layer for a GPT layer in
fp16 with dropout and materialised attention scores. With FlashAttention/SDPA the s² term is gone (only q, k, v,
the output and a per-head log-sum-exp are kept), there is no dropout in modern decoders, and what remains is linear
in tokens per micro-batch. Counted here for the Hugging Face eager layer (RMSNorm upcasts to fp32, SwiGLU/GELU MLP,
SDPA attention), bytes per token per layer, with h = hidden, q = heads·head_dim, k = kv_heads·head_dim, i = MLP width:

    pure bf16:   norm 2·(4h fp32 upcast + 2h normalised + 2h output) + attention 2·(2q + 2k) + MLP 8i (gated; 4i GELU)
                 = 24h + 8i for a Llama layer with MHA
    autocast:    norm 2·(4h fp32 input + 4h normalised) + 2h per consuming Linear (each casts its fp32 input to bf16
                 again: q, k, v and gate, up) + attention 2·(2q + 2k) + MLP 8i = 34h + 8i
    LoRA (bf16 base, fp32 adapters, autocast): a frozen Linear keeps nothing; each adapted Linear keeps a bf16 cast of
                 its input; norms keep the fp32 upcast only = 28h + 8i with all seven targets
    fp8 (Transformer Engine, bf16 parameters): as pure bf16, but every Linear saves its input in fp8 (1 byte, not 2)
                 for the weight-gradient GEMM: the two norm outputs (h each), the attention output (q) and the MLP
                 product (i) — 24h + 8i − (2h + q + i). Not measured here; TE's fp8 saved inputs are documented.
    full checkpointing: the layer input only (2h, or 4h for the fp32 residual stream of autocast), plus one layer's
                 working set while it is recomputed (Chen et al. 2016, arXiv:1604.06174)

Measured on an H100 (per-token slope of `max_memory_allocated` between batch 1, 4 and 8): 24h + 8i (bf16, ±1%) and
34h + 8i (fp32-amp, ±1%) and 28h + 8i (LoRA, ±0.5%) at 125M–2.7B parameters.
Tensor parallelism with sequence parallelism divides all of it by t (Korthikanti et al. 2022 §4.2.2).
"""

from __future__ import annotations

from estimator.models import Checkpointing, Method, MlpType, ModelArch, NormType, Precision, TrainingRun
from estimator.params import kv_width, q_width
from estimator.precision import state_recipe

_ALL_TARGETS = frozenset({"q", "k", "v", "o", "gate", "up", "down"})
_ALIASES = {"q_proj": "q", "k_proj": "k", "v_proj": "v", "o_proj": "o", "gate_proj": "gate", "up_proj": "up"}


def _targets(run: TrainingRun) -> frozenset[str]:
    names = {_ALIASES.get(t, t).removesuffix("_proj") for t in run.lora.targets}
    if "qkv" in names:
        names |= {"q", "k", "v"}
    if "gate_up" in names:
        names |= {"gate", "up"}
    return frozenset(names) & _ALL_TARGETS


def _mlp_width(arch: ModelArch) -> int:
    """Width of the MLP one token passes through (MoE: top-k routed + shared experts)."""
    if arch.num_experts:
        routed = (arch.moe_intermediate_size or arch.intermediate_size) * arch.num_experts_per_tok
        return routed + arch.shared_expert_intermediate_size * max(arch.num_shared_experts, 0)
    return arch.intermediate_size


def attention_bytes_per_token(arch: ModelArch) -> float:
    """SDPA/flash keeps q, k, v and the output in bf16: 2·(2q + 2k) bytes per token per layer."""
    return 2.0 * (2 * q_width(arch) + 2 * kv_width(arch))


def mlp_bytes_per_token(arch: ModelArch, down_keeps_input: bool = True) -> float:
    """Gated: gate output, activation output, up output, product (input of down) = 8i; GELU: 4i."""
    i = _mlp_width(arch)
    per = 4.0 if arch.mlp_type == MlpType.GATED else 2.0
    return 2.0 * i * (per - (0 if down_keeps_input else 1))


def layer_bytes_per_token(arch: ModelArch, run: TrainingRun) -> float:
    """Bytes one layer keeps per token for backward without checkpointing (module docstring)."""
    h = arch.hidden_size
    gated = arch.mlp_type == MlpType.GATED
    qkv_consumers = 1 if arch.fused_qkv else 3
    mlp_consumers = 1 if (arch.fused_gate_up or not gated) else 2
    rms = arch.norm_type == NormType.RMSNORM
    attn = attention_bytes_per_token(arch)
    if run.method != Method.FULL:
        targets = _targets(run)
        norms = 2 * (4.0 * h if rms else 2.0 * h)
        casts = 2.0 * h * (len(targets & {"q", "k", "v"}) + len(targets & {"gate", "up"}))
        casts += 2.0 * q_width(arch) * ("o" in targets)
        return norms + casts + attn + mlp_bytes_per_token(arch, down_keeps_input="down" in targets)
    if state_recipe(run.precision, run.optimizer).autocast:
        norms = 2 * (8.0 * h if rms else 4.0 * h) + 2.0 * h * (qkv_consumers + mlp_consumers)
        return norms + attn + mlp_bytes_per_token(arch)
    norms = 2 * (8.0 * h if rms else 4.0 * h)
    fp8_saving = 2.0 * h + q_width(arch) + _mlp_width(arch) if run.precision == Precision.FP8 else 0.0
    return norms + attn + mlp_bytes_per_token(arch) - fp8_saving


def residual_bytes(run: TrainingRun) -> float:
    """Bytes per element of the residual stream: fp32 under autocast with fp32 master weights, else bf16."""
    full_autocast = run.method == Method.FULL and state_recipe(run.precision, run.optimizer).autocast
    return 4.0 if full_autocast else 2.0


def saved_bytes_per_token(arch: ModelArch, run: TrainingRun) -> float:
    """Bytes per token all layers keep through the forward pass, by checkpointing mode, before tensor parallelism.

    none: L·layer; full: L·(layer input); selective (Korthikanti et al. 2022 §4.2): the Linear inputs and outputs are
    kept, the norms' fp32 intermediates and the MLP activation output are recomputed (−2·4h −2i per layer for bf16).
    """
    layer = layer_bytes_per_token(arch, run)
    if run.checkpointing == Checkpointing.FULL:
        return arch.num_layers * residual_bytes(run) * arch.hidden_size
    if run.checkpointing == Checkpointing.SELECTIVE:
        layer -= 8.0 * arch.hidden_size + 2.0 * _mlp_width(arch)
    return arch.num_layers * layer


def working_set_bytes_per_token(arch: ModelArch, run: TrainingRun) -> float:
    """One layer's backward working set: its activations (recomputed under full checkpointing) plus the MLP's
    gradient temporaries (3 tensors of width i while the gated MLP's backward runs; 2 for GELU)."""
    temporaries = (3.0 if arch.mlp_type == MlpType.GATED else 2.0) * 2.0 * _mlp_width(arch)
    return layer_bytes_per_token(arch, run) + temporaries


def final_norm_bytes_per_token(arch: ModelArch, run: TrainingRun) -> float:
    """The final norm before the head: like one layer norm (its output is the head's input)."""
    h = arch.hidden_size
    if run.method != Method.FULL:
        return 4.0 * h
    return 10.0 * h if state_recipe(run.precision, run.optimizer).autocast else 8.0 * h


def loss_bytes_per_token(arch: ModelArch) -> float:
    """Loss spike at the start of backward, per token: HF's loss upcasts the bf16 logits to fp32; log_softmax keeps
    its fp32 output (4V), and its backward holds that plus the incoming and outgoing fp32 gradients: 12·V bytes.
    Measured 12.0·V on an H100 (125M, checkpointed, where the logits dominate)."""
    return 12.0 * arch.vocab_size
