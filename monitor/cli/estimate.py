"""`trainspend estimate`: one training run's parameters, memory, time and cost across providers.

Shared with `trainspend plan`: the model and run options, and turning bad input into one clear line and exit code 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from estimator.catalog.gpus import gpu as catalog_gpu
from estimator.catalog.offers import all_offers
from estimator.catalog.presets import preset
from estimator.config import arch_from_hf_config
from estimator.cost import break_even_hours_at, onprem_offer, with_reserved
from estimator.errors import EstimatorError, InvalidConfigError, UnknownModelError
from estimator.estimate import Estimate, estimate
from estimator.models import (
    Checkpointing,
    Hardware,
    LoraConfig,
    Method,
    ModelArch,
    Offer,
    OnPremTCO,
    Optimizer,
    Parallelism,
    Precision,
    TrainingRun,
)

# Field names of the estimator's errors and pydantic locations → the flag a user typed.
FLAGS = {
    "tokens": "--tokens",
    "seq_len": "--seq-len",
    "micro_batch": "--micro-batch",
    "global_batch": "--global-batch",
    "mfu": "--mfu",
    "gpu": "--gpu",
    "gpus": "--gpus",
    "zero_stage": "--zero-stage",
    "tensor": "--tensor-parallel",
    "pipeline": "--pipeline-parallel",
    "data": "--gpus",
    "count": "--gpus",
    "rank": "--lora-rank",
    "lora": "--lora-rank",
    "name": "--model",
    "model": "--model",
    "purchase_usd": "--onprem-purchase-usd",
    "watts": "--onprem-watts",
    "amortisation_years": "--onprem-years",
    "usd_per_kwh": "--usd-per-kwh",
    "utilisation": "--onprem-utilisation",
    "deadline_hours": "--deadline-hours",
    "budget_usd": "--budget-usd",
}
GIB = 1 << 30

ModelOpt = Annotated[str | None, typer.Option("--model", help="preset name, e.g. llama-3-8b")]
ModelConfigOpt = Annotated[Path | None, typer.Option("--model-config", help="a Hugging Face config.json")]
TokensOpt = Annotated[float | None, typer.Option("--tokens", help="total training tokens, e.g. 2e9")]
DatasetTokensOpt = Annotated[float | None, typer.Option("--dataset-tokens", help="tokens per epoch (with --epochs)")]
EpochsOpt = Annotated[float, typer.Option("--epochs", help="passes over --dataset-tokens")]
SeqLenOpt = Annotated[int, typer.Option("--seq-len", help="tokens per sequence")]
MicroBatchOpt = Annotated[int, typer.Option("--micro-batch", help="sequences per GPU per forward/backward")]
GlobalBatchOpt = Annotated[int | None, typer.Option("--global-batch", help="sequences per optimizer step")]
MethodOpt = Annotated[Method, typer.Option("--method", help="full, lora or qlora")]
LoraRankOpt = Annotated[int, typer.Option("--lora-rank", help="LoRA rank r")]
PrecisionOpt = Annotated[Precision, typer.Option("--precision", help="training precision recipe")]
OptimizerOpt = Annotated[Optimizer, typer.Option("--optimizer")]
CheckpointingOpt = Annotated[Checkpointing, typer.Option("--grad-checkpointing", help="activation recomputation")]
TensorOpt = Annotated[int, typer.Option("--tensor-parallel", help="tensor-parallel degree")]
PipelineOpt = Annotated[int, typer.Option("--pipeline-parallel", help="pipeline-parallel degree")]
MfuOpt = Annotated[float | None, typer.Option("--mfu", help="override the modelled MFU (0-1)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output (a stable contract)")]
ProviderOpt = Annotated[list[str] | None, typer.Option("--provider", help="only these providers (repeatable)")]


def fail(message: str) -> NoReturn:
    """One line on stderr and exit code 2: bad input is the user's to fix, not a crash."""
    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(2)


def explain(error: EstimatorError, model_config: Path | None = None) -> str:
    """The error as the user typed it: the flag (or config key), the value, and the fix."""
    if isinstance(error, InvalidConfigError) and model_config is not None:
        return f"--model-config {model_config}: key {error.field!r} = {error.value!r}: {error.fix}"
    if isinstance(error, UnknownModelError):
        return f"--model {error.value!r}: {error.fix}"
    flag = FLAGS.get(error.field.split(".")[-1], error.field)
    return f"{flag} {error.value!r}: {error.fix}"


def explain_validation(error: ValidationError) -> str:
    """A pydantic error on the run's values, named by flag."""
    first = error.errors()[0]
    loc = [str(part) for part in first["loc"]]
    flag = next((FLAGS[p] for p in reversed(loc) if p in FLAGS), ".".join(loc))
    return f"{flag} {first.get('input')!r}: {first['msg']}"


def load_arch(model: str | None, model_config: Path | None) -> ModelArch:
    """The model from a preset name or a Hugging Face config.json (exactly one of them)."""
    if (model is None) == (model_config is None):
        fail("give exactly one of --model NAME (e.g. --model llama-3-8b) or --model-config PATH/config.json")
    try:
        if model is not None:
            return preset(model)
        assert model_config is not None
        try:
            mapping = json.loads(model_config.read_text())
        except OSError as error:
            fail(f"--model-config {model_config}: cannot read it ({error.strerror}); pass a config.json path")
        except json.JSONDecodeError as error:
            fail(f"--model-config {model_config}: not valid JSON ({error.msg} at line {error.lineno})")
        if not isinstance(mapping, dict):
            fail(f"--model-config {model_config}: expected a JSON object of config keys")
        return arch_from_hf_config(mapping, name=model_config.parent.name or model_config.stem)
    except EstimatorError as error:
        fail(explain(error, model_config))


def build_run(
    *,
    tokens: float | None,
    dataset_tokens: float | None,
    epochs: float,
    seq_len: int,
    micro_batch: int,
    global_batch: int | None,
    method: Method,
    lora_rank: int,
    precision: Precision,
    optimizer: Optimizer,
    checkpointing: Checkpointing,
    zero_stage: int,
    tensor: int,
    pipeline: int,
    mfu: float | None,
) -> TrainingRun:
    """The TrainingRun of the flags; bad values end in `fail` naming the flag."""
    if (tokens is None) == (dataset_tokens is None):
        fail("give exactly one of --tokens N (e.g. --tokens 2e9) or --dataset-tokens N with --epochs E")
    total = tokens if tokens is not None else (dataset_tokens or 0.0) * epochs
    try:
        return TrainingRun(
            tokens=total,
            seq_len=seq_len,
            micro_batch=micro_batch,
            global_batch=global_batch,
            method=method,
            lora=LoraConfig(rank=lora_rank),
            precision=precision,
            optimizer=optimizer,
            checkpointing=checkpointing,
            parallelism=Parallelism(tensor=tensor, pipeline=pipeline, zero_stage=zero_stage),
            mfu=mfu,
        )
    except ValidationError as error:
        fail(explain_validation(error))


def human_bytes(value: float) -> str:
    return f"{value / GIB:,.1f} GiB"


def human_count(value: float) -> str:
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:,.2f} {unit}"
    return f"{value:,.0f}"


def _offers(provider: list[str] | None, tco: OnPremTCO | None, gpu_id: str, gpus: int) -> tuple[Offer, ...]:
    offers = with_reserved(all_offers())
    if provider:
        wanted = {p.lower() for p in provider}
        offers = tuple(o for o in offers if o.provider.lower() in wanted)
    if tco is not None:
        offers = (*offers, onprem_offer(tco, gpu_id, gpus))
    return offers


def print_estimate(result: Estimate, console: Console, tco: OnPremTCO | None = None) -> None:
    """The estimate as terminal tables: model, memory per GPU, time, then cost per offer (cheapest first)."""
    summary = Table(title=f"{result.model} on {result.gpus}x {result.gpu}, {human_count(result.tokens)} tokens")
    summary.add_column("quantity")
    summary.add_column("value", justify="right")
    summary.add_row(
        "parameters (total / active)", f"{human_count(result.params.total)} / {human_count(result.params.active)}"
    )
    summary.add_row("trainable parameters", f"{result.params.trainable:,}")
    summary.add_row(
        "training FLOPs (6·N·D beside)", f"{result.flops.total_flops:.3g} ({result.flops.six_nd_flops:.3g})"
    )
    for name, value in result.memory.breakdown.items():
        summary.add_row(f"memory/GPU: {name}", human_bytes(value))
    fits = "[green]fits[/]" if result.memory.fits else "[bold red]does NOT fit[/]"
    summary.add_row(
        "memory/GPU: peak",
        f"{human_bytes(result.memory.per_gpu_peak_bytes)} of {human_bytes(result.memory.gpu_memory_bytes)} — {fits}",
    )
    summary.add_row("step time", f"{result.time.step_seconds:.3f} s")
    summary.add_row("throughput", f"{result.time.tokens_per_second:,.0f} tokens/s")
    summary.add_row("MFU", f"{result.time.mfu:.1%}")
    summary.add_row("wall time / GPU-hours", f"{result.time.total_hours:,.1f} h / {result.time.gpu_hours:,.1f}")
    console.print(summary)
    if not result.memory.fits:
        console.print(
            "[yellow]Does not fit: try --zero-stage 3, --grad-checkpointing full, more --gpus, a smaller "
            "--micro-batch, or `trainspend plan` to search for hardware that fits.[/]"
        )

    cost = Table(title=f"Cost on {result.gpu} offers (cheapest first)")
    for column in ("provider", "instance", "capacity", "instances", "$/hour", "total $", "price as of", "note"):
        cost.add_column(column, justify="right" if column in ("instances", "$/hour", "total $") else "left")
    cloud = [line for line in result.cost if line.provider != "on-prem"]
    for line in result.cost:
        note = "estimate" if line.price_is_estimate else ""
        if line.provider == "on-prem" and tco is not None and cloud:
            cheapest = min(cloud, key=lambda x: x.usd_per_hour / x.gpus_billed)
            hours = break_even_hours_at(tco, result.gpus, cheapest.usd_per_hour / cheapest.gpus_billed)
            note = f"break-even vs {cheapest.provider} {cheapest.capacity_type.value}: " + (
                "never" if hours is None else f"{hours:,.0f} h"
            )
        cost.add_row(
            line.provider,
            line.instance,
            line.capacity_type.value,
            str(line.instances),
            f"{line.usd_per_hour:,.2f}",
            f"{line.total_usd:,.2f}",
            str(line.price_as_of or "—"),
            note,
        )
    if not result.cost:
        console.print(f"[yellow]No embedded offer for {result.gpu}; try --gpu H100-SXM or A100-SXM-80GB.[/]")
    else:
        console.print(cost)
    console.print("[dim]Assumptions: " + "; ".join(f"{a.name}={a.value}" for a in result.assumptions) + "[/]")


def estimate_command(
    model: ModelOpt = None,
    model_config: ModelConfigOpt = None,
    tokens: TokensOpt = None,
    dataset_tokens: DatasetTokensOpt = None,
    epochs: EpochsOpt = 1.0,
    seq_len: SeqLenOpt = 2048,
    micro_batch: MicroBatchOpt = 1,
    global_batch: GlobalBatchOpt = None,
    gpu: Annotated[
        str, typer.Option("--gpu", help="catalog GPU id or alias, e.g. H100-SXM, A100-SXM-80GB")
    ] = "H100-SXM",
    gpus: Annotated[int, typer.Option("--gpus", help="number of GPUs")] = 1,
    method: MethodOpt = Method.FULL,
    lora_rank: LoraRankOpt = 16,
    precision: PrecisionOpt = Precision.BF16,
    optimizer: OptimizerOpt = Optimizer.ADAMW,
    grad_checkpointing: CheckpointingOpt = Checkpointing.NONE,
    zero_stage: Annotated[int, typer.Option("--zero-stage", help="ZeRO stage 0-3 (3 = FSDP full shard)")] = 0,
    tensor_parallel: TensorOpt = 1,
    pipeline_parallel: PipelineOpt = 1,
    mfu: MfuOpt = None,
    provider: ProviderOpt = None,
    onprem_purchase_usd: Annotated[
        float | None, typer.Option(help="price of owned GPUs, to add an on-prem line")
    ] = None,
    onprem_watts: Annotated[float | None, typer.Option(help="power draw of the owned GPUs")] = None,
    onprem_years: Annotated[float, typer.Option(help="amortisation years")] = 3.0,
    usd_per_kwh: Annotated[float, typer.Option(help="electricity price")] = 0.15,
    onprem_utilisation: Annotated[float, typer.Option(help="share of hours the owned GPUs are busy")] = 1.0,
    as_json: JsonOpt = False,
) -> None:
    """Estimate one training run: parameters, memory per GPU, time, and cost on every provider's offers."""
    arch = load_arch(model, model_config)
    run = build_run(
        tokens=tokens,
        dataset_tokens=dataset_tokens,
        epochs=epochs,
        seq_len=seq_len,
        micro_batch=micro_batch,
        global_batch=global_batch,
        method=method,
        lora_rank=lora_rank,
        precision=precision,
        optimizer=optimizer,
        checkpointing=grad_checkpointing,
        zero_stage=zero_stage,
        tensor=tensor_parallel,
        pipeline=pipeline_parallel,
        mfu=mfu,
    )
    tco = None
    try:
        hardware = Hardware(gpu=catalog_gpu(gpu), count=gpus)
        if onprem_purchase_usd is not None or onprem_watts is not None:
            if onprem_purchase_usd is None or onprem_watts is None:
                fail("--onprem-purchase-usd and --onprem-watts go together; give both to add an on-prem line")
            tco = OnPremTCO(
                purchase_usd=onprem_purchase_usd,
                watts=onprem_watts,
                amortisation_years=onprem_years,
                usd_per_kwh=usd_per_kwh,
                utilisation=onprem_utilisation,
            )
        result = estimate(arch, run, hardware, _offers(provider, tco, hardware.gpu.id, gpus))
    except EstimatorError as error:
        fail(explain(error, model_config))
    except ValidationError as error:
        fail(explain_validation(error))
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), indent=2))
    else:
        print_estimate(result, Console(), tco)


def register(app: typer.Typer) -> None:
    """Adds `trainspend estimate`."""
    app.command("estimate")(estimate_command)
