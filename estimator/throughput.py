"""Step time, tokens/s, hours and modelled MFU: a roofline of the step's kernels, not a constant efficiency.

    step  = max(host, gpu)                                   small models are launch-bound, large ones GPU-bound
    host  = L · ops_per_layer · LAUNCH_SECONDS · micro-batches + optimizer ops
    gpu   = Σ_GEMM max(2·m·k·n / (peak · MATMUL_FRACTION), bytes(A, B, C) / bandwidth)   every Linear, fwd + 2 bwd
          + attention FLOPs / (peak · ATTENTION_FRACTION)                                  flash fwd + 2.5× bwd
          + ELEMENTWISE_PASSES · activation bytes / bandwidth                              norms, rotary, SiLU, casts
          + LOSS_PASSES · 4·V bytes per token / bandwidth                                  fp32 logits and softmax
          + optimizer bytes moved / bandwidth + exposed communication
    MFU   = model FLOPs (no recompute) / (step · peak) (Chowdhery et al. 2022, PaLM App. B); HFU adds recompute

Full checkpointing recomputes every layer's forward (its GEMMs, attention and elementwise work; Chen et al. 2016).
Data parallel: ring all-reduce of bf16 gradients, 2·(n−1)/n · bytes / bus bandwidth (Patarasuk & Yuan 2009), overlapped
with the backward pass; only what does not fit under it is exposed. The bus bandwidth comes from the topology
(`estimator.interconnect`): the GPU's NVLink or PCIe inside a node, the instance's network across nodes.
ZeRO-3 adds two parameter all-gathers and a reduce-scatter per step (Rajbhandari et al. 2019 §7), tensor parallelism
four exposed all-reduces of T·h per layer (Narayanan et al. 2021 §3.2), pipeline parallelism a bubble of (p−1)/m
(ibid. §2.2).

fp8 (Transformer Engine): the layers' Linear GEMMs run at the datasheet fp8 rate × FP8_MATMUL_FRACTION with fp8
operands (1 byte) and bf16 outputs; attention and the head stay bf16; each Linear casts its input (forward) and its
output gradient (backward) to fp8, FP8_CAST_BYTES per element. MFU stays relative to the bf16 peak.

One model for every scale: no GPU-count switch. Host launch time overlaps GPU time (step = max), so large GEMMs are
GPU-bound by themselves; per-GPU throughput only falls with more GPUs, through the communication term.

Calibration (documented so that it can be redone): MATMUL_FRACTION is the H100's measured bf16 8192³ GEMM
(748–755 of 989 TFLOP/s, `peak` rows); bandwidth is the measured 3.0 TB/s copy of 3.35; a GEMM is the roofline
max(compute, operand traffic). Kernel counts (OPS_*) and LoRA cast bytes are counted, not fitted. Three constants
are fitted by Nelder–Mead least squares of log step time on the public H100 rows (125M–2.7B, bf16 and fp32-amp,
batch 1–8, checkpointing on and off, LoRA) together with the log GPU-hours of LLaMA-1 7B–65B on A100 (Touvron et al.
2023, selective recompute as §2.4 describes): LAUNCH_SECONDS, ELEMENTWISE_PASSES, ATTENTION_FRACTION. All rows share
seq 2048, so attention and the per-token elementwise work both scale as L·h·T and ATTENTION_FRACTION lumps the
s-dependent remainder (it is not FlashAttention's kernel efficiency). Leave-one-size-out (refit without a size,
predict it): held-out 2.7B median 5.6% / max 7.3%, 1.3B 7.9% / 26.6%; 125M (launch-bound) does not extrapolate
from larger sizes (31% / 81%): small models are dominated by per-kernel host time, which only they measure.
"""

from __future__ import annotations

from estimator.activations import layer_bytes_per_token
from estimator.errors import InvalidRunError
from estimator.flops import training_flops
from estimator.interconnect import (
    all_reduce_bus_bytes_per_second,
    interconnect_assumption,
    intra_node_bus_bytes_per_second,
)
from estimator.memory import accumulation_steps
from estimator.models import (
    GPU,
    Assumption,
    Checkpointing,
    Frozen,
    Hardware,
    Method,
    MlpType,
    ModelArch,
    Precision,
    TrainingRun,
)
from estimator.params import count_params, kv_width, q_width
from estimator.precision import adapter_recipe, check_precision, state_recipe

MATMUL_FRACTION = 752.0 / 989.5
BANDWIDTH_FRACTION = 3.0 / 3.35
ATTENTION_FRACTION = 0.049  # fitted; lumps all s-dependent work (module docstring)
ELEMENTWISE_PASSES = 23.0  # fitted: eager HF norms, rotary, SiLU, casts
LOSS_PASSES = ELEMENTWISE_PASSES
# Per input element of an adapted Linear, fwd + bwd: fp32 cast and bf16 re-cast, read and written (counted).
LORA_CAST_BYTES = 24.0
LAUNCH_SECONDS = 31.5e-6  # fitted host time per dispatched op
OPS_PER_LAYER = 110.0  # dispatcher ops per layer, forward + backward, of an HF eager Llama layer in bf16
AUTOCAST_OPS_PER_LAYER = 39.0  # casts of inputs and weights around every Linear
LORA_OPS_PER_ADAPTER = 12.0  # cast, A, B, scale, add, forward and backward, per adapted Linear (counted)
CHECKPOINT_OPS_PER_LAYER = 97.0  # recomputed forward plus saved-tensor hooks of non-reentrant checkpointing
# Assumed, not measured here: large fp8 GEMMs reach about two thirds of the datasheet fp8 rate (below bf16's 0.76:
# per-tensor scaling and the bf16 output cost more per FLOP). Labelled in every fp8 estimate.
FP8_MATMUL_FRACTION = 0.65
FP8_CAST_BYTES = 3.0  # read bf16 (2) + write fp8 (1) per quantised element
FP8_OPS_PER_LINEAR = 4.0  # quantise input, quantise output gradient, and their amax reductions


class TimeEstimate(Frozen):
    step_seconds: float
    tokens_per_second: float
    total_hours: float
    gpu_hours: float
    mfu: float
    hfu: float
    bound: str  # "launch" | "compute"
    dp_scaling_efficiency: float
    assumptions: tuple[Assumption, ...]


def _peak_flops(gpu: GPU) -> float:
    """Dense tensor-core peak: bf16, else fp16 (Turing has no bf16; fp16 AMP runs at the fp16 rate)."""
    tflops = gpu.bf16_tflops or gpu.fp16_tflops
    if not tflops:
        raise InvalidRunError(
            "gpu",
            gpu.id,
            "the catalog has no bf16/fp16 TFLOP/s figure for this GPU, so its step time cannot be modelled; "
            "choose a GPU with a published figure (e.g. A10 for an A10G)",
        )
    return tflops * 1e12


_LINEAR_NAMES = ("q", "k", "v", "o", "gate", "up", "down")


def _linears(arch: ModelArch) -> list[tuple[int, int]]:
    """(in, out) of the Linears one token passes through in one layer (MoE: top-k + shared experts)."""
    h, qw, kw = arch.hidden_size, q_width(arch), kv_width(arch)
    i = arch.intermediate_size
    if arch.num_experts:
        i = (arch.moe_intermediate_size or i) * arch.num_experts_per_tok + arch.shared_expert_intermediate_size
    mlp = [(h, i), (h, i), (i, h)] if arch.mlp_type == MlpType.GATED else [(h, i), (i, h)]
    return [(h, qw), (h, kw), (h, kw), (qw, h), *mlp]


def _gemm_seconds(m: float, k: int, n: int, gpu: GPU, fp8: bool = False) -> float:
    """One bf16 GEMM on the roofline: t = max(2mkn / (peak · MATMUL_FRACTION), operand bytes / bandwidth)
    (Williams et al. 2009); thin GEMMs become bandwidth-bound, large ones run at the measured 8192³ rate.
    fp8: t = max(2mkn / (fp8 peak · FP8_MATMUL_FRACTION), (mk + kn + 2mn) / bandwidth)."""
    if fp8 and gpu.fp8_tflops:
        compute = 2.0 * m * k * n / (gpu.fp8_tflops * 1e12 * FP8_MATMUL_FRACTION)
        return max(compute, (m * k + k * n + 2.0 * m * n) / _bandwidth(gpu))
    compute = 2.0 * m * k * n / (_peak_flops(gpu) * MATMUL_FRACTION)
    return max(compute, 2.0 * (m * k + k * n + m * n) / _bandwidth(gpu))


def _bandwidth(gpu: GPU) -> float:
    return gpu.memory_bandwidth_bytes_per_second * BANDWIDTH_FRACTION


def micro_batch_gpu_seconds(arch: ModelArch, run: TrainingRun, gpu: GPU) -> float:
    """GPU time of one micro-batch's forward and backward (with recompute), per GPU (module docstring)."""
    t = run.parallelism.tensor
    tokens = float(run.micro_batch * run.seq_len)
    full = run.method == Method.FULL
    passes = 3.0 if full else 2.0  # frozen weights need no weight-gradient GEMM
    recompute = run.checkpointing == Checkpointing.FULL
    fp8 = full and run.precision == Precision.FP8
    fwd_layer = sum(_gemm_seconds(tokens, fan_in, fan_out // t, gpu, fp8) for fan_in, fan_out in _linears(arch))
    layer = fwd_layer * (passes + (1.0 if recompute else 0.0))
    flops = training_flops(arch, run)
    attn_fwd = flops.forward.attention_scores * tokens / t
    attn_passes = 3.5 + (1.0 if recompute or run.checkpointing == Checkpointing.SELECTIVE else 0.0)
    attention = attn_fwd * attn_passes / (_peak_flops(gpu) * ATTENTION_FRACTION)
    elementwise_passes = ELEMENTWISE_PASSES * (4.0 / 3.0 if recompute else 1.0)
    elementwise = elementwise_passes * layer_bytes_per_token(arch, run) * tokens / t / _bandwidth(gpu)
    if not full:  # peft casts each adapted Linear's input to fp32 and autocast casts it back, forward and backward
        adapted_inputs = sum(fan_in for fan_in, _ in _linears(arch)[: len(run.lora.targets)])
        elementwise += LORA_CAST_BYTES * adapted_inputs * tokens / t / _bandwidth(gpu) * arch.num_layers
    if fp8:  # quantise every Linear's input (forward) and output gradient (backward)
        quantised = sum(fan_in + fan_out for fan_in, fan_out in _linears(arch)) * tokens / t
        elementwise += FP8_CAST_BYTES * quantised / _bandwidth(gpu) * arch.num_layers
    head = _gemm_seconds(tokens, arch.hidden_size, arch.vocab_size // t, gpu) * passes
    loss = LOSS_PASSES * 4.0 * arch.vocab_size * tokens / t / _bandwidth(gpu)
    return arch.num_layers / run.parallelism.pipeline * layer + attention + elementwise + head + loss


def optimizer_seconds(arch: ModelArch, run: TrainingRun, gpu: GPU) -> float:
    """Fused optimizer step: read weights, gradients and states, write weights and states, over bandwidth."""
    counts = count_params(arch, run.method, run.lora)
    par = run.parallelism
    rec = state_recipe(run.precision, run.optimizer) if run.method == Method.FULL else adapter_recipe(run.optimizer)
    trainable = counts.trainable / (par.tensor * par.pipeline) / (par.data if par.zero_stage >= 1 else 1)
    per_param = 2.0 * rec.master_bytes + rec.grad_bytes + 2.0 * rec.optimizer_bytes
    casts = 3.0 * rec.copy_bytes * counts.trainable / (par.tensor * par.pipeline) if run.method == Method.FULL else 0.0
    return (trainable * per_param + casts) / _bandwidth(gpu)


def host_seconds(arch: ModelArch, run: TrainingRun) -> float:
    """Python/dispatcher time to launch one step's kernels (eager PyTorch); it overlaps the GPU's work."""
    layers = arch.num_layers / run.parallelism.pipeline
    return layers * ops_per_layer(run) * LAUNCH_SECONDS * accumulation_steps(run)


def ops_per_layer(run: TrainingRun) -> float:
    """Kernels one layer launches per micro-batch, forward and backward (counted in the PyTorch profiler)."""
    ops = OPS_PER_LAYER
    full = run.method == Method.FULL
    if (full and state_recipe(run.precision, run.optimizer).autocast) or not full:
        ops += AUTOCAST_OPS_PER_LAYER
    if not full:
        ops += LORA_OPS_PER_ADAPTER * len(run.lora.targets)
    if full and run.precision == Precision.FP8:
        ops += FP8_OPS_PER_LINEAR * len(_LINEAR_NAMES)
    if run.checkpointing == Checkpointing.FULL:
        ops += CHECKPOINT_OPS_PER_LAYER
    return ops


def _dp_comm_seconds(arch: ModelArch, run: TrainingRun, hw: Hardware) -> float:
    """Ring all-reduce of the bf16 gradients (+ ZeRO-3's parameter gathers) over the topology's bus bandwidth."""
    par = run.parallelism
    if par.data <= 1:
        return 0.0
    bandwidth = all_reduce_bus_bytes_per_second(hw)
    counts = count_params(arch, run.method, run.lora)
    grad_bytes = 2.0 * counts.trainable / (par.tensor * par.pipeline)
    volume = 2.0 * (par.data - 1) / par.data * grad_bytes  # ring all-reduce (= reduce-scatter + all-gather)
    if par.zero_stage >= 3:
        volume += 2.0 * (par.data - 1) / par.data * 2.0 * counts.base / (par.tensor * par.pipeline)
    return volume / bandwidth


def _tp_comm_seconds(arch: ModelArch, run: TrainingRun, hw: Hardware) -> float:
    """Four all-reduces of T·h bf16 per layer; inside a node unless the tensor-parallel group spans nodes."""
    t = run.parallelism.tensor
    if t <= 1:
        return 0.0
    tokens = run.micro_batch * run.seq_len
    per_layer = 4.0 * 2.0 * (t - 1) / t * 2.0 * tokens * arch.hidden_size
    within = t <= hw.gpus_per_node
    bandwidth = intra_node_bus_bytes_per_second(hw) if within else all_reduce_bus_bytes_per_second(hw)
    return arch.num_layers / run.parallelism.pipeline * per_layer / bandwidth


def modelled_mfu(arch: ModelArch, run: TrainingRun, gpu: GPU, gpus: int = 1) -> float:
    """Model FLOPs utilisation the step-time model implies for `run` on `gpus` × `gpu`."""
    return training_time(arch, run, Hardware(gpu=gpu, count=gpus)).mfu


def training_time(arch: ModelArch, run: TrainingRun, hw: Hardware) -> TimeEstimate:
    """Step time, throughput and hours of `run` on `hw` (module docstring). `run.mfu` overrides the modelled MFU."""
    par = run.parallelism
    gpu = hw.gpu
    check_precision(run.precision, gpu)
    per_replica = par.tensor * par.pipeline
    data = max(par.data, hw.count // per_replica)
    run = run.model_copy(update={"parallelism": par.model_copy(update={"data": data})})
    micro = accumulation_steps(run)
    flops = training_flops(arch, run)
    step_tokens = float(run.micro_batch * run.seq_len * micro * data)
    gpu_compute = micro * micro_batch_gpu_seconds(arch, run, gpu)
    bubble = (par.pipeline - 1) / micro if par.pipeline > 1 else 0.0
    gpu_compute *= 1.0 + bubble
    gpu_compute += micro * _tp_comm_seconds(arch, run, hw)
    comm = _dp_comm_seconds(arch, run, hw)
    exposed = max(0.0, comm - 2.0 / 3.0 * gpu_compute)  # overlapped with the backward pass (2/3 of the work)
    gpu_seconds = gpu_compute + exposed + optimizer_seconds(arch, run, gpu)
    host = host_seconds(arch, run)
    step = max(host, gpu_seconds)
    peak_total = _peak_flops(gpu) * hw.count
    model_flops_step = flops.training_per_token * step_tokens
    if run.mfu is not None:
        step = model_flops_step / (peak_total * run.mfu)
    tokens_per_second = step_tokens / step
    total_hours = run.tokens / tokens_per_second / 3600.0
    mfu = model_flops_step / (step * peak_total)
    hfu = (flops.training_per_token + flops.recompute_per_token) * step_tokens / (step * peak_total)
    single = gpu_compute + optimizer_seconds(arch, run, gpu)
    return TimeEstimate(
        step_seconds=step,
        tokens_per_second=tokens_per_second,
        total_hours=total_hours,
        gpu_hours=total_hours * hw.count,
        mfu=mfu,
        hfu=hfu,
        bound="launch" if host >= gpu_seconds and run.mfu is None else "compute",
        dp_scaling_efficiency=min(1.0, single / gpu_seconds) if gpu_seconds > 0 else 1.0,
        assumptions=_assumptions(run, hw, exposed, comm),
    )


def _assumptions(run: TrainingRun, hw: Hardware, exposed: float, comm: float) -> tuple[Assumption, ...]:
    out = [
        Assumption(
            name="MFU",
            value="override" if run.mfu is not None else "modelled (roofline of every GEMM + memory-bound work)",
            why="step = max(host launch time, GPU time); calibrated on H100 measurements, see estimator.throughput",
        ),
        Assumption(
            name="achievable matmul fraction",
            value=f"{MATMUL_FRACTION:.2f} of datasheet bf16 TFLOP/s",
            why="a bf16 8192³ GEMM ran at ~750 of 989 TFLOP/s on an H100",
        ),
    ]
    if run.method == Method.FULL and run.precision == Precision.FP8:
        out.append(
            Assumption(
                name="fp8 matmuls",
                value=f"{FP8_MATMUL_FRACTION:.2f} of datasheet fp8 TFLOP/s for the layers' Linears (assumed, not "
                "measured); attention and head in bf16; MFU against the bf16 peak",
                why="Transformer Engine recipe: bf16 weights/grads/states + fp8 weight copies, fp8 saved Linear inputs",
            )
        )
    if run.parallelism.data > 1 or hw.count > 1:
        out.append(interconnect_assumption(hw))
        out.append(
            Assumption(
                name="data-parallel communication",
                value=f"ring all-reduce {comm:.3f} s per step, {exposed:.3f} s not hidden by the backward",
                why="2·(n−1)/n × gradient bytes over the bus bandwidth (see interconnect), under the backward",
            )
        )
    return tuple(out)
