"""One micro-batch of one pipeline stage, as phases of GPU work and host launch time (see estimator.throughput).

Per micro-batch the bottleneck (last) stage runs L_s = L / p layers, each:

    GEMMs      Σ_Linear max(2·m·k·n / (peak · f), operand bytes / bandwidth)   (Williams et al. 2009); f the
               H100's measured 8192³ GEMM (Hopper and, assumed, other generations) or the Ampere fraction fitted on
               published A100 runs
    attention  causal FLOPs at the kernel's published rate for this sequence length (estimator.attention)
    memory     bytes counted from the layer's structure (estimator.layer_traffic) / (bandwidth · memory_fraction)
    tensor parallel: two all-reduces of T·h bf16 forward and two backward (Narayanan et al. 2021 §3.2)
    expert parallel (e > 1): each MoE layer sends every routed copy of its tokens to the expert's GPU and back, an
               all-to-all dispatch and combine of T/t·k·h bf16 each, (e−1)/e of it leaving the GPU, in the forward
               and again (their gradients) in the backward, not overlapped (Megatron-Core's default token
               dispatcher; Lepikhin et al. 2020, GShard §3.2; Rajbhandari et al. 2022, DeepSpeed-MoE §5), over
               NVLink while t·c·e GPUs fit a node (Megatron's rank order), else the inter-node links
    context parallel (c > 1): a GPU holds T = b·s/c tokens of each sequence (load-balanced causal chunks) and does
               1/c of the attention FLOPs, in blocks of s/c queries × s/c keys (the kernel's rate at s/c); the
               key/value chunks travel round a ring, (c−1)·T·2·K·d bf16 in the forward and twice that in the
               backward (K, V and their gradients), overlapped with the attention of the block in hand, so only
               max(0, transfer − attention) is exposed (Liu et al. 2023, Ring Attention, arXiv:2310.01889;
               Megatron-Core context parallelism)

then the tail (final norm, head GEMMs, HF loss, embedding gradient). Backward = 2 × the forward GEMMs (1 × for frozen
LoRA bases), 2.5 × attention, BACKWARD_TRAFFIC_RATIO × memory traffic; full checkpointing recomputes each layer's
forward in the backward phase (Chen et al. 2016), selective checkpointing its attention (Korthikanti et al. 2022).
"""

from __future__ import annotations

from estimator.attention import attention_forward_seconds, attention_seconds
from estimator.errors import InvalidRunError
from estimator.flops import attended_keys
from estimator.interconnect import (
    all_reduce_bus_bytes_per_second,
    intra_node_bus_bytes_per_second,
    point_to_point_bytes_per_second,
)
from estimator.layer_traffic import (
    AUTOCAST_WEIGHT_BYTES,
    BACKWARD_TRAFFIC_RATIO,
    layer_backward_bytes,
    layer_forward_bytes,
    layer_ops,
    loss_bytes,
    norm_bytes,
    residual_stream_bytes,
)
from estimator.models import (
    GPU,
    Checkpointing,
    Frozen,
    Hardware,
    LayerKernels,
    Method,
    MlpType,
    ModelArch,
    Precision,
    TrainingRun,
)
from estimator.params import attention_linears, kv_width, moe_layers, score_width
from estimator.precision import state_recipe

MATMUL_FRACTION = 752.0 / 989.5  # measured bf16 8192³ GEMM on an H100 (748–755 of 989 TFLOP/s)
BANDWIDTH_FRACTION = 3.0 / 3.35  # measured device copy on an H100 (3.0 of 3.35 TB/s)
# fp8 GEMMs: no fp8 GEMM was measured, so their share of the datasheet fp8 rate is taken from the best published fp8
# tensor-core kernel on an H100: FlashAttention-3's fp8 forward "close to 1.2 PFLOP/s" of 1979 (Shah et al. 2024,
# arXiv:2407.08608, abstract). The same paper's bf16 figure, 740 of 989 TFLOP/s (0.748), matches the measured bf16
# 8192³ GEMM (0.760), so at long sequences the kernel runs at GEMM speed and its fp8 share stands for the fp8 GEMM's.
# Other fp8 GPUs: assumed the same share (labelled in the estimate's assumptions).
FP8_KERNEL_TFLOPS = 1200.0
H100_FP8_PEAK_TFLOPS = 1979.0
FP8_MATMUL_FRACTION = FP8_KERNEL_TFLOPS / H100_FP8_PEAK_TFLOPS
FP8_CAST_BYTES = 3.0  # read bf16 (2) + write fp8 (1) per quantised element
LORA_CAST_BYTES = 24.0  # per adapted Linear input element, fwd + bwd: fp32 cast and bf16 re-cast (counted)
# Host ops (counted): autocast casts input and weight of every Linear in the forward (2) and their backward
# (39 − 14 = 25 over 7 Linears in the profiler); LoRA's cast, A, B, scale, add (12 per adapter, fwd + bwd);
# non-reentrant checkpointing's saved-tensor hooks (97 ops per layer − the 52 recomputed forward ops);
# fp8: quantise input and output gradient and their amax (4 per Linear); the tail: final norm, head, loss and
# embedding forward and backward (30).
AUTOCAST_FWD_OPS_PER_LINEAR = 2.0
AUTOCAST_BWD_OPS_PER_LINEAR = 25.0 / 7.0
LORA_OPS_PER_ADAPTER = 12.0
# peft's LoRA Linear (counted): forward scales B's output (read + write, 4 B) and adds it to the base output (read
# two, write one, 6 B) per output element; backward the scale's gradient (4 B)
LORA_FWD_BYTES_PER_OUTPUT = 10.0
LORA_BWD_BYTES_PER_OUTPUT = 4.0
CHECKPOINT_HOOK_OPS = 45.0
FP8_OPS_PER_LINEAR = 4.0
TAIL_OPS = 30.0


AMPERE_ID_PREFIXES = ("A100", "A10", "A30", "A40")


class StepConstants(Frozen):
    """The fitted constants of the step-time model (fitted by `benchmarks.estimator_accuracy`, see throughput)."""

    launch_seconds: float  # host time per dispatched op of eager PyTorch
    memory_fraction: float  # fraction of the measured copy bandwidth the eager memory-bound kernels reach
    # Ampere's sustained bf16 GEMM rate in training, as a fraction of its datasheet peak: no Ampere GEMM was measured,
    # so it is fitted on published A100 training throughput (benchmarks.ampere_fit)
    ampere_matmul_fraction: float


def matmul_fraction(gpu: GPU, constants: StepConstants) -> float:
    """Achievable share of the bf16/fp16 tensor peak: fitted for Ampere parts, the H100's measured 8192³ GEMM for
    Hopper and (an assumption, labelled) every other generation."""
    if gpu.id.upper().startswith(AMPERE_ID_PREFIXES):
        return constants.ampere_matmul_fraction
    return MATMUL_FRACTION


class Phase(Frozen):
    gpu_seconds: float
    host_seconds: float

    @property
    def seconds(self) -> float:
        """A phase lasts as long as the slower of the host launching it and the GPU running it."""
        return max(self.gpu_seconds, self.host_seconds)


def peak_flops(gpu: GPU, precision: Precision = Precision.BF16) -> float:
    """Dense tensor-core peak of the precision used: fp8 for fp8, fp16 for fp16 AMP, else bf16 (fp16 on Turing)."""
    tflops = gpu.bf16_tflops or gpu.fp16_tflops
    if precision == Precision.FP8 and gpu.fp8_tflops:
        tflops = gpu.fp8_tflops
    elif precision == Precision.FP16_AMP and gpu.fp16_tflops:
        tflops = gpu.fp16_tflops
    if not tflops:
        raise InvalidRunError(
            "gpu",
            gpu.id,
            "no bf16/fp16 TFLOP/s figure for this GPU, so its step time cannot be modelled; give its datasheet figure",
        )
    return tflops * 1e12


def bandwidth(gpu: GPU) -> float:
    return gpu.memory_bandwidth_bytes_per_second * BANDWIDTH_FRACTION


def linears(arch: ModelArch) -> list[tuple[int, int]]:
    """(in, out) of the Linears one token passes through in one layer (MoE: top-k + shared experts)."""
    h = arch.hidden_size
    i = arch.intermediate_size
    if arch.num_experts:
        i = (arch.moe_intermediate_size or i) * arch.num_experts_per_tok + arch.shared_expert_intermediate_size
    mlp = [(h, i), (h, i), (i, h)] if arch.mlp_type == MlpType.GATED else [(h, i), (i, h)]
    return [*attention_linears(arch), *mlp]


def gemm_seconds(m: float, k: int, n: int, gpu: GPU, fp8: bool = False, fraction: float = MATMUL_FRACTION) -> float:
    """t = max(2mkn / (peak · fraction), operand bytes / bandwidth): bf16 operands, or fp8 ones with bf16 output."""
    if fp8 and gpu.fp8_tflops:
        compute = 2.0 * m * k * n / (gpu.fp8_tflops * 1e12 * FP8_MATMUL_FRACTION)
        return max(compute, (m * k + k * n + 2.0 * m * n) / bandwidth(gpu))
    compute = 2.0 * m * k * n / (peak_flops(gpu) * fraction)
    return max(compute, 2.0 * (m * k + k * n + m * n) / bandwidth(gpu))


def local_tokens(run: TrainingRun) -> float:
    """Tokens of one micro-batch on one GPU of a context-parallel group: b·s / c."""
    return run.micro_batch * run.seq_len / run.parallelism.context


def lora_seconds(
    adapted: list[tuple[int, int]], rank: int, tokens: float, t: int, gpu: GPU, fraction: float
) -> tuple[float, float]:
    """(forward seconds of the adapters' A and B GEMMs, Σ adapted output widths): x·A (in → r) and (xA)·B (r → out)
    per adapted Linear, on the roofline: with r ≪ in, out they are bound by reading x and writing the output."""
    seconds = sum(
        gemm_seconds(tokens, fan_in, rank, gpu, fraction=fraction)
        + gemm_seconds(tokens, rank, fan_out // t, gpu, fraction=fraction)
        for fan_in, fan_out in adapted
    )
    return seconds, float(sum(fan_out for _, fan_out in adapted))


def _tp_seconds_per_layer(arch: ModelArch, run: TrainingRun, hw: Hardware) -> float:
    """Four all-reduces of T·h bf16 per layer (2 forward, 2 backward), in the node unless the group spans nodes."""
    t = run.parallelism.tensor
    if t <= 1:
        return 0.0
    volume = 4.0 * 2.0 * (t - 1) / t * 2.0 * local_tokens(run) * arch.hidden_size
    within = t <= hw.gpus_per_node
    return volume / (intra_node_bus_bytes_per_second(hw) if within else all_reduce_bus_bytes_per_second(hw))


def cp_ring_seconds_per_layer(arch: ModelArch, run: TrainingRun, hw: Hardware) -> float:
    """Forward key/value ring transfer of one layer: (c−1) · T · 2·K·d·2 bytes / t over the CP group's link (the
    group sits inside a node while t·c ≤ GPUs per node, Megatron's rank order); the backward moves twice this."""
    par = run.parallelism
    c = par.context
    if c <= 1:
        return 0.0
    volume = (c - 1) * local_tokens(run) * 2.0 * kv_width(arch) * 2.0 / par.tensor
    return volume / point_to_point_bytes_per_second(hw, within_node=par.tensor * c <= hw.gpus_per_node)


def expert_all_to_all_seconds_per_layer(arch: ModelArch, run: TrainingRun, hw: Hardware) -> float:
    """Forward all-to-all seconds of one layer, averaged over its MoE share: dispatch + combine,
    2 · (T/t) · k · h · 2 bytes · (e−1)/e over the expert group's link (module docstring); the backward repeats it."""
    par = run.parallelism
    e = par.expert
    if e <= 1 or not arch.num_experts:
        return 0.0
    volume = 2.0 * local_tokens(run) / par.tensor * arch.num_experts_per_tok * arch.hidden_size * 2.0 * (e - 1) / e
    within = par.tensor * par.context * e <= hw.gpus_per_node
    share = moe_layers(arch) / arch.num_layers
    return share * volume / point_to_point_bytes_per_second(hw, within_node=within)


def micro_batch_phases(
    arch: ModelArch, run: TrainingRun, hw: Hardware, constants: StepConstants
) -> tuple[Phase, Phase, Phase]:
    """(forward, tail, backward) of one micro-batch on the last pipeline stage (module docstring)."""
    gpu, t = hw.gpu, run.parallelism.tensor
    layers = arch.num_layers / run.parallelism.pipeline
    tokens = local_tokens(run)
    kernel_seq = run.seq_len / run.parallelism.context
    full = run.method == Method.FULL
    fp8 = full and run.precision == Precision.FP8
    autocast = full and state_recipe(run.precision, run.optimizer).autocast
    memory_bw = bandwidth(gpu) * constants.memory_fraction
    shapes = linears(arch)
    mm = matmul_fraction(gpu, constants)
    gemm_fwd = sum(gemm_seconds(tokens, fan_in, fan_out // t, gpu, fp8, mm) for fan_in, fan_out in shapes)
    attn_flops = tokens * 2.0 * attended_keys(arch, run.seq_len) * score_width(arch) / t
    bf16_peak = peak_flops(gpu)
    kernel = run.attention_kernel.value
    attn_fwd = attention_forward_seconds(attn_flops, kernel_seq, gpu, bf16_peak, kernel)
    attn_bwd = attention_seconds(attn_flops, kernel_seq, gpu, bf16_peak, kernel) - attn_fwd
    ring = cp_ring_seconds_per_layer(arch, run, hw)
    cp_fwd, cp_bwd = max(0.0, ring - attn_fwd), max(0.0, 2.0 * ring - attn_bwd)
    mem_fwd = layer_forward_bytes(arch, run) * tokens / t / memory_bw
    outputs = float(sum(fan_out for _, fan_out in shapes))
    mem_bwd = layer_backward_bytes(arch, run, outputs) * tokens / t / memory_bw
    weights = sum(fan_in * fan_out for fan_in, fan_out in shapes) / t
    if autocast:  # every micro-batch casts the fp32 weights to bf16 and their gradients back
        mem_bwd += AUTOCAST_WEIGHT_BYTES * weights / memory_bw
    if not full:
        adapted_shapes = shapes[: len(run.lora.targets)]
        adapted = sum(fan_in for fan_in, _ in adapted_shapes)
        cast = LORA_CAST_BYTES * adapted * tokens / t / memory_bw
        mem_fwd, mem_bwd = mem_fwd + cast / 3.0, mem_bwd + 2.0 * cast / 3.0
        lora_fwd, lora_out = lora_seconds(adapted_shapes, run.lora.rank, tokens, t, gpu, mm)
        mem_fwd += lora_fwd + LORA_FWD_BYTES_PER_OUTPUT * lora_out * tokens / t / memory_bw
        mem_bwd += 2.0 * lora_fwd + LORA_BWD_BYTES_PER_OUTPUT * lora_out * tokens / t / memory_bw
    if fp8 and run.layer_kernels == LayerKernels.EAGER:  # fused layers count their casts in layer_traffic
        quantised = sum(fan_in + fan_out for fan_in, fan_out in shapes) * tokens / t
        mem_fwd += FP8_CAST_BYTES * quantised / 2.0 / memory_bw
        mem_bwd += FP8_CAST_BYTES * quantised / 2.0 / memory_bw
    tp = _tp_seconds_per_layer(arch, run, hw)
    a2a = expert_all_to_all_seconds_per_layer(arch, run, hw)
    fwd_layer = gemm_fwd + attn_fwd + mem_fwd + tp / 2.0 + cp_fwd + a2a
    bwd_layer = gemm_fwd * (2.0 if full else 1.0) + attn_bwd + mem_bwd + tp / 2.0 + cp_bwd + a2a
    if run.checkpointing == Checkpointing.FULL:
        bwd_layer += fwd_layer
    elif run.checkpointing == Checkpointing.SELECTIVE:
        bwd_layer += attn_fwd

    ops_fwd, ops_bwd = layer_ops(arch, run, len(shapes))
    n_linear = len(shapes)
    if autocast or not full:
        ops_fwd += AUTOCAST_FWD_OPS_PER_LINEAR * n_linear
        ops_bwd += AUTOCAST_BWD_OPS_PER_LINEAR * n_linear
    if not full:
        ops_fwd += LORA_OPS_PER_ADAPTER * len(run.lora.targets) / 2.0
        ops_bwd += LORA_OPS_PER_ADAPTER * len(run.lora.targets) / 2.0
    if fp8:
        ops_fwd += FP8_OPS_PER_LINEAR * n_linear / 2.0
        ops_bwd += FP8_OPS_PER_LINEAR * n_linear / 2.0
    if run.checkpointing == Checkpointing.FULL:
        ops_bwd += ops_fwd + CHECKPOINT_HOOK_OPS

    head = gemm_seconds(tokens, arch.hidden_size, arch.vocab_size // t, gpu, fraction=mm) * (3.0 if full else 2.0)
    final_norm = (1.0 + BACKWARD_TRAFFIC_RATIO) * norm_bytes(arch, arch.hidden_size, residual_stream_bytes(run))
    tail_bytes = (loss_bytes(arch) / t + final_norm) * tokens
    if full:  # the embedding gradient: a zero-filled V·h table and the tokens' rows added into it
        grad_bytes = state_recipe(run.precision, run.optimizer).grad_bytes
        tail_bytes += grad_bytes * arch.vocab_size * arch.hidden_size / t + 4.0 * arch.hidden_size * tokens
    launch = constants.launch_seconds
    return (
        Phase(gpu_seconds=layers * fwd_layer, host_seconds=layers * ops_fwd * launch),
        Phase(gpu_seconds=head + tail_bytes / memory_bw, host_seconds=TAIL_OPS * launch),
        Phase(gpu_seconds=layers * bwd_layer, host_seconds=layers * ops_bwd * launch),
    )
