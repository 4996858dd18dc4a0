"""Step time, tokens/s, hours and modelled MFU: phases of the step's kernels, not a constant efficiency.

    micro-batch = Σ_phase max(host, GPU) over forward, tail (head + loss), backward   (estimator.step_phases)
    pipeline    = (m + (p − 1)/v) · micro-batch of the last stage    bubble (p−1)/(v·m) of the ideal time
                                                                      (Narayanan et al. 2021 §2.2: 1F1B, v = 1;
                                                                      interleaved, v model chunks per stage)
    step        = pipeline + max(host, GPU) of the optimizer step + data-parallel communication not hidden

Pipeline point-to-point: every micro-batch crosses each stage boundary twice per model chunk (activations forward,
their gradients back), 2·v transfers of b·(s/c)·h bf16 / t per micro-batch (Megatron's scatter/gather, Narayanan
et al. 2021 §4.1), between nodes once a stage's t·c·d GPUs fill a node. The plain 1F1B schedule waits for them;
the interleaved one overlaps them with the next chunk's compute (Megatron-LM `overlap_p2p_comm`), so only what
exceeds that micro-batch's compute is exposed.
    MFU         = model FLOPs (no recompute) / (step · peak of the precision used) (Chowdhery et al. 2022, App. B;
                  fp8 runs against the fp8 peak); HFU adds recompute

Every per-layer term (GEMMs, attention, memory-bound traffic, tensor-parallel all-reduces, host launches) is
multiplied by the L / p layers a pipeline stage holds. Attention runs at the kernel's published rate for the
sequence length (estimator.attention); memory-bound traffic is counted from the layer's structure
(estimator.layer_traffic). A phase lasts max(host, GPU): in a launch-bound step the GPU waits for the host layer by
layer, but the tail and the optimizer step, with few launches and much work, are not hidden behind it.

Data parallel: a ring all-reduce of the bf16 gradients over the n = d·c ranks that hold the same parameters
(context-parallel ranks hold the same weights), 2·(n−1)/n · bytes over the bus bandwidth (Patarasuk & Yuan 2009),
once per step, overlapped with the last micro-batch's backward (gradient accumulation defers it). ZeRO-3 gathers
the parameters twice and reduce-scatters the gradients in every micro-batch (Rajbhandari et al. 2019 §7),
overlapped with that micro-batch's compute. Only what does not fit under the compute is exposed.

Calibration (redone by `python -m benchmarks estimator_accuracy`, which prints the fit and held-out checks):
AMPERE_FIT, the A100's sustained GEMM fraction, is fitted (benchmarks.ampere_fit) on four published A100 runs in the
reference data (FlashAttention's GPT-3 1.3B/2.7B on 8 GPUs, Megatron-LM 2021's 530B and 1T) and checked held out on
the LLaMA-1 GPU-hours.
MATMUL_FRACTION and BANDWIDTH_FRACTION are measured (an 8192³ bf16 GEMM and a device copy on the H100); the fp8
GEMM share is published (FlashAttention-3's fp8 rate, see step_phases.FP8_MATMUL_FRACTION); attention rates are
published; bytes, FLOPs and op counts are counted. Two constants are fitted by least squares of log step
time on the public H100 rows (Llama shapes 125M–2.7B, seq 2048, bf16 and fp32-amp, batch 1–8, checkpointing on and
off, LoRA): `launch_seconds` (host time per dispatched op) and `memory_fraction` (the share of copy bandwidth the
eager memory-bound kernels reach).
"""

from __future__ import annotations

from estimator.attention import attention_assumption
from estimator.errors import InvalidRunError
from estimator.flops import training_flops
from estimator.interconnect import (
    all_reduce_bus_bytes_per_second,
    interconnect_assumption,
    nodes,
    point_to_point_bytes_per_second,
)
from estimator.memory import accumulation_steps
from estimator.models import (
    Assumption,
    Frozen,
    Hardware,
    LayerKernels,
    Method,
    ModelArch,
    Parallelism,
    Precision,
    TrainingRun,
    figure_assumptions,
)
from estimator.params import count_params, routed_expert_params
from estimator.precision import adapter_recipe, check_precision, state_recipe
from estimator.step_phases import (
    FP8_MATMUL_FRACTION,
    MATMUL_FRACTION,
    StepConstants,
    bandwidth,
    local_tokens,
    matmul_fraction,
    micro_batch_phases,
    peak_flops,
)

AMPERE_FIT = 0.646  # benchmarks.ampere_fit (the H100 measured 0.760)
FITTED = StepConstants(launch_seconds=27.4e-6, memory_fraction=0.659, ampere_matmul_fraction=AMPERE_FIT)
OPTIMIZER_OPS_PER_TENSOR = 1.0  # zero_grad and the fused optimizer's per-tensor bookkeeping (counted)


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
    pipeline_bubble_fraction: float = 0.0


def _trainable_experts(arch: ModelArch, run: TrainingRun) -> float:
    """Routed-expert parameters among the trainable ones when expert parallelism splits them (else 0)."""
    return float(routed_expert_params(arch)) if run.parallelism.expert > 1 and run.method == Method.FULL else 0.0


def optimizer_seconds(arch: ModelArch, run: TrainingRun, hw: Hardware) -> float:
    """Fused optimizer step: read weights, gradients and states, write weights and states, over bandwidth (an
    expert-parallel GPU steps 1/e of the routed experts, or its ZeRO shard of them)."""
    counts = count_params(arch, run.method, run.lora)
    par = run.parallelism
    rec = state_recipe(run.precision, run.optimizer) if run.method == Method.FULL else adapter_recipe(run.optimizer)
    experts = _trainable_experts(arch, run)
    div = par.gradient_ranks if par.zero_stage >= 1 else 1
    trainable = ((counts.trainable - experts) / div + experts / max(div, par.expert)) / (par.tensor * par.pipeline)
    per_param = 2.0 * rec.master_bytes + rec.grad_bytes + 2.0 * rec.optimizer_bytes
    local = (counts.trainable - experts + experts / par.expert) / (par.tensor * par.pipeline)
    casts = 3.0 * rec.copy_bytes * local if run.method == Method.FULL else 0.0
    return (trainable * per_param + casts) / bandwidth(hw.gpu)


def _parameter_tensors(arch: ModelArch, run: TrainingRun) -> float:
    """Trainable tensors on one stage: per layer its Linears (+ biases) and norms; LoRA: two per adapted Linear."""
    layers = arch.num_layers / run.parallelism.pipeline
    if run.method != Method.FULL:
        return layers * 2.0 * len(run.lora.targets)
    per_layer = 7.0 + arch.norms_per_layer + 4.0 * (arch.qkv_bias or arch.mlp_bias)
    return layers * per_layer + 3.0


def _dp_seconds(arch: ModelArch, run: TrainingRun, hw: Hardware) -> tuple[float, float]:
    """(once per step, per micro-batch) data-parallel communication seconds (module docstring); with expert
    parallelism the routed experts' gradients (1/e of them per GPU) are reduced over the d·c/e ranks holding the
    same experts."""
    par = run.parallelism
    n = par.gradient_ranks
    if n <= 1:
        return 0.0, 0.0
    bus = all_reduce_bus_bytes_per_second(hw)
    counts = count_params(arch, run.method, run.lora)
    experts = _trainable_experts(arch, run)
    expert_ranks = n // par.expert
    split = par.tensor * par.pipeline

    def volume(dense: float, expert: float) -> float:  # bytes × ring factor, per GPU
        ring = (expert_ranks - 1) / expert_ranks * expert / par.expert if expert_ranks > 1 else 0.0
        return ((n - 1) / n * dense + ring) / split

    if par.zero_stage >= 3:  # two parameter all-gathers + one gradient reduce-scatter, every micro-batch
        gathered = volume(2.0 * 2.0 * (counts.base - experts), 2.0 * 2.0 * experts)
        return 0.0, (gathered + volume(2.0 * (counts.trainable - experts), 2.0 * experts)) / bus
    return 2.0 * volume(2.0 * (counts.trainable - experts), 2.0 * experts) / bus, 0.0


def p2p_seconds(arch: ModelArch, run: TrainingRun, hw: Hardware) -> float:
    """Pipeline point-to-point seconds per micro-batch on one stage: 2·v transfers of b·(s/c)·h·2 bytes / t."""
    par = run.parallelism
    if par.pipeline <= 1:
        return 0.0
    volume = 2.0 * par.virtual_stages * local_tokens(run) * arch.hidden_size * 2.0 / par.tensor
    stage_gpus = par.tensor * par.context * par.data
    return volume / point_to_point_bytes_per_second(hw, within_node=stage_gpus * par.pipeline <= hw.gpus_per_node)


def pipeline_seconds(micro: int, run: TrainingRun, micro_seconds: float, compute: float, p2p: float) -> float:
    """(m + (p−1)/v) micro-batches of the last stage, each with its exposed point-to-point time (module docstring)."""
    par = run.parallelism
    exposed = p2p if par.virtual_stages == 1 else max(0.0, p2p - compute)
    return (micro + (par.pipeline - 1) / par.virtual_stages) * (micro_seconds + exposed)


def training_time(arch: ModelArch, run: TrainingRun, hw: Hardware, constants: StepConstants = FITTED) -> TimeEstimate:
    """Step time, throughput and hours of `run` on `hw` (module docstring). `run.mfu` overrides the modelled MFU."""
    par = run.parallelism
    gpu = hw.gpu
    check_precision(run.precision, gpu)
    check_layout(arch, par)
    data = max(par.data, hw.count // par.model_parallel)
    run = run.model_copy(update={"parallelism": par.model_copy(update={"data": data})})
    check_experts(arch, run.parallelism)
    micro, stages, chunks = accumulation_steps(run), par.pipeline, par.virtual_stages
    forward, tail, backward = micro_batch_phases(arch, run, hw, constants)
    once, per_micro = _dp_seconds(arch, run, hw)
    compute = forward.gpu_seconds + tail.gpu_seconds + backward.gpu_seconds
    micro_seconds = forward.seconds + tail.seconds + backward.seconds + max(0.0, per_micro - compute)
    p2p = p2p_seconds(arch, run, hw)
    pipeline = pipeline_seconds(micro, run, micro_seconds, compute, p2p)
    bubble = (stages - 1) / chunks / (micro + (stages - 1) / chunks)
    exposed = max(0.0, once - backward.gpu_seconds)
    opt_gpu = optimizer_seconds(arch, run, hw)
    opt_host = _parameter_tensors(arch, run) * OPTIMIZER_OPS_PER_TENSOR * constants.launch_seconds
    step = pipeline + max(opt_gpu, opt_host) + exposed
    flops = training_flops(arch, run)
    step_tokens = float(run.micro_batch * run.seq_len * micro * data)  # c GPUs share each sequence
    peak_total = peak_flops(gpu, run.precision if run.method == Method.FULL else Precision.BF16) * hw.count
    model_flops_step = flops.training_per_token * step_tokens
    if run.mfu is not None:
        step = model_flops_step / (peak_total * run.mfu)
    tokens_per_second = step_tokens / step
    total_hours = run.tokens / tokens_per_second / 3600.0
    host_bound = forward.host_seconds + backward.host_seconds > forward.gpu_seconds + backward.gpu_seconds
    single = pipeline_seconds(micro, run, forward.seconds + tail.seconds + backward.seconds, compute, p2p)
    single += max(opt_gpu, opt_host)
    return TimeEstimate(
        step_seconds=step,
        tokens_per_second=tokens_per_second,
        total_hours=total_hours,
        gpu_hours=total_hours * hw.count,
        mfu=model_flops_step / (step * peak_total),
        hfu=(flops.training_per_token + flops.recompute_per_token) * step_tokens / (step * peak_total),
        bound="launch" if host_bound and run.mfu is None else "compute",
        dp_scaling_efficiency=min(1.0, single / step) if run.mfu is None else 1.0,
        assumptions=_assumptions(
            run, hw, exposed + micro * max(0.0, per_micro - compute), once + micro * per_micro, p2p * micro
        ),
        pipeline_bubble_fraction=bubble,
    )


def modelled_mfu(arch: ModelArch, run: TrainingRun, gpu_count_hw: Hardware) -> float:
    """Model FLOPs utilisation the step-time model implies for `run` on `gpu_count_hw`."""
    return training_time(arch, run, gpu_count_hw).mfu


def _matmul_assumption(hw: Hardware) -> Assumption:
    fraction = matmul_fraction(hw.gpu, FITTED)
    if fraction != MATMUL_FRACTION:
        why = "fitted on published A100 runs (FlashAttention's GPT-3 1.3B/2.7B, Megatron-LM 2021 530B/1T)"
    else:
        why = "a bf16 8192³ GEMM ran at ~750 of 989 TFLOP/s on an H100 (other generations: assumed the same)"
    return Assumption(name="achievable matmul fraction", value=f"{fraction:.3f} of datasheet bf16 TFLOP/s", why=why)


def check_layout(arch: ModelArch, par: Parallelism) -> None:
    """Reject layouts Megatron-LM would refuse: interleaving without a pipeline, more chunks than layers."""
    if par.virtual_stages > 1 and par.pipeline == 1:
        raise InvalidRunError("virtual_stages", par.virtual_stages, "needs pipeline parallel > 1; set it to 1")
    if par.pipeline * par.virtual_stages > arch.num_layers:
        raise InvalidRunError(
            "virtual_stages",
            par.virtual_stages,
            f"pipeline × virtual stages must not exceed the {arch.num_layers} layers; lower one of them",
        )


def check_experts(arch: ModelArch, par: Parallelism) -> None:
    """Expert parallelism needs routed experts to split evenly, over ranks the d·c data and context ranks supply."""
    e = par.expert
    if e == 1:
        return
    if not arch.num_experts:
        raise InvalidRunError("expert_parallel", e, "the model has no routed experts (not MoE); set it to 1")
    if arch.num_experts % e:
        raise InvalidRunError(
            "expert_parallel", e, f"must divide the {arch.num_experts} routed experts; choose a divisor of it"
        )
    if par.gradient_ranks % e:
        raise InvalidRunError(
            "expert_parallel",
            e,
            f"must divide the {par.gradient_ranks} data × context ranks (GPUs / (tensor × pipeline)); "
            "add GPUs or lower it",
        )


def _assumptions(run: TrainingRun, hw: Hardware, exposed: float, comm: float, p2p: float) -> tuple[Assumption, ...]:
    fp8 = run.method == Method.FULL and run.precision == Precision.FP8
    out = [
        Assumption(
            name="MFU",
            value="override" if run.mfu is not None else "modelled (phases of GEMMs, attention, memory-bound work)",
            why="each phase = max(host launch time, GPU time); calibrated on H100 measurements, see "
            f"estimator.throughput; against the {'fp8' if fp8 else 'bf16/fp16'} dense peak",
        ),
        _matmul_assumption(hw),
        *figure_assumptions((hw.gpu,)),
        attention_assumption(run.attention_kernel.value, hw.gpu, run.seq_len),
        Assumption(
            name="layer kernels",
            value=run.layer_kernels.value,
            why="memory-bound bytes counted for "
            + (
                "Hugging Face eager layers (every norm, rotary, activation, add its own op)"
                if run.layer_kernels == LayerKernels.EAGER
                else "fused Megatron-Core/Transformer Engine layers (norm+cast, RoPE, SwiGLU+cast, adds)"
            )
            + ", see estimator.layer_traffic",
        ),
    ]
    if fp8:
        out.append(
            Assumption(
                name="fp8 matmuls",
                value=f"{FP8_MATMUL_FRACTION:.3f} of datasheet fp8 TFLOP/s for the layers' Linears (not measured: "
                "FlashAttention-3's fp8 1.2 of 1.979 PFLOP/s on an H100, other fp8 GPUs assumed the same); "
                "attention and head in bf16; MFU against the fp8 peak",
                why="Transformer Engine recipe: bf16 weights/grads/states + fp8 weight copies, fp8 saved Linear "
                "inputs; FA3's bf16 rate (0.748 of peak) matches the measured bf16 GEMM (0.760), so its fp8 rate "
                "stands for the fp8 GEMM's (Shah et al. 2024, arXiv:2407.08608); fused layers quantise with FP8 "
                "current scaling (amax and cast read each bf16 tensor, row- and column-wise fp8 written), see "
                "estimator.layer_traffic",
            )
        )
    par = run.parallelism
    if par.pipeline > 1:
        m, p, v = accumulation_steps(run), par.pipeline, par.virtual_stages
        schedule = "1F1B" if v == 1 else f"interleaved 1F1B, {v} chunks per stage"
        out.append(
            Assumption(
                name="pipeline bubble",
                value=f"(p−1)/(v·m) = {(p - 1) / (v * m):.1%} of the ideal time with p = {p}, v = {v}, m = {m} "
                f"micro-batches; point-to-point {p2p:.3f} s per step"
                + (" (overlapped with compute)" if v > 1 else " (not overlapped)"),
                why=f"{schedule}, the last stage (layers/p + head and loss) sets the pace (Narayanan et al. 2021 §2.2)",
            )
        )
    if par.expert > 1:
        out.append(
            Assumption(
                name="expert parallel",
                value=f"e = {par.expert}: 1/e of the routed experts per GPU; all-to-all dispatch and combine of every "
                "MoE layer in the forward and the backward, not overlapped",
                why="Megatron-Core's all-to-all token dispatcher (GShard, Lepikhin et al. 2020 §3.2); expert "
                "gradients reduced over the d·c/e ranks holding the same experts",
            )
        )
    if par.context > 1:
        out.append(
            Assumption(
                name="context parallel",
                value=f"c = {par.context}: {run.seq_len // par.context} tokens of each sequence per GPU, "
                "ring exchange of keys/values overlapped with attention",
                why="load-balanced causal chunks (Megatron-Core context parallelism; Liu et al. 2023 Ring Attention)",
            )
        )
    if run.parallelism.data > 1 or hw.count > 1:
        out.append(interconnect_assumption(hw))
        out.append(
            Assumption(
                name="data-parallel communication",
                value=f"{comm:.3f} s per step, {exposed:.3f} s not hidden by the compute",
                why="ring all-reduce 2·(n−1)/n × gradient bytes (ZeRO-3: gathers every micro-batch) over the bus "
                "bandwidth (see interconnect)",
            )
        )
    if par.zero_stage >= 3 and nodes(hw) > 1:
        out.append(
            Assumption(
                name="ZeRO-3 across nodes",
                value="parameter all-gathers and gradient reduce-scatters at the bus bandwidth, overlapped with "
                "the compute (FSDP, Megatron-Core's FSDP)",
                why="not confirmed across nodes by a published run: DeepSpeed ZeRO-3 on 384, 768 and 1536 A100s "
                "(Narayanan et al. 2021, Table 2) took 1.4×, 2.3× and 4.6× the GPU-hours this predicts "
                "(benchmarks.megatron_runs); inside one node, Megatron Bridge's FSDP Llama-3-8B run is within 6 %",
            )
        )
    return tuple(out)
