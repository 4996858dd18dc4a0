"""Inference memory and throughput: weights by quantisation, KV cache, the largest batch that fits, and a roofline.

Prefill is compute-bound (every prompt token runs through every weight at once); decode is bandwidth-bound at small
batch (every generated token re-reads all weights and the whole KV cache), so decode speed is a roofline on both.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from estimator.errors import InvalidRunError
from estimator.flops import decode_flops_per_token, prefill_flops
from estimator.models import GPU, Assumption, Frozen, ModelArch, figure_assumptions
from estimator.params import count_params

DEFAULT_GROUP_SIZE = 128  # GPTQ/AWQ default quantisation group
# vLLM's default gpu_memory_utilization: the share of GPU memory the engine may take for weights + KV cache.
DEFAULT_MEMORY_FRACTION = 0.9
# A bf16 8192^3 matmul ran at ~750 of the datasheet 989 TFLOP/s on the reference H100 (shared measurements, `env`).
DEFAULT_COMPUTE_EFFICIENCY = 0.75
# Streaming reads reach roughly 80% of datasheet HBM/GDDR bandwidth in practice.
DEFAULT_BANDWIDTH_EFFICIENCY = 0.8


class Quantisation(StrEnum):
    FP16 = "fp16"
    BF16 = "bf16"
    INT8 = "int8"
    INT4 = "int4"


_BITS = {Quantisation.FP16: 16, Quantisation.BF16: 16, Quantisation.INT8: 8, Quantisation.INT4: 4}


class InferenceEstimate(Frozen):
    quantisation: Quantisation
    gpus: int
    weights_bytes: int
    kv_bytes_per_token: int
    kv_bytes_per_sequence: int
    context_tokens: int
    usable_bytes: int = Field(description="memory the engine may use across all GPUs")
    fits: bool = Field(description="weights plus one full-context sequence fit")
    max_batch: int = Field(
        description="largest number of full-context sequences whose KV cache fits beside the weights"
    )
    batch: int = Field(description="batch used for the throughput figures")
    prefill_seconds: float = Field(description="time to prefill one prompt of prompt_tokens")
    prefill_tokens_per_second: float
    decode_step_seconds: float
    decode_tokens_per_second: float = Field(description="all sequences of the batch together")
    decode_tokens_per_second_per_sequence: float
    decode_bound: str = Field(description="'memory' or 'compute': which roof limits decode")
    assumptions: tuple[Assumption, ...]


def weight_bytes_per_param(quantisation: Quantisation, group_size: int = DEFAULT_GROUP_SIZE) -> float:
    """bits / 8, plus for int8/int4 an fp16 scale and an fp16 zero point per group: + 4 / group_size bytes.

    The group layout is GPTQ's and AWQ's (Frantar et al. 2022; Lin et al. 2023): 4-bit with group 128 costs
    0.5 + 4/128 = 0.53125 bytes per parameter.
    """
    if group_size <= 0:
        raise InvalidRunError("group_size", group_size, "a quantisation group holds at least 1 weight (e.g. 128)")
    bits = _BITS[quantisation]
    overhead = 0.0 if bits == 16 else 4 / group_size
    return bits / 8 + overhead


def weights_bytes(params: int, quantisation: Quantisation, group_size: int = DEFAULT_GROUP_SIZE) -> int:
    """params x weight_bytes_per_param(quantisation, group_size), rounded up to a byte."""
    return int(-(-params * weight_bytes_per_param(quantisation, group_size) // 1))


def kv_cache_bytes_per_token(arch: ModelArch, kv_bytes: float = 2.0) -> int:
    """2 (K and V) x layers x kv_heads x head_dim x bytes per element.

    GQA/MQA models cache only their kv_heads (Ainslie et al. 2023). Kwon et al. 2023 (vLLM, §3): OPT-13B holds
    2 x 40 x 5120 x 2 = 800 KB per token in fp16.

    Multi-head latent attention (DeepSeek-V2/V3) caches, per layer, the compressed key/value latent c_KV (d_c =
    kv_lora_rank) and the shared rotary key k_R (d_R = qk_rope_head_dim): layers x (d_c + d_R) x bytes (DeepSeek-V2,
    arXiv:2405.04434 §2.1.2-2.1.3 and Table 1, "equal to GQA with only 2.25 groups"; vLLM's and SGLang's MLA
    backends cache exactly these). Keys and values are re-expanded from the latent at attention time.
    """
    if arch.kv_lora_rank:
        return int(arch.num_layers * (arch.kv_lora_rank + arch.qk_rope_head_dim) * kv_bytes)
    return int(2 * arch.num_layers * arch.num_kv_heads * arch.head_dim * kv_bytes)


def _cached_tokens(arch: ModelArch, context_tokens: int) -> int:
    """Tokens whose K/V a sequence keeps: the whole context, or the sliding window when the model has one."""
    return min(context_tokens, arch.sliding_window) if arch.sliding_window else context_tokens


def _no_bf16_fix(gpu: GPU) -> str:
    """Why bf16 cannot be timed on `gpu`: the hardware lacks bf16 (Turing/Volta: fp16 only), or the GPU given has no
    tensor figure at all (every catalog row has one; a GPU built by hand may not)."""
    if gpu.fp16_tflops:
        return f"{gpu.id} has no bf16 tensor cores (Turing/Volta); use fp16"
    return f"no bf16/fp16 TFLOP/s for {gpu.id}, so its throughput cannot be modelled; give its datasheet figure"


def _peak_flops(gpu: GPU, quantisation: Quantisation) -> float:
    """Dense tensor FLOP/s for the matmuls: int8 on int8 tensor cores where listed; int4 weight-only kernels
    dequantise to fp16; bf16 needs bf16 tensor cores."""
    if quantisation is Quantisation.INT8 and gpu.int8_tops:
        return gpu.int8_tops * 1e12
    if quantisation is Quantisation.BF16:
        if gpu.bf16_tflops is None:
            raise InvalidRunError("quantisation", "bf16", _no_bf16_fix(gpu))
        return gpu.bf16_tflops * 1e12
    tflops = gpu.fp16_tflops or gpu.bf16_tflops
    if tflops is None:
        raise InvalidRunError("gpu", gpu.id, "no tensor TFLOP/s for this GPU; give its datasheet figure")
    return tflops * 1e12


def inference_estimate(
    arch: ModelArch,
    gpu: GPU,
    *,
    quantisation: Quantisation = Quantisation.BF16,
    context_tokens: int = 4096,
    prompt_tokens: int | None = None,
    batch: int | None = None,
    gpus: int = 1,
    kv_bytes: float = 2.0,
    group_size: int = DEFAULT_GROUP_SIZE,
    memory_fraction: float = DEFAULT_MEMORY_FRACTION,
    compute_efficiency: float = DEFAULT_COMPUTE_EFFICIENCY,
    bandwidth_efficiency: float = DEFAULT_BANDWIDTH_EFFICIENCY,
) -> InferenceEstimate:
    """Serving `arch` on `gpus` x `gpu` (tensor parallel, ideal scaling).

    Memory: weights (every parameter, MoE experts included) + batch x KV(context) <= memory_fraction x memory x gpus.
    Prefill of P tokens: FLOPs = `flops.prefill_flops` (~2 x N_active x P + causal attention 2 x L x P^2 x h_attn);
    time = max(FLOPs / (peak x compute_efficiency), weight bytes / (bandwidth x bandwidth_efficiency)).
    Decode step at batch B and context c: FLOPs = B x `flops.decode_flops_per_token` (~2 x N_active + 4 x L x c x
    h_attn); bytes = weights + B x KV(c); time = max of the two roofs (Williams et al. 2009 roofline).
    """
    _check_positive(context_tokens=context_tokens, gpus=gpus)
    if not 0 < memory_fraction <= 1:
        raise InvalidRunError("memory_fraction", memory_fraction, "a fraction in (0, 1], e.g. 0.9")
    prompt = context_tokens if prompt_tokens is None else prompt_tokens
    if not 0 < prompt <= context_tokens:
        raise InvalidRunError("prompt_tokens", prompt_tokens, f"must be between 1 and context_tokens={context_tokens}")
    w_bytes = weights_bytes(count_params(arch).total, quantisation, group_size)
    kv_token = kv_cache_bytes_per_token(arch, kv_bytes)
    kv_sequence = kv_token * _cached_tokens(arch, context_tokens)
    usable = int(gpu.memory_bytes * gpus * memory_fraction)
    max_batch = max(0, (usable - w_bytes) // kv_sequence) if kv_sequence else 0
    run_batch = batch if batch is not None else max(1, max_batch)
    if run_batch <= 0:
        raise InvalidRunError("batch", batch, "a batch holds at least 1 sequence")

    peak = _peak_flops(gpu, quantisation) * gpus * compute_efficiency
    bandwidth = gpu.memory_bandwidth_bytes_per_second * gpus * bandwidth_efficiency
    prefill_seconds = max(prefill_flops(arch, prompt) / peak, w_bytes / bandwidth)
    decode_flops = run_batch * decode_flops_per_token(arch, context_tokens)
    decode_bytes = w_bytes + run_batch * kv_sequence
    compute_seconds, memory_seconds = decode_flops / peak, decode_bytes / bandwidth
    decode_seconds = max(compute_seconds, memory_seconds)
    return InferenceEstimate(
        quantisation=quantisation,
        gpus=gpus,
        weights_bytes=w_bytes,
        kv_bytes_per_token=kv_token,
        kv_bytes_per_sequence=kv_sequence,
        context_tokens=context_tokens,
        usable_bytes=usable,
        fits=w_bytes + kv_sequence <= usable,
        max_batch=max_batch,
        batch=run_batch,
        prefill_seconds=prefill_seconds,
        prefill_tokens_per_second=prompt / prefill_seconds,
        decode_step_seconds=decode_seconds,
        decode_tokens_per_second=run_batch / decode_seconds,
        decode_tokens_per_second_per_sequence=1 / decode_seconds,
        decode_bound="compute" if compute_seconds >= memory_seconds else "memory",
        assumptions=(
            *_assumptions(
                quantisation, group_size, kv_bytes, memory_fraction, compute_efficiency, bandwidth_efficiency
            ),
            *figure_assumptions((gpu,)),
            *_kv_layout(arch),
        ),
    )


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if value <= 0:
            raise InvalidRunError(name, value, f"{name} must be a positive integer")


def _kv_layout(arch: ModelArch) -> tuple[Assumption, ...]:
    if not arch.kv_lora_rank:
        return ()
    width = arch.kv_lora_rank + arch.qk_rope_head_dim
    return (
        Assumption(
            name="kv_cache_layout",
            value=f"latent: {arch.kv_lora_rank} + {arch.qk_rope_head_dim} rotary = {width} elements per layer, token",
            why="multi-head latent attention caches the compressed KV latent and the shared rotary key, as vLLM's and "
            "SGLang's MLA backends do (DeepSeek-V2, arXiv:2405.04434 §2.1); Hugging Face's eager cache expands them",
        ),
    )


def _assumptions(
    quantisation: Quantisation,
    group_size: int,
    kv_bytes: float,
    memory_fraction: float,
    compute_efficiency: float,
    bandwidth_efficiency: float,
) -> tuple[Assumption, ...]:
    return (
        Assumption(
            name="weight_bytes_per_param",
            value=f"{weight_bytes_per_param(quantisation, group_size):g} ({quantisation.value})",
            why="quantised weights carry an fp16 scale and zero point per group (GPTQ/AWQ layout); "
            "embeddings are counted at the same width",
        ),
        Assumption(name="kv_cache_bytes_per_element", value=f"{kv_bytes:g}", why="fp16/bf16 KV cache unless set"),
        Assumption(
            name="memory_fraction",
            value=f"{memory_fraction:g}",
            why="vLLM's default gpu_memory_utilization; the rest holds activations, CUDA context and graphs",
        ),
        Assumption(
            name="compute_efficiency",
            value=f"{compute_efficiency:g}",
            why="large bf16 matmuls reach ~75% of datasheet TFLOP/s (H100: ~750 of 989 measured)",
        ),
        Assumption(
            name="bandwidth_efficiency",
            value=f"{bandwidth_efficiency:g}",
            why="streaming reads reach ~80% of datasheet memory bandwidth",
        ),
        Assumption(
            name="tensor_parallel_scaling",
            value="ideal",
            why="FLOP/s and bandwidth add up across GPUs; all-reduce time is not modelled",
        ),
    )
