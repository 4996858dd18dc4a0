"""Input value types of the estimator: model architecture, training run, hardware and offers.

Field names follow Hugging Face `config.json` where one exists, so a user can read them side by side.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MlpType(StrEnum):
    GELU = "gelu"  # two matrices: up (h->i), down (i->h)
    GATED = "gated"  # SwiGLU/GeGLU: gate, up (h->i) and down (i->h)


class NormType(StrEnum):
    LAYERNORM = "layernorm"  # weight + bias
    RMSNORM = "rmsnorm"  # weight only


class PositionEncoding(StrEnum):
    ROPE = "rope"
    ALIBI = "alibi"
    LEARNED = "learned"


class ModelArch(Frozen):
    """A decoder-only transformer, described by the config values that decide its size and cost."""

    name: str = "custom"
    family: str = "llama"
    vocab_size: int = Field(gt=0)
    hidden_size: int = Field(gt=0)
    num_layers: int = Field(gt=0)
    num_heads: int = Field(gt=0)
    num_kv_heads: int = Field(gt=0)
    head_dim: int = Field(gt=0)
    intermediate_size: int = Field(gt=0)
    mlp_type: MlpType = MlpType.GATED
    norm_type: NormType = NormType.RMSNORM
    norms_per_layer: int = 2
    final_norm: bool = True
    tie_word_embeddings: bool = False
    qkv_bias: bool = False
    attn_out_bias: bool = False
    mlp_bias: bool = False
    lm_head_bias: bool = False
    qk_norm: bool = False
    qk_norm_full_width: bool = False  # OLMo 2: one norm over all query heads and one over all key heads, not per head
    position_encoding: PositionEncoding = PositionEncoding.ROPE
    max_position_embeddings: int = 4096
    learned_position_embeddings: int = 0  # rows of a learned absolute position table (0 = none)
    embedding_norm: bool = False  # e.g. BLOOM's word_embeddings_layernorm
    parallel_attention_mlp: bool = False  # GPT-J/NeoX/Phi/Falcon: attention and MLP read the same input
    # Mixture of experts (0 experts = dense model)
    num_experts: int = 0
    num_experts_per_tok: int = 0
    moe_intermediate_size: int = 0  # per routed expert; 0 = intermediate_size
    num_shared_experts: int = 0
    shared_expert_intermediate_size: int = 0
    shared_expert_gate: bool = False  # qwen2_moe's sigmoid gate on the shared expert
    router_bias: bool = False
    first_dense_layers: int = 0  # deepseek: the first k layers are dense
    sliding_window: int | None = None
    # Layout details that change LoRA adapter shapes (peft adapts whole nn.Linear modules), not the parameter total.
    fused_qkv: bool = False  # one qkv Linear (GPT-2 c_attn, NeoX/Falcon/BLOOM query_key_value, Phi-3 qkv_proj)
    fused_gate_up: bool = False  # one gate_up Linear (Phi-3 gate_up_proj)
    word_embed_proj_dim: int = 0  # OPT: embeddings of this width projected in/out of hidden_size (0 = hidden_size)
    rotary_fraction: float = Field(default=1.0, gt=0, le=1)  # share of head_dim rotated (NeoX rotary_pct, Phi)
    norm_bias: bool = True  # LayerNorm with a bias (MPT's LayerNorms have none); RMSNorm never has one
    # Multi-head latent attention (DeepSeek-V2/V3): queries and keys/values pass through low-rank latents; head_dim is
    # then the query/key head width (nope + rope), v_head_dim the value head width. kv_lora_rank 0 = ordinary attention.
    q_lora_rank: int = Field(default=0, ge=0)  # 0 = a full-rank q projection
    kv_lora_rank: int = Field(default=0, ge=0)
    qk_rope_head_dim: int = Field(default=0, ge=0)
    v_head_dim: int = Field(default=0, ge=0)  # 0 = head_dim
    source: str = ""  # where the config values come from (HF repo id), for presets
    # Set when a config's model_type has no mapping of its own and its standard keys were read as this family's.
    assumed_family: str = ""


class Method(StrEnum):
    FULL = "full"
    LORA = "lora"
    QLORA = "qlora"


class Precision(StrEnum):
    BF16 = "bf16"  # pure bf16: bf16 params, grads, optimizer states; no autocast
    FP32_AMP = "fp32-amp"  # fp32 master params/grads/states + bf16 autocast
    FP16_AMP = "fp16-amp"  # fp32 master params + fp16 autocast with loss scaling
    FP8 = "fp8"  # bf16/fp32 master + fp8 matmuls (Transformer Engine style)


class Optimizer(StrEnum):
    ADAMW = "adamw"
    ADAMW_8BIT = "adamw-8bit"
    SGD = "sgd"  # with momentum
    ADAFACTOR = "adafactor"


class Checkpointing(StrEnum):
    NONE = "none"
    SELECTIVE = "selective"
    FULL = "full"


class AttentionKernel(StrEnum):
    FA2 = "fa2"  # FlashAttention-2: PyTorch SDPA's flash backend (the default of HF transformers' "sdpa")
    FA3 = "fa3"  # FlashAttention-3 (Hopper only; other GPUs fall back to FA2's rates)
    CUDNN = "cudnn"  # cuDNN fused attention (Transformer Engine, SDPA's cuDNN backend; Hopper rates)


class LayerKernels(StrEnum):
    """How a layer's memory-bound ops run (estimator.layer_traffic)."""

    EAGER = "eager"  # Hugging Face transformers in eager PyTorch: every norm, rotary, activation and add its own op
    FUSED = "fused"  # Megatron-Core + Transformer Engine: norm+cast, RoPE, SwiGLU+cast, residual adds each one kernel


# A training run's defaults, written once: TrainingRun below, the CLI's options, the estimate endpoint's query
# parameters and the workload-annotation fallbacks all read these.
DEFAULT_SEQ_LEN = 2048
DEFAULT_MICRO_BATCH = 1
DEFAULT_LORA_RANK = 16
DEFAULT_METHOD = Method.FULL
DEFAULT_PRECISION = Precision.BF16
DEFAULT_OPTIMIZER = Optimizer.ADAMW
DEFAULT_CHECKPOINTING = Checkpointing.NONE


class LoraConfig(Frozen):
    rank: int = Field(default=DEFAULT_LORA_RANK, gt=0)
    alpha: int = 32
    targets: tuple[str, ...] = ("q", "k", "v", "o", "gate", "up", "down")


class Parallelism(Frozen):
    """Degrees of parallelism. GPUs = data × tensor × pipeline × context (Megatron-LM's rank order)."""

    data: int = Field(default=1, ge=1)
    tensor: int = Field(default=1, ge=1)
    pipeline: int = Field(default=1, ge=1)
    zero_stage: int = Field(default=0, ge=0, le=3)  # FSDP full shard == stage 3
    # Context parallel: each sequence split over this many GPUs (ring attention, Megatron-LM `--context-parallel-size`).
    context: int = Field(default=1, ge=1)
    # Interleaved 1F1B: model chunks per pipeline stage (Megatron-LM `--num-layers-per-virtual-pipeline-stage`).
    virtual_stages: int = Field(default=1, ge=1)
    # Expert parallel: the routed experts of every MoE layer split over this many of the d·c ranks that would otherwise
    # each hold all of them (Megatron-Core `--expert-model-parallel-size`); tokens reach their experts by all-to-all.
    expert: int = Field(default=1, ge=1)

    @property
    def model_parallel(self) -> int:
        """GPUs that hold one replica of the model and process one micro-batch together: t · p · c."""
        return self.tensor * self.pipeline * self.context

    @property
    def gradient_ranks(self) -> int:
        """Ranks holding the same parameter shard, over which gradients are reduced and ZeRO shards: d · c."""
        return self.data * self.context


class TrainingRun(Frozen):
    tokens: float = Field(gt=0, description="total training tokens (dataset tokens x epochs)")
    seq_len: int = Field(default=DEFAULT_SEQ_LEN, gt=0)
    micro_batch: int = Field(default=DEFAULT_MICRO_BATCH, gt=0, description="sequences per GPU per forward/backward")
    global_batch: int | None = Field(default=None, description="sequences per optimizer step; None = micro x dp")
    method: Method = DEFAULT_METHOD
    lora: LoraConfig = LoraConfig()
    precision: Precision = DEFAULT_PRECISION
    optimizer: Optimizer = DEFAULT_OPTIMIZER
    checkpointing: Checkpointing = DEFAULT_CHECKPOINTING
    parallelism: Parallelism = Parallelism()
    mfu: float | None = Field(default=None, gt=0, le=1, description="override of the modelled MFU")
    attention_kernel: AttentionKernel = AttentionKernel.FA2
    layer_kernels: LayerKernels = LayerKernels.EAGER


class GPU(Frozen):
    """Datasheet figures of one accelerator. TFLOP/s are dense (no sparsity)."""

    id: str
    name: str
    memory_bytes: int
    memory_bandwidth_bytes_per_second: float
    bf16_tflops: float | None
    fp16_tflops: float | None
    fp8_tflops: float | None = None
    fp32_tflops: float | None = None  # FP32 on CUDA cores (not tensor cores)
    tf32_tflops: float | None = None  # TF32 tensor cores
    int8_tops: float | None = None
    tdp_watts: float
    unified_memory: bool = False  # Apple silicon: memory shared with the host
    source: str
    # Set when the tensor figures are not this part's own datasheet's (e.g. the A10G, for which NVIDIA and AWS
    # publish none, takes the A10's): what was borrowed and how far it may be off. Every estimate on this GPU lists
    # it as an assumption (`figure_assumptions`).
    borrowed_figures: str | None = None


class Hardware(Frozen):
    """`count` GPUs, `gpus_per_node` to a machine; the network between machines (estimator.interconnect)."""

    gpu: GPU
    count: int = Field(default=1, gt=0)
    # An 8-GPU HGX/DGX server unless an offer says otherwise (a 1-GPU cloud VM is a node of 1).
    gpus_per_node: int = Field(default=8, gt=0)
    # Network bandwidth per node, one direction; None = a training cluster's fabric (estimator.interconnect).
    inter_node_gbps: float | None = Field(default=None, gt=0)
    network: str = ""  # what the inter-node figure is (e.g. "EFA, p5.48xlarge"), for the assumptions


class CapacityType(StrEnum):
    ON_DEMAND = "on-demand"
    SPOT = "spot"
    RESERVED = "reserved"
    ON_PREM = "on-prem"


class Offer(Frozen):
    """A price for running `gpu_count` GPUs of `gpu_id` for one hour somewhere."""

    provider: str
    instance: str
    region: str | None
    gpu_id: str
    gpu_count: int
    capacity_type: CapacityType
    usd_per_hour: float = Field(gt=0)
    price_is_estimate: bool = False  # e.g. spot derived from a typical savings percentage
    source: str
    as_of: date | None
    currency: str = "USD"
    native_price_per_hour: float | None = None  # in `currency` when that is not USD
    notes: str = ""


class OnPremTCO(Frozen):
    """Owning the hardware: capital amortised over years, plus energy."""

    purchase_usd: float = Field(gt=0)
    amortisation_years: float = Field(default=3.0, gt=0)
    watts: float = Field(gt=0)
    usd_per_kwh: float = Field(default=0.15, ge=0)
    pue: float = Field(default=1.0, ge=1.0)
    utilisation: float = Field(default=1.0, gt=0, le=1)


class LocalMachine(Frozen):
    """A machine (or one card for a workstation) bought outright, with what it draws while training."""

    id: str
    gpu: GPU
    purchase_usd: float = Field(gt=0)
    purchase_source: str
    purchase_as_of: date | None
    purchase_note: str = ""
    price_is_estimate: bool = False
    watts: float = Field(gt=0, description="power drawn while training, for the energy cost")
    watts_note: str


class Assumption(Frozen):
    """One default or modelling choice that shaped a number, so a user can check it."""

    name: str
    value: str
    why: str


def figure_assumptions(gpus: Iterable[GPU]) -> tuple[Assumption, ...]:
    """One assumption per distinct GPU among `gpus` whose tensor figures are borrowed from another part's datasheet
    (`GPU.borrowed_figures`), so that no estimate on such a GPU hides where its TFLOP/s came from."""
    seen: dict[str, Assumption] = {}
    for gpu in gpus:
        if gpu.borrowed_figures and gpu.id not in seen:
            peak = gpu.bf16_tflops or gpu.fp16_tflops
            what = gpu.borrowed_figures.split(";")[0]  # the first clause says whose figures; the rest, how far off
            seen[gpu.id] = Assumption(
                name=f"{gpu.id} tensor figures",
                value=f"{peak:g} TFLOP/s bf16/fp16, {what}" if peak else what,
                why=gpu.borrowed_figures,
            )
    return tuple(seen.values())
