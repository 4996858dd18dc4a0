"""`trainspend plan`: the cheapest GPU, count, sharding and offer that fit in memory, the deadline and the budget."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from estimator.catalog.gpus import all_gpus
from estimator.catalog.gpus import gpu as catalog_gpu
from estimator.catalog.offers import all_offers
from estimator.cost import with_reserved
from estimator.errors import EstimatorError
from estimator.models import CapacityType, Checkpointing, Method, Optimizer, Precision
from estimator.plan import Candidate, Plan, PlanConstraints, plan
from monitor.cli.estimate import (
    CheckpointingOpt,
    DatasetTokensOpt,
    EpochsOpt,
    GlobalBatchOpt,
    JsonOpt,
    LoraRankOpt,
    MethodOpt,
    MfuOpt,
    MicroBatchOpt,
    ModelConfigOpt,
    ModelOpt,
    OptimizerOpt,
    PipelineOpt,
    PrecisionOpt,
    ProviderOpt,
    SeqLenOpt,
    TensorOpt,
    TokensOpt,
    build_run,
    explain,
    explain_validation,
    fail,
    human_bytes,
    load_arch,
)


def _row(candidate: Candidate) -> list[str]:
    return [
        candidate.gpu_id,
        str(candidate.gpus),
        str(candidate.zero_stage),
        candidate.provider or "—",
        candidate.instance or "—",
        candidate.capacity_type.value if candidate.capacity_type else "—",
        "—" if candidate.hours is None else f"{candidate.hours:,.1f}",
        "—" if candidate.total_usd is None else f"{candidate.total_usd:,.2f}",
        str(candidate.price_as_of or "—"),
        "—" if candidate.per_gpu_peak_bytes is None else human_bytes(candidate.per_gpu_peak_bytes),
    ]


def print_plan(result: Plan, console: Console, top: int, show_rejected: bool) -> None:
    """The accepted candidates (cheapest first), and the rejected ones with why when asked."""
    columns = ("GPU", "GPUs", "ZeRO", "provider", "instance", "capacity", "hours", "total $", "price as of", "peak/GPU")
    table = Table(title=f"Cheapest {min(top, len(result.accepted))} of {len(result.accepted)} plans that fit")
    for column in columns:
        table.add_column(column, justify="right" if column in ("GPUs", "ZeRO", "hours", "total $") else "left")
    for candidate in result.accepted[:top]:
        table.add_row(*_row(candidate))
    if result.accepted:
        console.print(table)
    else:
        console.print(
            "[bold red]No candidate fits memory, deadline and budget.[/] Rerun with --show-rejected to see why."
        )
    if show_rejected:
        rejected = Table(title=f"Rejected ({len(result.rejected)})")
        for column in (*columns, "why"):
            rejected.add_column(column)
        for candidate in result.rejected:
            rejected.add_row(*_row(candidate), "; ".join(candidate.rejected_because))
        console.print(rejected)
    console.print(
        f"[dim]{result.layouts_considered} (GPU, count, ZeRO) layouts considered. Assumptions: "
        + "; ".join(f"{a.name}={a.value}" for a in result.assumptions)
        + "[/]"
    )


def plan_command(
    model: ModelOpt = None,
    model_config: ModelConfigOpt = None,
    tokens: TokensOpt = None,
    dataset_tokens: DatasetTokensOpt = None,
    epochs: EpochsOpt = 1.0,
    seq_len: SeqLenOpt = 2048,
    micro_batch: MicroBatchOpt = 1,
    global_batch: GlobalBatchOpt = None,
    method: MethodOpt = Method.FULL,
    lora_rank: LoraRankOpt = 16,
    precision: PrecisionOpt = Precision.BF16,
    optimizer: OptimizerOpt = Optimizer.ADAMW,
    grad_checkpointing: CheckpointingOpt = Checkpointing.NONE,
    tensor_parallel: TensorOpt = 1,
    pipeline_parallel: PipelineOpt = 1,
    mfu: MfuOpt = None,
    deadline_hours: Annotated[float | None, typer.Option("--deadline-hours", help="must finish within")] = None,
    budget_usd: Annotated[float | None, typer.Option("--budget-usd", help="must cost at most")] = None,
    gpu: Annotated[list[str] | None, typer.Option("--gpu", help="only these GPUs (repeatable)")] = None,
    max_gpus: Annotated[int, typer.Option("--max-gpus", help="largest GPU count to try")] = 64,
    capacity: Annotated[list[CapacityType] | None, typer.Option("--capacity", help="only these capacity types")] = None,
    provider: ProviderOpt = None,
    top: Annotated[int, typer.Option("--top", help="rows of the ranking to print")] = 15,
    show_rejected: Annotated[
        bool, typer.Option("--show-rejected", help="also list rejected candidates, with why")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Find the cheapest hardware and offer that fit in memory and finish by a deadline within a budget."""
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
        zero_stage=0,
        tensor=tensor_parallel,
        pipeline=pipeline_parallel,
        mfu=mfu,
    )
    if max_gpus < 1:
        fail(f"--max-gpus {max_gpus}: give at least 1")
    counts = tuple(n for n in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512) if n <= max_gpus)
    offers = with_reserved(all_offers())
    if provider:
        wanted = {p.lower() for p in provider}
        offers = tuple(o for o in offers if o.provider.lower() in wanted)
    try:
        gpu_ids = tuple(catalog_gpu(name).id for name in gpu) if gpu else None
        constraints = PlanConstraints(
            deadline_hours=deadline_hours,
            budget_usd=budget_usd,
            gpu_counts=counts,
            gpu_ids=gpu_ids,
            capacity_types=tuple(capacity) if capacity else None,
        )
        result = plan(arch, run, all_gpus(), offers, constraints)
    except EstimatorError as error:
        fail(explain(error, model_config))
    except ValidationError as error:
        fail(explain_validation(error))
    if as_json:
        payload = result.model_dump(mode="json")
        payload["rejected_count"] = len(result.rejected)
        if not show_rejected:
            payload["rejected"] = []
        typer.echo(json.dumps(payload, indent=2))
    else:
        print_plan(result, Console(), top, show_rejected)


def register(app: typer.Typer) -> None:
    """Adds `trainspend plan`."""
    app.command("plan")(plan_command)
