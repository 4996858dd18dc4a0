"""Memory-bound work of one decoder layer, derived from its structure: bytes moved and ops dispatched per token.

Every non-GEMM op of the Hugging Face eager layer reads its inputs and writes its output once; per token, with
a = 2 bytes (bf16 activations), r = bytes of the residual stream (4 under fp32-master autocast, else 2), w the width
an op works on (h = hidden, q / k = query / key widths, i = MLP width):

    RMSNorm (eager: upcast, pow, mean, ·rsqrt, downcast, ·weight)   (r + 34)·w for r = 2, 28·w for r = 4
    LayerNorm (one fused kernel)                                    2·r·w
    rotary (q·cos + rotate_half(q)·sin, for q and k)                10·a·w_rot, + 2·a·w to re-join a partial rotary
    attention output transpose to (tokens, q)                       2·a·q
    activation: gated act(gate)·up / plain act(up)                  5·a·i / 2·a·i
    residual adds (two per layer, sequential or parallel)           2·(2r + a)·h
    MoE token permutation and weighted combine                      4·a·h·top_k
    autocast: each Linear casts its fp32 input to bf16              6·in per consuming Linear

Backward moves BACKWARD_TRAFFIC_RATIO × the forward bytes: the backward of y = f(x) reads dy and x and writes dx
(1.5× a unary op's forward), of a binary op 5 tensors for 3, and HF's eager norms recompute their fp32
intermediates (≈ 2×); biased Linears add a reduction reading the output gradient (a·out). Sources: the op
sequences of transformers' `LlamaRMSNorm`, `apply_rotary_pos_emb`, `LlamaMLP`, `GPTNeoXLayer`; counted, not fitted.

Fused layers (Megatron-Core with Transformer Engine, `LayerKernels.FUSED`) run each memory-bound step as one kernel
that reads its inputs and writes its output once:

    norm (TE LayerNormLinear / LayerNormMLP)                                           (r + a)·w
    fused RoPE on q and k                                                              2·a·(q + k)
    activation: gated / plain                                                          3a·i / 2a·i
    residual adds (fused bias-dropout-add, two per layer)                              2·3r·h
    MoE token permutation and combine                                                  4·a·h·top_k

and backward BACKWARD_TRAFFIC_RATIO × that (Megatron-LM `bias_dropout_add_fused`, `apply_rotary_pos_emb` fused;
counted, not fitted). Under fp8 (Transformer Engine's FP8 current scaling, the recipe of NVIDIA's published
Megatron Bridge runs) every Linear's input, in the forward, and output gradient, in the backward, is quantised from
the bf16 tensor its producer wrote: one read for its amax and one for the cast ("FP8 Current Scaling requires two
tensor reads per quantization", Transformer Engine docs, FP8 Delayed Scaling), and two fp8 writes, row-wise and
column-wise, because Hopper's fp8 GEMMs take only the TN layout and the gradient GEMMs need the transposes (TE's
cast-transpose): FP8_QUANTISE_BYTES = 2a + 2 per element, over the layer's distinct Linear inputs
(h + q + h + i; MoE: h per routed copy) and its Linears' outputs. The fp8 weight copies (cast once per step, cached
over micro-batches) are not counted.

The loss (transformers `ForCausalLMLoss`): logits.float() (2V read, 4V written), log_softmax (two reads, one write
of 4V), nll; backward: zero-filled 4V gradient, log_softmax backward (reads 8V, writes 4V), cast back to bf16
(4V + 2V) — 40·V bytes per token, against the 92·V a vocab-32000 fit implied.
"""

from __future__ import annotations

from estimator.models import LayerKernels, Method, MlpType, ModelArch, NormType, Precision, TrainingRun
from estimator.params import kv_width, q_width
from estimator.precision import state_recipe

BACKWARD_TRAFFIC_RATIO = 2.0
LOSS_BYTES_PER_VOCAB = 40.0
ACTIVATION_BYTES = 2.0
AUTOCAST_CAST_BYTES = 6.0  # read fp32 (4) + write bf16 (2) per element
FP8_QUANTISE_BYTES = 2.0 * ACTIVATION_BYTES + 2.0  # amax read + cast read of bf16, row- and column-wise fp8 writes
AUTOCAST_WEIGHT_BYTES = 12.0  # per weight and micro-batch: fp32 → bf16 cast (6) and its gradient cast back (6)
# Dispatcher ops of the eager HF layer, forward (counted from the modules' code, see `forward_ops`); the profiler
# counted 110 forward + backward for the bf16 Llama layer, whose forward has LLAMA_FORWARD_OPS.
LLAMA_FORWARD_OPS = 52.0
PROFILED_LLAMA_OPS = 110.0


def residual_stream_bytes(run: TrainingRun) -> float:
    full_autocast = run.method == Method.FULL and state_recipe(run.precision, run.optimizer).autocast
    return 4.0 if full_autocast else 2.0


def norm_bytes(arch: ModelArch, width: float, residual: float) -> float:
    """Forward bytes of one norm over `width` elements (module docstring)."""
    if arch.norm_type == NormType.LAYERNORM:
        return 2.0 * residual * width
    return (residual + 34.0) * width if residual == 2.0 else 28.0 * width


def mlp_width(arch: ModelArch) -> float:
    """Width of the MLP one token passes through (MoE: top-k routed + shared experts)."""
    if arch.num_experts:
        routed = (arch.moe_intermediate_size or arch.intermediate_size) * arch.num_experts_per_tok
        return float(routed + arch.shared_expert_intermediate_size * max(arch.num_shared_experts, 1))
    return float(arch.intermediate_size)


def _linear_inputs(arch: ModelArch) -> float:
    """Σ input widths over the Linears that cast their input under autocast (fused Linears cast once)."""
    h, i = arch.hidden_size, mlp_width(arch)
    qkv = 1 if arch.fused_qkv else 3
    up = 1 if (arch.fused_gate_up or arch.mlp_type != MlpType.GATED) else 2
    return h * qkv + q_width(arch) + h * up + i


def _bias_outputs(arch: ModelArch) -> float:
    h, i = arch.hidden_size, mlp_width(arch)
    out = (q_width(arch) + 2 * kv_width(arch)) if arch.qkv_bias else 0.0
    out += h if arch.attn_out_bias else 0.0
    if arch.mlp_bias:
        out += h + i * (2 if arch.mlp_type == MlpType.GATED else 1)
    return out


def fused(run: TrainingRun) -> bool:
    return run.layer_kernels == LayerKernels.FUSED


def fp8_linears(run: TrainingRun) -> bool:
    return run.method == Method.FULL and run.precision == Precision.FP8


def _fused_bf16_bytes(arch: ModelArch, run: TrainingRun) -> float:
    """Memory-bound bytes of one fused layer's forward per token, without fp8 quantisation (module docstring)."""
    a, r = ACTIVATION_BYTES, residual_stream_bytes(run)
    h, q, k, i = arch.hidden_size, q_width(arch), kv_width(arch), mlp_width(arch)
    total = arch.norms_per_layer * (r + a) * h
    if arch.qk_norm:
        total += 2.0 * a * (q + k)
    if arch.position_encoding.value == "rope":
        total += 2.0 * a * (q + k)
    total += (3.0 * a if arch.mlp_type == MlpType.GATED else 2.0 * a) * i
    total += 2.0 * 3.0 * r * h
    if arch.num_experts:
        total += 4.0 * a * h * arch.num_experts_per_tok
    if r == 4.0:
        total += AUTOCAST_CAST_BYTES * _linear_inputs(arch)
    return total


def fp8_quantised_inputs(arch: ModelArch) -> float:
    """Elements per token quantised for one layer's Linears in the forward: the attention block's input (h, once for
    q, k and v), the attention output (o_proj, q), the MLP's input (h; MoE: h per routed copy of the token and once
    for the shared experts) and the activation output (down projection, the MLP width)."""
    h = arch.hidden_size
    mlp_in = (
        h * (arch.num_experts_per_tok + (1 if arch.shared_expert_intermediate_size else 0)) if arch.num_experts else h
    )
    return h + q_width(arch) + mlp_in + mlp_width(arch)


def fused_forward_bytes(arch: ModelArch, run: TrainingRun) -> float:
    """Memory-bound bytes one fused layer's forward moves per token (module docstring, fused layers)."""
    quantised = FP8_QUANTISE_BYTES * fp8_quantised_inputs(arch) if fp8_linears(run) else 0.0
    return _fused_bf16_bytes(arch, run) + quantised


def layer_forward_bytes(arch: ModelArch, run: TrainingRun) -> float:
    """Memory-bound bytes one layer's forward moves per token (module docstring)."""
    if fused(run):
        return fused_forward_bytes(arch, run)
    a, r = ACTIVATION_BYTES, residual_stream_bytes(run)
    h, q, k, i = arch.hidden_size, q_width(arch), kv_width(arch), mlp_width(arch)
    total = arch.norms_per_layer * norm_bytes(arch, h, r)
    if arch.qk_norm:
        total += norm_bytes(arch, q + k, 2.0)
    if arch.position_encoding.value == "rope":
        total += 10.0 * a * arch.rotary_fraction * (q + k)
        if arch.rotary_fraction < 1.0:
            total += 2.0 * a * (q + k)
    total += 2.0 * a * q
    total += (5.0 if arch.mlp_type == MlpType.GATED else 2.0) * a * i
    total += 2.0 * (2.0 * r + a) * h
    if arch.num_experts:
        total += 4.0 * a * h * arch.num_experts_per_tok
    if r == 4.0:
        total += AUTOCAST_CAST_BYTES * _linear_inputs(arch)
    return total


def layer_backward_bytes(arch: ModelArch, run: TrainingRun, linear_outputs: float = 0.0) -> float:
    """Memory-bound bytes one layer's backward moves per token: the ratio × forward, + bias-gradient reductions
    (eager) or, fused under fp8, the output-gradient quantisation of Linears whose outputs sum to `linear_outputs`
    (the forward's quantisation is not redone: the fp8 inputs are saved)."""
    if fused(run):
        casts = FP8_QUANTISE_BYTES * linear_outputs if fp8_linears(run) else 0.0
        return BACKWARD_TRAFFIC_RATIO * _fused_bf16_bytes(arch, run) + casts
    return BACKWARD_TRAFFIC_RATIO * layer_forward_bytes(arch, run) + ACTIVATION_BYTES * _bias_outputs(arch)


def loss_bytes(arch: ModelArch) -> float:
    """Bytes HF's causal-LM loss moves per token, forward and backward: 40·V (module docstring)."""
    return LOSS_BYTES_PER_VOCAB * arch.vocab_size


def forward_ops(arch: ModelArch) -> float:
    """Dispatcher ops of one layer's forward: eager RMSNorm 8 (LayerNorm 1) per norm; one per Linear (+1 to split a
    fused qkv; a fused gate_up's chunk replaces the second Linear); 8 views/transposes around attention; rotary 16
    (+6 for a partial rotary); SDPA 1; activation 2 (gated) or 1; two residual adds; MoE routing (softmax, top-k,
    gather, scatter, combine) 6."""
    norm = 8.0 if arch.norm_type == NormType.RMSNORM else 1.0
    ops = arch.norms_per_layer * norm + (2 * norm if arch.qk_norm else 0.0)
    gated = arch.mlp_type == MlpType.GATED
    ops += (3.0 if arch.fused_qkv else 4.0) + (3.0 if gated else 2.0)
    ops += 8.0 + 1.0
    if arch.position_encoding.value == "rope":
        ops += 16.0 + (6.0 if arch.rotary_fraction < 1.0 else 0.0)
    ops += (2.0 if gated else 1.0) + 2.0
    if arch.num_experts:
        ops += 6.0
    return ops


def fused_forward_ops(arch: ModelArch, linears: int) -> float:
    """Kernels of one fused layer's forward: one per norm, Linear, RoPE, attention, activation and residual add
    (+ qk-norms, MoE routing 6)."""
    ops = arch.norms_per_layer + linears + 1.0 + 1.0 + 2.0
    ops += 1.0 if arch.position_encoding.value == "rope" else 0.0
    ops += 2.0 if arch.qk_norm else 0.0
    return ops + (6.0 if arch.num_experts else 0.0)


def layer_ops(arch: ModelArch, run: TrainingRun | None = None, linears: int = 7) -> tuple[float, float]:
    """(forward, backward) dispatcher ops of one layer: the forward count and the profiled Llama backward share."""
    fwd = fused_forward_ops(arch, linears) if run is not None and fused(run) else forward_ops(arch)
    return fwd, fwd * (PROFILED_LLAMA_OPS - LLAMA_FORWARD_OPS) / LLAMA_FORWARD_OPS
