"""Training memory per GPU: a timeline of one step, taking the largest moment rather than summing everything.

Four moments of a step set the peak (measured with `torch.cuda.max_memory_allocated` on an H100):

    forward     = W + C + S + G_acc + T·(A_saved + A_final_norm + 10·V)      end of forward (autocast cache alive)
    backward    = W + C' + S + G_acc + T·(A_saved + A_final_norm + 12·V)     start of backward (loss gradient)
    first layer = W + S + G·(1 − f) + T·A_working                            backward reaches the first layer
    end         = W + G + S + T·A_embedding_backward                           end of backward / optimizer step

W weights, C low-precision weight copies (autocast cache; C' those autograd saved: all of them, only the head's under
full checkpointing), S optimizer states,
G gradients (with `zero_grad(set_to_none=True)` they exist only from the backward on, unless gradients accumulate
over several micro-batches), f the share of gradients not yet produced (first layer and embeddings), T tokens per
micro-batch, A bytes per token from `estimator.activations`. Bytes per parameter come from
`estimator.precision` (ZeRO, Rajbhandari et al. 2019, arXiv:1910.02054 §3.1 and §5: stage 1 divides S, stage 2 also G,
stage 3 also W by the data-parallel degree d·c, context-parallel ranks holding the same weights). Tensor and pipeline
parallelism divide W, G, S by t·p and activations by t (sequence parallel, Korthikanti et al. 2022, arXiv:2205.05198
§4.2.2), context parallelism activations by c (each GPU keeps s/c tokens of every sequence); the first pipeline
stage keeps min(m, p) micro-batches of L/p layers, i.e. L layers' worth once m ≥ p (ibid. §4.2.3); the interleaved
schedule (v model chunks per stage) starts more forward chunks before the first backward, so the first stage holds
1 + (p−1)/(p·v) times that (Narayanan et al. 2021, arXiv:2104.04473 §2.2.2; Megatron-LM
`theoretical_memory_usage.py`, `interleaved_schedule_memory_penalty`).

Overhead: cuBLAS/cuBLASLt workspaces and small buffers (68 MiB, measured as the constant in `memory_allocated` after
the model and optimizer states exist) plus the caching allocator's rounding of every persistent tensor (a block of
more than 10 MiB is carved from 2 MiB-rounded segments and keeps the remainder when it is ≤ 1 MiB; PyTorch
CUDACachingAllocator), which reproduces the measured between-step memory to ±0.01 GiB.

Usable capacity = datasheet memory × 0.9898 (an 80 GiB H100 shows 79.18 GiB to CUDA) − 0.5 GiB CUDA context −
3% for fragmentation. The allocator's reserved-but-unallocated cache (up to 5 GiB in the measurements) is not
subtracted: the allocator frees it and retries before it raises out-of-memory.
"""

from __future__ import annotations

from estimator.activations import (
    final_norm_bytes_per_token,
    loss_bytes_per_token,
    saved_bytes_per_token,
    working_set_bytes_per_token,
)
from estimator.models import GPU, Assumption, Checkpointing, Frozen, Method, MlpType, ModelArch, TrainingRun
from estimator.params import count_params, kv_width, q_width, routed_expert_params
from estimator.precision import NF4_BYTES_PER_PARAM, StateRecipe, adapter_recipe, state_recipe

GIB = 1 << 30
MIB = 1 << 20
WORKSPACE_BYTES = 68 * MIB
CUDA_CONTEXT_BYTES = GIB // 2
VISIBLE_FRACTION = 79.18 / 80.0
FRAGMENTATION_FRACTION = 0.03
LOSS_BYTES = 12.0  # per vocab entry per token, at the start of backward (activations.loss_bytes_per_token)
FORWARD_LOSS_BYTES = 10.0  # end of forward: bf16 logits 2V + fp32 upcast 4V + log_softmax output 4V
UNIFIED_MEMORY_GPU_FRACTION = 0.75  # macOS lets the GPU wire about 3/4 of unified memory by default


class MemoryBreakdown(Frozen):
    """Bytes per GPU at the moment of the step that sets the peak; the components sum to `peak_bytes`."""

    weights_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    activations_bytes: int
    logits_bytes: int
    overhead_bytes: int
    peak_bytes: int
    peak_phase: str
    capacity_bytes: int
    usable_bytes: int
    fits: bool
    headroom_bytes: int
    assumptions: tuple[Assumption, ...]


def allocator_block_bytes(nbytes: int) -> int:
    """Bytes the PyTorch caching allocator accounts for one tensor of `nbytes` (see module docstring)."""
    rounded = max(512, -(-nbytes // 512) * 512)
    if rounded < 10 * MIB:
        return rounded
    segment = -(-rounded // (2 * MIB)) * (2 * MIB)
    return rounded if segment - rounded > MIB else segment


def _matrices(arch: ModelArch) -> list[tuple[int, int, int]]:
    """(rows, cols, count) of the model's large weight tensors (for allocator rounding and factored states)."""
    h, qw, kw, layers = arch.hidden_size, q_width(arch), kv_width(arch), arch.num_layers
    out = [(arch.vocab_size, arch.word_embed_proj_dim or h, 1 if arch.tie_word_embeddings else 2)]
    out += [(qw + 2 * kw, h, layers)] if arch.fused_qkv else [(qw, h, layers), (kw, h, 2 * layers)]
    out.append((h, qw, layers))
    mats = 3 if arch.mlp_type == MlpType.GATED else 2
    dense_layers = layers - (layers - arch.first_dense_layers if arch.num_experts else 0)
    out.append((arch.intermediate_size, h, mats * dense_layers))
    if arch.num_experts:
        width = arch.moe_intermediate_size or arch.intermediate_size
        moe = layers - arch.first_dense_layers
        out.append((width, h, mats * moe * arch.num_experts))
        if arch.shared_expert_intermediate_size:
            out.append((arch.shared_expert_intermediate_size, h, mats * moe))
    return out


def _rounding_bytes(arch: ModelArch, bytes_per_element: float, copies: int) -> int:
    """Extra bytes the allocator accounts for `copies` per-tensor buffers of every weight matrix."""
    extra = 0
    for rows, cols, count in _matrices(arch):
        nbytes = int(rows * cols * bytes_per_element)
        extra += (allocator_block_bytes(nbytes) - nbytes) * count
    return extra * copies


def _factored_bytes(arch: ModelArch, master_bytes: int) -> float:
    """Adafactor's factored second moment: (rows + cols) per matrix in the master dtype."""
    return float(sum((rows + cols) * count * master_bytes for rows, cols, count in _matrices(arch)))


def _state(arch: ModelArch, run: TrainingRun) -> tuple[float, float, float, float, int]:
    """(weights, autocast copies, gradients, optimizer states, allocator rounding) bytes per GPU. Expert parallelism
    (e ranks) keeps 1/e of the routed experts on each GPU; where ZeRO already shards a state over the d·c ≥ e ranks
    the experts' share is the same 1/(d·c) (Megatron-Core's expert data-parallel group, d·c/e ranks of e experts)."""
    counts = count_params(arch, run.method, run.lora)
    par = run.parallelism
    model_split = par.tensor * par.pipeline
    dp = par.gradient_ranks  # context-parallel ranks hold the same parameters, so ZeRO shards over d·c
    w_div, g_div, s_div = (dp if par.zero_stage >= k else 1 for k in (3, 2, 1))
    experts = float(routed_expert_params(arch)) if par.expert > 1 else 0.0

    def per_gpu(total: float, expert_part: float, div: int) -> float:
        return ((total - expert_part) / div + expert_part / max(div, par.expert)) / model_split

    embeddings = counts.embedding + counts.position
    matmul_params = counts.base - embeddings - counts.norms
    if run.method == Method.FULL:
        rec = state_recipe(run.precision, run.optimizer)
        trainable = float(counts.base)
        frozen = 0.0
        trainable_experts, frozen_experts = experts, 0.0
    else:
        rec = adapter_recipe(run.optimizer)
        trainable = float(counts.lora)
        linear = counts.attention + counts.mlp
        per_frozen = NF4_BYTES_PER_PARAM if run.method == Method.QLORA else 2.0
        frozen = linear * per_frozen + (counts.base - linear) * 2.0
        trainable_experts, frozen_experts = 0.0, experts * per_frozen
    states = _factored_bytes(arch, rec.master_bytes) if rec.factored and run.method == Method.FULL else 0.0
    states += rec.optimizer_bytes * trainable
    weights = per_gpu(
        frozen + rec.master_bytes * trainable, frozen_experts + rec.master_bytes * trainable_experts, w_div
    )
    copied = matmul_params if run.method == Method.FULL else trainable
    copies = per_gpu(rec.copy_bytes * copied, rec.copy_bytes * trainable_experts, 1)
    copies = 0.0 if par.zero_stage >= 3 else copies  # FSDP gathers low-precision layers one at a time
    grads = per_gpu(rec.grad_bytes * trainable, rec.grad_bytes * trainable_experts, g_div)
    expert_states = states * trainable_experts / trainable if trainable else 0.0
    rounding = _state_rounding(arch, run, rec) if model_split == 1 and par.expert == 1 else 0
    return weights, copies, grads, per_gpu(states, expert_states, s_div), rounding


def _state_rounding(arch: ModelArch, run: TrainingRun, rec: StateRecipe) -> int:
    """Allocator rounding of per-tensor buffers that ZeRO has not flattened and partitioned."""
    stage = run.parallelism.zero_stage if run.parallelism.data > 1 else 0
    if run.method != Method.FULL:
        frozen = NF4_BYTES_PER_PARAM if run.method == Method.QLORA else 2.0
        return _rounding_bytes(arch, frozen, 1)
    states = 0 if rec.factored else round(rec.optimizer_bytes / rec.master_bytes)
    buffers = (1 if stage < 3 else 0) + (1 if stage < 2 else 0) + (states if stage < 1 else 0)
    return _rounding_bytes(arch, rec.master_bytes, buffers)


def _zero3_buffers(arch: ModelArch, run: TrainingRun) -> float:
    """ZeRO-3/FSDP gathers a layer's parameters (and reduces its gradients) in bf16; two layers in flight."""
    if run.parallelism.zero_stage < 3 or run.parallelism.gradient_ranks == 1:
        return 0.0
    per_layer = count_params(arch).base / arch.num_layers
    return 2 * 2 * 2.0 * per_layer / (run.parallelism.tensor * run.parallelism.pipeline)


def usable_bytes(gpu: GPU) -> int:
    """Memory a training process can allocate on `gpu` (module docstring)."""
    if gpu.unified_memory:
        return int(gpu.memory_bytes * UNIFIED_MEMORY_GPU_FRACTION)
    visible = gpu.memory_bytes * VISIBLE_FRACTION
    return int(visible * (1 - FRAGMENTATION_FRACTION) - CUDA_CONTEXT_BYTES)


def micro_batch_tokens(run: TrainingRun) -> int:
    return run.micro_batch * run.seq_len


def first_stage_activation_factor(stages: int, chunks: int, micro_batches: int) -> float:
    """The first pipeline stage's saved activations in units of the whole model's (L layers) for one micro-batch:
    min(m, p)/p · (1 + (p−1)/(p·v)) (module docstring; v = 1 is plain 1F1B)."""
    in_flight = min(micro_batches, stages) / stages
    return in_flight * (1.0 + (stages - 1) / (stages * chunks)) if chunks > 1 else in_flight


def accumulation_steps(run: TrainingRun) -> int:
    """Micro-batches per optimizer step on one data-parallel rank (≥ 1)."""
    if run.global_batch is None:
        return 1
    return max(1, -(-run.global_batch // (run.micro_batch * run.parallelism.data)))


def training_memory(arch: ModelArch, run: TrainingRun, gpu: GPU) -> MemoryBreakdown:
    """Peak bytes per GPU of one training step of `run` on `arch`, and whether it fits `gpu` (module docstring)."""
    par = run.parallelism
    weights, copies, grads, states, rounding = _state(arch, run)
    overhead = WORKSPACE_BYTES + rounding + _zero3_buffers(arch, run)
    tokens = micro_batch_tokens(run) / par.tensor / par.context  # context parallel: s/c tokens per GPU
    saved = saved_bytes_per_token(arch, run)
    acc_grads = grads if accumulation_steps(run) > 1 else 0.0
    head = final_norm_bytes_per_token(arch, run)
    loss = loss_bytes_per_token(arch)
    loss_acts, loss_logits = saved + head, loss
    if par.pipeline > 1:  # first stage: up to L layers' worth of activations (× the interleaving penalty); last stage:
        # L/p layers + head + loss
        last_acts = saved / par.pipeline + head
        first_acts = saved * first_stage_activation_factor(par.pipeline, par.virtual_stages, accumulation_steps(run))
        loss_acts, loss_logits = (first_acts, 0.0) if first_acts > last_acts + loss else (last_acts, loss)
    first_share = 1.0 / arch.num_layers + (count_params(arch).embedding / max(count_params(arch).base, 1))
    # Autocast caches a low-precision copy of every matmul weight until its context exits after the forward; from the
    # backward on, only the copies autograd saved survive: all of them, or with full checkpointing the head's only.
    head_copy = copies * count_params(arch).head / max(count_params(arch).base, 1)
    saved_copies = head_copy if run.checkpointing == Checkpointing.FULL else copies
    forward_logits = loss_logits * FORWARD_LOSS_BYTES / LOSS_BYTES
    phases = {
        "end of forward": (weights + copies, acc_grads, tokens * loss_acts, tokens * forward_logits),
        "start of backward": (weights + saved_copies, acc_grads, tokens * loss_acts, tokens * loss_logits),
        "backward of the first layer": (
            weights,
            grads * (1 - min(first_share, 1.0)),
            tokens * working_set_bytes_per_token(arch, run),
            0.0,
        ),
        "end of backward / optimizer step": (weights, grads, tokens * _embedding_backward_bytes(arch, tokens), 0.0),
    }
    totals = {name: w + g + states + a + lg + overhead for name, (w, g, a, lg) in phases.items()}
    phase = max(totals, key=lambda name: totals[name])
    w, g, a, lg = phases[phase]
    peak = int(totals[phase])
    usable = usable_bytes(gpu)
    return MemoryBreakdown(
        weights_bytes=int(w),
        gradients_bytes=int(g),
        optimizer_bytes=int(states),
        activations_bytes=int(a),
        logits_bytes=int(lg),
        overhead_bytes=peak - int(w) - int(g) - int(states) - int(a) - int(lg),
        peak_bytes=peak,
        peak_phase=phase,
        capacity_bytes=gpu.memory_bytes,
        usable_bytes=usable,
        fits=peak <= usable,
        headroom_bytes=usable - peak,
        assumptions=memory_assumptions(run),
    )


def _embedding_backward_bytes(arch: ModelArch, tokens: float) -> float:
    """Per token at the embedding's backward: the incoming bf16 gradient (2h) and, above 3072 tokens, PyTorch's
    sort-based kernel's fp32 per-segment partial sums (4h)."""
    return (6.0 if tokens > 3072 else 2.0) * arch.hidden_size


def memory_assumptions(run: TrainingRun) -> tuple[Assumption, ...]:
    rec = state_recipe(run.precision, run.optimizer) if run.method == Method.FULL else adapter_recipe(run.optimizer)
    par = run.parallelism
    return (
        Assumption(
            name="bytes per trainable parameter",
            value=(
                f"{rec.master_bytes} weights + {rec.grad_bytes} grads + {rec.optimizer_bytes:g} {run.optimizer} states"
                f"{f' + {rec.copy_bytes} autocast copy' if rec.copy_bytes else ''}"
            ),
            why="exact per recipe (ZeRO paper §3.1); matches torch.cuda.memory_allocated on an H100",
        ),
        Assumption(
            name="sharding",
            value=f"ZeRO stage {par.zero_stage} over dp={par.data}, tp={par.tensor}, pp={par.pipeline}"
            + (f", ep={par.expert} (1/ep of the routed experts per GPU)" if par.expert > 1 else ""),
            why="ZeRO §5 partitions states/grads/weights over dp; TP+SP and PP divide per Korthikanti et al. 2022",
        ),
        Assumption(
            name="activations",
            value=f"Hugging Face eager layer with SDPA attention, checkpointing={run.checkpointing}",
            why="counted tensor by tensor (no s² term with flash attention); measured ±1% on an H100",
        ),
        Assumption(
            name="loss buffer",
            value="12 bytes × vocab per token (fp32 logits upcast by the HF loss)",
            why="can dominate the peak of small models with large vocabularies",
        ),
        Assumption(
            name="usable memory",
            value=f"{VISIBLE_FRACTION:.4f} × capacity − 0.5 GiB CUDA context − {FRAGMENTATION_FRACTION:.0%} "
            "fragmentation",
            why="the caching allocator frees its cache and retries before it raises OOM",
        ),
    )
