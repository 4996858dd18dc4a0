"""`trainspend plan`: the cheapest GPU, count, sharding and offer that fit in memory, the deadline and the budget."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from estimator.catalog.gpus import all_gpus
from estimator.catalog.gpus import gpu as catalog_gpu
from estimator.currency import Currency, ExchangeRate, amount_in, cfets_rate, rate_assumption
from estimator.errors import EstimatorError
from estimator.models import (
    DEFAULT_CHECKPOINTING,
    DEFAULT_LORA_RANK,
    DEFAULT_METHOD,
    DEFAULT_MICRO_BATCH,
    DEFAULT_OPTIMIZER,
    DEFAULT_PRECISION,
    DEFAULT_SEQ_LEN,
    AttentionKernel,
    CapacityType,
    LayerKernels,
)
from estimator.pareto import fold_gpu_counts, pareto_front
from estimator.plan import Candidate, Plan, PlanConstraints, plan, top_rejections
from monitor.cli.inputs import fail
from monitor.cli.planning.cost_table import SYMBOLS, money_table, multi_region_providers, offer_label
from monitor.cli.planning.estimate import (
    AttentionKernelOpt,
    CheckpointingOpt,
    CnyPerUsdOpt,
    ContextOpt,
    CurrencyOpt,
    DatasetTokensOpt,
    EpochsOpt,
    ExpertOpt,
    GlobalBatchOpt,
    JsonOpt,
    LayerKernelsOpt,
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
    VirtualStagesOpt,
    build_run,
    catalog_offers,
    explain,
    explain_validation,
    human_bytes,
    load_arch,
    resolve_currency,
)
from monitor.cli.planning.plan_chart import ChartError, check_chart_path, write_plan_chart


def _row(
    candidate: Candidate,
    currency: Currency,
    rate: ExchangeRate,
    regional: set[str],
    hidden: int = 0,
    folded: bool = False,
) -> list[str]:
    total = "—"
    if candidate.total_usd is not None:
        amount = amount_in(candidate.total_usd, candidate.native_total, candidate.currency, currency, rate)
        total = f"{amount.amount:,.2f}" + ("~" if candidate.price_is_estimate else " ")
    offer = "no offer"
    if candidate.provider is not None:
        capacity = candidate.capacity_type.value if candidate.capacity_type else ""
        offer = offer_label(
            candidate.provider, candidate.instance or "", candidate.region, capacity, candidate.provider in regional
        )
        if candidate.nodes and candidate.nodes > 1:
            offer += f" ×{candidate.nodes} nodes"
    zero = f" ZeRO-{candidate.zero_stage}" if candidate.zero_stage else ""
    return [
        f"{candidate.gpus}x {candidate.gpu_id}{zero} · {offer}",
        *([f"+{hidden}" if hidden else ""] if folded else []),
        "—" if candidate.hours is None else f"{candidate.hours:,.1f}",
        total,
        str(candidate.price_as_of or "—"),
        "—" if candidate.per_gpu_peak_bytes is None else human_bytes(candidate.per_gpu_peak_bytes),
    ]


def _table(title: str, symbol: str, folded: bool = False) -> Table:
    """One line per plan at 80 columns where the offer's name allows, two or three where it is long. The ZeRO stage
    is named only when above 0; `more` counts the rows of the same offer at other GPU counts folded into this one."""
    table = money_table(title)
    table.add_column("GPUs · offer", overflow="fold", min_width=20, ratio=1)
    if folded:
        table.add_column("more", justify="right", no_wrap=True)
    table.add_column("hours", justify="right", no_wrap=True)
    table.add_column(f"total {symbol}", justify="right", no_wrap=True)
    table.add_column("as of", no_wrap=True)
    table.add_column("peak/GPU", justify="right", no_wrap=True)
    return table


def print_plan(
    result: Plan,
    console: Console,
    top: int,
    show_rejected: bool,
    currency: Currency = Currency.USD,
    rate: ExchangeRate | None = None,
) -> None:
    """The Pareto front (fastest to cheapest), then the other accepted offers cheapest first with the rows that
    differ only by GPU count folded into one, and the rejected ones with why when asked."""
    rate = rate or cfets_rate()
    symbol = SYMBOLS[currency]
    regional = multi_region_providers(
        (c.provider, c.region) for c in (*result.accepted, *result.rejected) if c.provider
    )
    front = pareto_front(result.accepted)
    if front:
        table = _table(f"Pareto front: {len(front)} plans no other is both faster and cheaper than", symbol)
        for candidate in front:
            table.add_row(*_row(candidate, currency, rate, regional))
        console.print(table)
    on_front = {id(c) for c in front}
    folded = fold_gpu_counts(c for c in result.accepted if id(c) not in on_front)
    if folded:
        shown = min(top, len(folded))
        title = f"Cheapest {shown} of {len(folded)} other offers ({len(result.accepted)} plans fit in all)"
        table = _table(title, symbol, folded=True)
        for candidate, hidden in folded[:top]:
            table.add_row(*_row(candidate, currency, rate, regional, hidden, folded=True))
        console.print(table)
        console.print("more: rows of the same offer at other GPU counts, folded into this one", highlight=False)
    if any(c.price_is_estimate for c in result.accepted):
        console.print("~ estimated price (e.g. spot from typical savings): check it before you buy", highlight=False)
    if not result.accepted:
        console.print("[bold red]No candidate fits memory, deadline and budget.[/] The most common reasons:")
        for reason, count in top_rejections(result):
            console.print(f"  {count} × {reason}", highlight=False)
        console.print("Rerun with --show-rejected to see every candidate and why.")
    if show_rejected:
        rejected = _table(f"Rejected ({len(result.rejected)})", symbol)
        rejected.add_column("why", overflow="fold", ratio=3)
        for candidate in result.rejected:
            rejected.add_row(*_row(candidate, currency, rate, regional), "; ".join(candidate.rejected_because))
        console.print(rejected)
    assumptions = list(result.assumptions)
    if currency is not Currency.USD:
        assumptions.append(rate_assumption(rate, currency))
    console.print(
        f"[dim]{result.layouts_considered} (GPU, count, ZeRO) layouts considered. Assumptions: "
        + "; ".join(f"{a.name}={a.value}" for a in assumptions)
        + "[/]"
    )


def plan_command(
    model: ModelOpt = None,
    model_config: ModelConfigOpt = None,
    tokens: TokensOpt = None,
    dataset_tokens: DatasetTokensOpt = None,
    epochs: EpochsOpt = 1.0,
    seq_len: SeqLenOpt = DEFAULT_SEQ_LEN,
    micro_batch: MicroBatchOpt = DEFAULT_MICRO_BATCH,
    global_batch: GlobalBatchOpt = None,
    method: MethodOpt = DEFAULT_METHOD,
    lora_rank: LoraRankOpt = DEFAULT_LORA_RANK,
    precision: PrecisionOpt = DEFAULT_PRECISION,
    optimizer: OptimizerOpt = DEFAULT_OPTIMIZER,
    grad_checkpointing: CheckpointingOpt = DEFAULT_CHECKPOINTING,
    tensor_parallel: TensorOpt = 1,
    pipeline_parallel: PipelineOpt = 1,
    context_parallel: ContextOpt = 1,
    virtual_stages: VirtualStagesOpt = 1,
    expert_parallel: ExpertOpt = 1,
    layer_kernels: LayerKernelsOpt = LayerKernels.EAGER,
    attention_kernel: AttentionKernelOpt = AttentionKernel.FA2,
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
    currency: CurrencyOpt = "USD",
    cny_per_usd: CnyPerUsdOpt = None,
    as_json: JsonOpt = False,
    chart: Annotated[
        Path | None,
        typer.Option(
            "--chart", help="also write cost vs wall time, Pareto front marked, to FILE.svg, FILE.html or FILE.png"
        ),
    ] = None,
) -> None:
    """Find the cheapest hardware and offer that fit in memory and finish by a deadline within a budget.

    Exits 1 when no candidate fits, naming the most common reasons.
    """
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
        context=context_parallel,
        virtual_stages=virtual_stages,
        expert=expert_parallel,
        layer_kernels=layer_kernels,
        attention_kernel=attention_kernel,
    )
    if chart is not None:
        try:
            check_chart_path(chart)
        except ChartError as error:
            fail(f"--chart {chart}: {error}")
    if max_gpus < 1:
        fail(f"--max-gpus {max_gpus}: give at least 1")
    counts = tuple(n for n in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512) if n <= max_gpus)
    shown, rate = resolve_currency(currency, cny_per_usd)
    offers = catalog_offers(provider)
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
        typer.echo(json.dumps(plan_json(result, show_rejected, shown, rate), indent=2))
    else:
        print_plan(result, Console(), top, show_rejected, shown, rate)
    if chart is not None:
        try:
            write_plan_chart(result, chart)
        except OSError as error:
            fail(f"--chart {chart}: cannot write it ({error.strerror or error}); give a writable path")
    if not result.accepted:
        raise typer.Exit(1)


def plan_json(result: Plan, show_rejected: bool, currency: Currency, rate: ExchangeRate) -> dict[str, object]:
    """The --json payload: Plan's keys, `rejected_count`, `top_rejections`, and totals in the chosen currency."""
    payload: dict[str, object] = result.model_dump(mode="json")
    payload["rejected_count"] = len(result.rejected)
    payload["top_rejections"] = [{"reason": reason, "count": count} for reason, count in top_rejections(result)]
    accepted = payload["accepted"]
    assert isinstance(accepted, list)
    priced = [amount_in(c.total_usd or 0.0, c.native_total, c.currency, currency, rate) for c in result.accepted]
    payload["currency"] = currency.value
    for row, amount in zip(accepted, priced, strict=True):
        row["total"] = round(amount.amount, 2)
    if currency is not Currency.USD:
        assumptions = payload["assumptions"]
        assert isinstance(assumptions, list)
        assumptions.append(rate_assumption(rate, currency).model_dump(mode="json"))
    if not show_rejected:
        payload["rejected"] = []
    return payload


def register(app: typer.Typer) -> None:
    """Adds `trainspend plan`."""
    app.command("plan")(plan_command)
