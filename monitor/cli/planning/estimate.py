"""`trainspend estimate`: one training run's parameters, memory, time and cost across providers.

Shared with `trainspend plan`: the model and run options, and turning bad input into one clear line and exit code 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from estimator.catalog.gpus import gpu as catalog_gpu
from estimator.catalog.offers import embedded_offers
from estimator.catalog.presets import preset
from estimator.config import arch_from_hf_config
from estimator.cost import onprem_offer, with_reserved
from estimator.currency import (
    Currency,
    ExchangeRate,
    Money,
    cfets_rate,
    custom_rate,
    parse_currency,
    rate_assumption,
)
from estimator.errors import EstimatorError, InvalidConfigError, UnknownModelError
from estimator.estimate import Estimate, estimate
from estimator.layout_options import layout_options, parse_layout
from estimator.models import (
    DEFAULT_CHECKPOINTING,
    DEFAULT_LORA_RANK,
    DEFAULT_METHOD,
    DEFAULT_MICRO_BATCH,
    DEFAULT_OPTIMIZER,
    DEFAULT_PRECISION,
    DEFAULT_SEQ_LEN,
    AttentionKernel,
    Checkpointing,
    Hardware,
    LayerKernels,
    LoraConfig,
    Method,
    ModelArch,
    Offer,
    OnPremTCO,
    Optimizer,
    Precision,
    TrainingRun,
)
from monitor.cli.inputs import checked_providers, count_parser, fail
from monitor.cli.planning.cost_table import cost_table, line_money

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
    "context": "--context-parallel",
    "virtual_stages": "--virtual-stages",
    "expert": "--expert-parallel",
    **{option.name: option.flag for option in layout_options()},
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
    "precision": "--precision",
    "currency": "--currency",
    "cny_per_usd": "--cny-per-usd",
}
GIB = 1 << 30


def layout_flag(name: str) -> Any:
    """The typer option of one layout/kernel option: flag and help from estimator.layout_options, the one list."""
    option = next(o for o in layout_options() if o.name == name)
    return typer.Option(option.flag, help=option.help)


ModelOpt = Annotated[str | None, typer.Option("--model", help="preset name, e.g. llama-3-8b")]
ModelConfigOpt = Annotated[Path | None, typer.Option("--model-config", help="a Hugging Face config.json")]
TokensOpt = Annotated[
    float | None,
    typer.Option("--tokens", parser=count_parser("--tokens"), help="total training tokens, e.g. 2e9, 2B or 500M"),
]
DatasetTokensOpt = Annotated[
    float | None,
    typer.Option("--dataset-tokens", parser=count_parser("--dataset-tokens"), help="tokens per epoch (with --epochs)"),
]
EpochsOpt = Annotated[float, typer.Option("--epochs", help="passes over --dataset-tokens")]
SeqLenOpt = Annotated[int, typer.Option("--seq-len", help="tokens per sequence")]
MicroBatchOpt = Annotated[int, typer.Option("--micro-batch", help="sequences per GPU per forward/backward")]
GlobalBatchOpt = Annotated[int | None, typer.Option("--global-batch", help="sequences per optimizer step")]
MethodOpt = Annotated[Method, typer.Option("--method", help="full, lora or qlora")]
LoraRankOpt = Annotated[int, typer.Option("--lora-rank", help="LoRA rank r")]
PrecisionOpt = Annotated[Precision, typer.Option("--precision", help="training precision recipe")]
OptimizerOpt = Annotated[Optimizer, typer.Option("--optimizer")]
CheckpointingOpt = Annotated[Checkpointing, typer.Option("--grad-checkpointing", help="activation recomputation")]
TensorOpt = Annotated[int, layout_flag("tensor_parallel")]
PipelineOpt = Annotated[int, layout_flag("pipeline_parallel")]
ContextOpt = Annotated[int, layout_flag("context_parallel")]
VirtualStagesOpt = Annotated[int, layout_flag("virtual_stages")]
ExpertOpt = Annotated[int, layout_flag("expert_parallel")]
ZeroStageOpt = Annotated[int, layout_flag("zero_stage")]
LayerKernelsOpt = Annotated[LayerKernels, layout_flag("layer_kernels")]
AttentionKernelOpt = Annotated[AttentionKernel, layout_flag("attention_kernel")]
MfuOpt = Annotated[float | None, typer.Option("--mfu", help="override the modelled MFU (0-1)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output (a stable contract)")]
ProviderOpt = Annotated[list[str] | None, typer.Option("--provider", help="only these providers (repeatable)")]
CurrencyOpt = Annotated[str, typer.Option("--currency", help="show costs in USD or CNY")]
CnyPerUsdOpt = Annotated[
    float | None, typer.Option("--cny-per-usd", help="exchange rate to use (default: the dated CFETS parity)")
]


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
    context: int = 1,
    virtual_stages: int = 1,
    expert: int = 1,
    layer_kernels: LayerKernels = LayerKernels.EAGER,
    attention_kernel: AttentionKernel = AttentionKernel.FA2,
) -> TrainingRun:
    """The TrainingRun of the flags; bad values end in `fail` naming the flag."""
    if (tokens is None) == (dataset_tokens is None):
        fail("give exactly one of --tokens N (e.g. --tokens 2e9) or --dataset-tokens N with --epochs E")
    total = tokens if tokens is not None else (dataset_tokens or 0.0) * epochs
    try:
        layout = parse_layout(
            {
                "tensor_parallel": tensor,
                "pipeline_parallel": pipeline,
                "context_parallel": context,
                "virtual_stages": virtual_stages,
                "expert_parallel": expert,
                "zero_stage": zero_stage,
                "layer_kernels": layer_kernels,
                "attention_kernel": attention_kernel,
            }
        )
    except EstimatorError as error:
        fail(explain(error))
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
            parallelism=layout.parallelism,
            mfu=mfu,
            layer_kernels=layout.layer_kernels,
            attention_kernel=layout.attention_kernel,
        )
    except ValidationError as error:
        fail(explain_validation(error))


def resolve_currency(currency: str, cny_per_usd: float | None) -> tuple[Currency, ExchangeRate]:
    """The currency to show and the dated (or user-given) USD/CNY rate; bad values end in `fail` naming the flag."""
    try:
        return parse_currency(currency), cfets_rate() if cny_per_usd is None else custom_rate(cny_per_usd)
    except EstimatorError as error:
        fail(explain(error))


def currency_json(
    payload: dict[str, object], lines: list[dict[str, object]], priced: list[tuple[Money, Money]], to: Currency
) -> None:
    """Adds the chosen currency to a --json payload without changing its existing keys."""
    payload["currency"] = to.value
    for row, (hourly, total) in zip(lines, priced, strict=True):
        row["price_per_hour"] = round(hourly.amount, 4)
        row["total"] = round(total.amount, 2)


def human_bytes(value: float) -> str:
    return f"{value / GIB:,.1f} GiB"


def human_count(value: float) -> str:
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:,.2f} {unit}"
    return f"{value:,.0f}"


def catalog_offers(provider: list[str] | None) -> tuple[Offer, ...]:
    """Every embedded offer (US clouds, GPU clouds, Alibaba Cloud, Tencent Cloud) plus derived reserved prices."""
    offers = with_reserved(embedded_offers())
    wanted = checked_providers(provider or None, (o.provider for o in offers))
    if wanted:
        offers = tuple(o for o in offers if o.provider in wanted)
    return offers


def _offers(provider: list[str] | None, tco: OnPremTCO | None, gpu_id: str, gpus: int) -> tuple[Offer, ...]:
    offers = catalog_offers(provider)
    if tco is not None:
        offers = (*offers, onprem_offer(tco, gpu_id, gpus))
    return offers


def _summary(result: Estimate) -> Table:
    summary = Table(title=f"{result.model} on {result.gpus}x {result.gpu}, {human_count(result.tokens)} tokens")
    summary.add_column("quantity", overflow="fold")
    summary.add_column("value", justify="right", overflow="fold")
    summary.add_row(
        "parameters (total / active)", f"{human_count(result.params.total)} / {human_count(result.params.active)}"
    )
    summary.add_row("trainable parameters", f"{result.params.trainable:,}")
    summary.add_row(
        "training FLOPs (6·N·D beside)", f"{result.flops.total_flops:.3g} ({result.flops.six_nd_flops:.3g})"
    )
    summary.add_row("memory/GPU peaks at", result.memory.peak_phase)
    for name, value in result.memory.breakdown.items():
        summary.add_row(f"memory/GPU at peak: {name}", human_bytes(value))
    fits = "[green]fits[/]" if result.memory.fits else "[bold red]does NOT fit[/]"
    summary.add_row(
        "memory/GPU: peak",
        f"{human_bytes(result.memory.per_gpu_peak_bytes)} of {human_bytes(result.memory.gpu_memory_bytes)} — {fits}",
    )
    summary.add_row("step time", f"{result.time.step_seconds:.3f} s")
    summary.add_row("throughput", f"{result.time.tokens_per_second:,.0f} tokens/s")
    summary.add_row("MFU", f"{result.time.mfu:.1%}")
    summary.add_row("wall time / GPU-hours", f"{result.time.total_hours:,.1f} h / {result.time.gpu_hours:,.1f}")
    return summary


def not_fit_reason(result: Estimate) -> str:
    return (
        f"does not fit: peak {human_bytes(result.memory.per_gpu_peak_bytes)} per GPU, "
        f"{human_bytes(result.memory.usable_bytes)} usable on {result.gpu}"
    )


def print_estimate(
    result: Estimate,
    console: Console,
    tco: OnPremTCO | None = None,
    currency: Currency = Currency.USD,
    rate: ExchangeRate | None = None,
) -> None:
    """The estimate as terminal tables: model, memory per GPU, time, then cost per offer (cheapest first)."""
    rate = rate or cfets_rate()
    console.print(_summary(result))
    if not result.memory.fits:
        console.print(
            "[yellow]It does not fit: try --zero-stage 3, --grad-checkpointing full, more --gpus, a smaller "
            "--micro-batch, or `trainspend plan` to search for hardware that fits.[/]"
        )
    title = f"Cost on {result.gpu} offers, {currency.value} (cheapest first)"
    if not result.memory.fits:
        title = f"[bold red]{not_fit_reason(result)} — try `trainspend plan`.[/] Prices if it did: {title}"
    cost, under = cost_table(title, result.cost, result.gpus, tco, currency, rate)
    if not result.cost:
        console.print(f"[yellow]No embedded offer for {result.gpu}; try --gpu H100-SXM or A100-SXM-80GB.[/]")
    else:
        console.print(cost)
        for line in under:
            console.print(line, highlight=False)
    assumptions = list(result.assumptions)
    if currency is not Currency.USD:
        assumptions.append(rate_assumption(rate, currency))
    console.print("[dim]Assumptions: " + "; ".join(f"{a.name}={a.value}" for a in assumptions) + "[/]")


def estimate_json(result: Estimate, currency: Currency, rate: ExchangeRate) -> dict[str, object]:
    """The stable --json payload: Estimate's keys unchanged, plus `currency` and each line's price in it."""
    payload: dict[str, object] = result.model_dump(mode="json")
    lines = payload["cost"]
    assert isinstance(lines, list)
    currency_json(payload, lines, [line_money(line, currency, rate) for line in result.cost], currency)
    if currency is not Currency.USD:
        assumptions = payload["assumptions"]
        assert isinstance(assumptions, list)
        assumptions.append(rate_assumption(rate, currency).model_dump(mode="json"))
    return payload


def estimate_command(
    model: ModelOpt = None,
    model_config: ModelConfigOpt = None,
    tokens: TokensOpt = None,
    dataset_tokens: DatasetTokensOpt = None,
    epochs: EpochsOpt = 1.0,
    seq_len: SeqLenOpt = DEFAULT_SEQ_LEN,
    micro_batch: MicroBatchOpt = DEFAULT_MICRO_BATCH,
    global_batch: GlobalBatchOpt = None,
    gpu: Annotated[
        str, typer.Option("--gpu", help="catalog GPU id or alias, e.g. H100-SXM, A100-SXM-80GB")
    ] = "H100-SXM",
    gpus: Annotated[int, typer.Option("--gpus", help="number of GPUs")] = 1,
    method: MethodOpt = DEFAULT_METHOD,
    lora_rank: LoraRankOpt = DEFAULT_LORA_RANK,
    precision: PrecisionOpt = DEFAULT_PRECISION,
    optimizer: OptimizerOpt = DEFAULT_OPTIMIZER,
    grad_checkpointing: CheckpointingOpt = DEFAULT_CHECKPOINTING,
    zero_stage: ZeroStageOpt = 0,
    tensor_parallel: TensorOpt = 1,
    pipeline_parallel: PipelineOpt = 1,
    context_parallel: ContextOpt = 1,
    virtual_stages: VirtualStagesOpt = 1,
    expert_parallel: ExpertOpt = 1,
    layer_kernels: LayerKernelsOpt = LayerKernels.EAGER,
    attention_kernel: AttentionKernelOpt = AttentionKernel.FA2,
    mfu: MfuOpt = None,
    provider: ProviderOpt = None,
    onprem_purchase_usd: Annotated[
        float | None, typer.Option(help="price of owned GPUs, to add an on-prem line")
    ] = None,
    onprem_watts: Annotated[float | None, typer.Option(help="power draw of the owned GPUs")] = None,
    onprem_years: Annotated[float, typer.Option(help="amortisation years")] = 3.0,
    usd_per_kwh: Annotated[float, typer.Option(help="electricity price")] = 0.15,
    onprem_utilisation: Annotated[float, typer.Option(help="share of hours the owned GPUs are busy")] = 1.0,
    currency: CurrencyOpt = "USD",
    cny_per_usd: CnyPerUsdOpt = None,
    as_json: JsonOpt = False,
    auto_layout: Annotated[
        bool, typer.Option("--auto-layout", help="use the first ZeRO stage, then checkpointing, that fits")
    ] = False,
) -> None:
    """Estimate one training run: parameters, memory per GPU, time, and cost on every provider's offers.

    Exit status (the same with or without --json):
    0: an estimate was printed, whether or not the run fits in memory (read memory.fits);
    2: bad input, told in one line naming the flag and the fix.
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
        zero_stage=zero_stage,
        tensor=tensor_parallel,
        pipeline=pipeline_parallel,
        mfu=mfu,
        context=context_parallel,
        virtual_stages=virtual_stages,
        expert=expert_parallel,
        layer_kernels=layer_kernels,
        attention_kernel=attention_kernel,
    )
    shown, rate = resolve_currency(currency, cny_per_usd)
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
        result = estimate(arch, run, hardware, _offers(provider, tco, hardware.gpu.id, gpus), auto_layout)
    except EstimatorError as error:
        fail(explain(error, model_config))
    except ValidationError as error:
        fail(explain_validation(error))
    if as_json:
        typer.echo(json.dumps(estimate_json(result, shown, rate), indent=2))
    else:
        print_estimate(result, Console(), tco, shown, rate)


def register(app: typer.Typer) -> None:
    """Adds `trainspend estimate`."""
    app.command("estimate")(estimate_command)
