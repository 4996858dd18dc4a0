"""Bytes per parameter of each training recipe: weights, low-precision copies, gradients and optimizer states.

Static training state is exact bytes per parameter, not a rule of thumb (ZeRO, Rajbhandari et al. 2019,
arXiv:1910.02054 §3.1: mixed-precision Adam holds 2 + 2 + 12 = 16 bytes per parameter). Per trainable parameter:

    recipe     weights  grads  AdamW states  between steps  end of backward  copies during the step
    bf16       2        2      2·2 = 4       6              8                none
    fp32-amp   4        4      2·4 = 8       12             16               2 (bf16 autocast cache)
    fp16-amp   4        4      8             12             16               2 (fp16 autocast cache)
    fp8        2        2      2·2 = 4       6              8                2 (fp8 weight + its transpose)

8-bit Adam (Dettmers et al. 2021, arXiv:2110.02861) keeps both states in one byte each (block-wise absmax
constants add < 1%); SGD with momentum keeps one state in the master dtype; Adafactor (Shazeer & Stern 2018,
arXiv:1804.04235) keeps factored second moments, rows + cols per matrix, in the master dtype, and no momentum.
`between steps` and `end of backward` of the pure-bf16 and fp32-amp rows are what `torch.cuda.memory_allocated`
showed on an H100 (6.0 and 8.0, 12.0 and 16.0 bytes/param plus allocator rounding).

fp8 is Transformer Engine's recipe (NVIDIA TE user guide, "Using FP8 with Transformer Engine"): the model keeps its
parameters, gradients and optimizer in their own dtype — here bf16, as the `bf16` row — and every Linear casts its
weight to fp8 once per step (is_first_microbatch), keeping the fp8 weight and its transpose (Hopper's fp8 GEMMs need
both layouts) for the backward. Linear inputs are saved in fp8 (`estimator.activations`). Attention and the output head
stay bf16. For fp32 master weights use `fp32-amp` (its fp8 speed-up is then not modelled).

Support: fp8 needs fp8 tensor cores (Hopper, Ada and newer: a catalog fp8 TFLOP/s figure); bf16 needs bf16 tensor
cores (Ampere and newer) — on Turing/Volta (T4, V100) train with `fp16-amp` (fp16 autocast + loss scaling).

Frozen base weights of LoRA are bf16 (2 bytes); QLoRA stores Linear weights as NF4 with double quantisation:
4 bits + one 8-bit absmax per 64-weight block + one fp32 constant per 256 blocks = 0.5 + 1/64 + 4/16384 bytes
(Dettmers et al. 2023, arXiv:2305.14314 §3); embeddings, norms and the output head stay bf16.
"""

from __future__ import annotations

from estimator.errors import InvalidRunError
from estimator.models import GPU, Assumption, Frozen, Optimizer, Precision, TrainingRun

NF4_BYTES_PER_PARAM = 0.5 + 1 / 64 + 4 / (64 * 256)
BF16_BYTES = 2
FP8_COPY_BYTES = 2  # fp8 weight and its transpose, per matmul weight
_BF16_RECIPES = (Precision.BF16, Precision.FP32_AMP)
FP32_BYTES = 4


class StateRecipe(Frozen):
    """Bytes per trainable parameter of one precision recipe and optimizer.

    `optimizer_bytes` is 0 for Adafactor, whose factored state depends on matrix shapes (see `factored`).
    """

    precision: Precision
    optimizer: Optimizer
    master_bytes: int  # persistent weights
    copy_bytes: int  # low-precision copy of each matmul weight alive during the step (autocast cache)
    grad_bytes: int
    optimizer_bytes: float
    factored: bool  # Adafactor: (rows + cols) · master_bytes per matrix instead of per-parameter states
    autocast: bool  # activations are produced under torch.autocast (fp32 residual stream)

    @property
    def between_steps_bytes(self) -> float:
        return self.master_bytes + self.optimizer_bytes

    @property
    def end_of_backward_bytes(self) -> float:
        return self.master_bytes + self.grad_bytes + self.optimizer_bytes


def _optimizer_bytes(optimizer: Optimizer, master_bytes: int) -> float:
    if optimizer == Optimizer.ADAMW:
        return 2.0 * master_bytes  # exp_avg and exp_avg_sq in the master dtype
    if optimizer == Optimizer.ADAMW_8BIT:
        return 2.0  # two uint8 states (absmax constants per 2048-element block are < 0.2%)
    if optimizer == Optimizer.SGD:
        return float(master_bytes)  # momentum buffer
    return 0.0  # Adafactor: factored, computed from shapes


def state_recipe(precision: Precision, optimizer: Optimizer) -> StateRecipe:
    """The bytes per trainable parameter of `precision` with `optimizer` (table in the module docstring)."""
    if precision == Precision.BF16:
        master, copy, grad, autocast = BF16_BYTES, 0, BF16_BYTES, False
    elif precision == Precision.FP8:
        master, copy, grad, autocast = BF16_BYTES, FP8_COPY_BYTES, BF16_BYTES, False
    else:  # fp32 master weights + bf16/fp16 autocast
        master, copy, grad, autocast = FP32_BYTES, BF16_BYTES, FP32_BYTES, True
    return StateRecipe(
        precision=precision,
        optimizer=optimizer,
        master_bytes=master,
        copy_bytes=copy,
        grad_bytes=grad,
        optimizer_bytes=_optimizer_bytes(optimizer, master),
        factored=optimizer == Optimizer.ADAFACTOR,
        autocast=autocast,
    )


def adapter_recipe(optimizer: Optimizer) -> StateRecipe:
    """LoRA/QLoRA adapters: fp32 weights, fp32 gradients and optimizer states, trained under bf16 autocast (peft)."""
    return StateRecipe(
        precision=Precision.FP32_AMP,
        optimizer=optimizer,
        master_bytes=FP32_BYTES,
        copy_bytes=BF16_BYTES,
        grad_bytes=FP32_BYTES,
        optimizer_bytes=_optimizer_bytes(optimizer, FP32_BYTES),
        factored=optimizer == Optimizer.ADAFACTOR,
        autocast=True,
    )


def check_precision(precision: Precision, gpu: GPU) -> None:
    """Raises InvalidRunError (field `precision`) when `gpu` cannot run `precision` (module docstring, Support)."""
    if precision == Precision.FP8 and not gpu.fp8_tflops:
        raise InvalidRunError(
            "precision",
            precision.value,
            f"{gpu.id} has no fp8 TFLOP/s in the catalog (GPUs before Hopper/Ada, e.g. A100, V100, T4, A10, have no "
            "fp8 tensor cores); use --precision bf16, or an fp8 GPU such as H100-SXM, H200-SXM, L40S or L4",
        )
    if precision in _BF16_RECIPES and gpu.bf16_tflops is None and gpu.fp16_tflops:
        raise InvalidRunError(
            "precision",
            precision.value,
            f"{gpu.id} has no bf16 tensor cores (Turing/Volta); use --precision fp16-amp (fp16 autocast with loss "
            "scaling), or a bf16 GPU (A100, L4, A10, H100...)",
        )


def precision_for_gpu(run: TrainingRun, gpu: GPU) -> TrainingRun:
    """The run a planner prices on `gpu`: bf16 recipes become fp16-amp where the GPU has fp16 but no bf16 (T4, V100)."""
    if run.precision in _BF16_RECIPES and gpu.bf16_tflops is None and gpu.fp16_tflops:
        return run.model_copy(update={"precision": Precision.FP16_AMP})
    return run


def precision_assumptions(run: TrainingRun, gpus: tuple[GPU, ...]) -> tuple[Assumption, ...]:
    """The planner's switch to fp16-amp on GPUs without bf16 (`precision_for_gpu`), as an assumption (or none)."""
    switched = [g.id for g in gpus if precision_for_gpu(run, g).precision != run.precision]
    if not switched:
        return ()
    return (
        Assumption(
            name="precision",
            value=f"fp16-amp instead of {run.precision.value} on {', '.join(switched)}",
            why="these GPUs have no bf16 tensor cores (Turing/Volta); they train with fp16 autocast and loss scaling",
        ),
    )
