"""`trainspend serve-plan`, `buy-or-rent` and `budget-tiers`: the serving, local-hardware and budget questions."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from estimator.budget_tiers import DEFAULT_LADDER, budget_tiers
from estimator.catalog.china import china_offers
from estimator.catalog.local import all_hardware, buy_or_rent, local_machine, local_machines
from estimator.catalog.offers import all_offers
from estimator.catalog.presets import preset
from estimator.currency import Currency, ExchangeRate, Money, cfets_rate, custom_rate, parse_currency
from estimator.errors import EstimatorError
from estimator.inference import Quantisation
from estimator.models import DEFAULT_SEQ_LEN, CapacityType, Method, Offer, TrainingRun
from estimator.serving import ServingLoad, load_from_tokens_per_second, serving_plan
from monitor.cli.inputs import checked_providers, count_parser, fail
from monitor.cli.planning.estimate import (
    JsonOpt,
    ModelConfigOpt,
    ModelOpt,
    ProviderOpt,
    explain,
    load_arch,
)
from monitor.cli.planning.serve_tables import print_buy_or_rent, print_serving, print_tiers

CurrencyOpt = Annotated[str, typer.Option("--currency", help="USD or CNY; the exchange rate is shown as an assumption")]
RateOpt = Annotated[
    float | None, typer.Option("--cny-per-usd", help="exchange rate to use instead of the dated CFETS default")
]
TopOpt = Annotated[int, typer.Option("--top", help="rows to show")]


def _money(currency: str, cny_per_usd: float | None) -> tuple[Currency, ExchangeRate]:
    try:
        return parse_currency(currency), custom_rate(cny_per_usd) if cny_per_usd is not None else cfets_rate()
    except EstimatorError as error:
        fail(explain(error))


def _offers(providers: list[str] | None) -> tuple[Offer, ...]:
    offers = all_offers() + china_offers()
    wanted = checked_providers(providers or None, (o.provider for o in offers))
    return tuple(o for o in offers if wanted is None or o.provider in wanted)


def serve_plan_command(
    model: ModelOpt = None,
    model_config: ModelConfigOpt = None,
    quant: Annotated[Quantisation, typer.Option("--quant", help="weight precision")] = Quantisation.BF16,
    prompt_tokens: Annotated[int, typer.Option("--prompt-tokens", help="tokens per prompt")] = 1000,
    output_tokens: Annotated[int, typer.Option("--output-tokens", help="tokens generated per request")] = 200,
    rps: Annotated[float | None, typer.Option("--rps", help="target requests per second")] = None,
    tokens_per_second: Annotated[
        float | None, typer.Option("--tokens-per-second", help="target generated tokens per second (instead of --rps)")
    ] = None,
    ttft_ms: Annotated[float | None, typer.Option("--ttft-ms", help="time-to-first-token target")] = None,
    tpot_ms: Annotated[float | None, typer.Option("--tpot-ms", help="time-per-output-token target")] = None,
    hosted_usd_per_mtok: Annotated[
        float | None, typer.Option("--hosted-usd-per-mtok", help="hosted API price per 1M tokens, to compare")
    ] = None,
    upfront_usd: Annotated[
        float | None, typer.Option("--upfront-usd", help="one-off cost (e.g. the fine-tune) for the payback")
    ] = None,
    currency: CurrencyOpt = "USD",
    cny_per_usd: RateOpt = None,
    provider: ProviderOpt = None,
    top: TopOpt = 10,
    as_json: JsonOpt = False,
) -> None:
    """Replicas, GPUs and monthly cost to serve a model at a target load and latency, per offer."""
    arch = load_arch(model, model_config)
    money, rate = _money(currency, cny_per_usd)
    if (rps is None) == (tokens_per_second is None):
        fail("--rps / --tokens-per-second: give exactly one target load, e.g. --rps 5")
    try:
        if rps is not None:
            load = ServingLoad(
                prompt_tokens=prompt_tokens, output_tokens=output_tokens, requests_per_second=rps,
                ttft_ms=ttft_ms, tpot_ms=tpot_ms,
            )  # fmt: skip
        else:
            load = load_from_tokens_per_second(prompt_tokens, output_tokens, tokens_per_second or 0.0, ttft_ms, tpot_ms)
        result = serving_plan(
            arch, load, all_hardware(), _offers(provider), quantisation=quant, currency=money, rate=rate,
            hosted_usd_per_million_tokens=hosted_usd_per_mtok, upfront_usd=upfront_usd,
        )  # fmt: skip
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][-1])
        flag = "--rps" if field == "requests_per_second" else "--" + field.replace("_", "-")
        fail(f"{flag} {first.get('input')!r}: {first['msg']}")
    except EstimatorError as error:
        fail(explain(error))
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), indent=2))
        return
    print_serving(result, Console(), top)


def buy_or_rent_command(
    model: ModelOpt = None,
    model_config: ModelConfigOpt = None,
    tokens: Annotated[float, typer.Option("--tokens", help="tokens the job trains on")] = 1e8,
    method: Annotated[Method, typer.Option("--method", help="full, lora or qlora")] = Method.LORA,
    seq_len: Annotated[int, typer.Option("--seq-len")] = DEFAULT_SEQ_LEN,
    hardware: Annotated[list[str] | None, typer.Option("--hardware", help="local machine ids (repeatable)")] = None,
    rent_gpu: Annotated[list[str] | None, typer.Option("--rent-gpu", help="cloud GPU ids to compare")] = None,
    years: Annotated[float, typer.Option("--years", help="amortisation period")] = 3.0,
    usd_per_kwh: Annotated[float, typer.Option("--usd-per-kwh")] = 0.15,
    utilisation: Annotated[float, typer.Option("--utilisation", help="share of the years the machine trains")] = 0.5,
    currency: CurrencyOpt = "USD",
    cny_per_usd: RateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The "buy a Mac / RTX card or rent an A100?" table: job time and cost, owning TCO and break-even."""
    arch = load_arch(model, model_config)
    money, rate = _money(currency, cny_per_usd)
    wanted = set(rent_gpu or ("A100-SXM-80GB", "H100-SXM", "RTX-4090"))
    try:
        machines = tuple(local_machine(h) for h in hardware) if hardware else local_machines()
        run = TrainingRun(tokens=tokens, method=method, seq_len=seq_len)
        rentals = _cheapest_on_demand(tuple(o for o in _offers(None) if o.gpu_id in wanted))
        result = buy_or_rent(
            arch, run, machines, rentals, all_hardware(), rate, money,
            years=years, usd_per_kwh=usd_per_kwh, utilisation=utilisation,
        )  # fmt: skip
    except ValidationError as error:
        fail(f"{error.errors()[0]['loc'][-1]}: {error.errors()[0]['msg']}")
    except EstimatorError as error:
        fail(explain(error))
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), indent=2))
        return
    print_buy_or_rent(result, Console())


def _cheapest_on_demand(offers: tuple[Offer, ...]) -> tuple[Offer, ...]:
    """Per GPU model, the on-demand offer with the lowest price per GPU-hour."""
    best: dict[str, Offer] = {}
    for offer in sorted(offers, key=lambda o: o.usd_per_hour / o.gpu_count):
        if offer.capacity_type is CapacityType.ON_DEMAND:
            best.setdefault(offer.gpu_id, offer)
    return tuple(best.values())


def budget_tiers_command(
    budget: Annotated[float, typer.Option("--budget", help="amount to spend, in --currency")],
    method: Annotated[Method, typer.Option("--method", help="full, lora or qlora")] = Method.LORA,
    seq_len: Annotated[int, typer.Option("--seq-len")] = DEFAULT_SEQ_LEN,
    dataset_tokens: Annotated[
        float | None,
        typer.Option("--dataset-tokens", parser=count_parser("--dataset-tokens"), help="tokens per epoch, e.g. 2B"),
    ] = None,
    min_epochs: Annotated[float, typer.Option("--min-epochs", help="passes the budget must buy")] = 1.0,
    model: Annotated[list[str] | None, typer.Option("--model", help="presets to consider (repeatable)")] = None,
    currency: CurrencyOpt = "USD",
    cny_per_usd: RateOpt = None,
    provider: ProviderOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """For a budget: the largest model / data / epochs and the hardware for it, ranked by cost per token trained."""
    money, rate = _money(currency, cny_per_usd)
    try:
        models = tuple(preset(name) for name in (model or DEFAULT_LADDER))
        run = TrainingRun(tokens=1.0, method=method, seq_len=seq_len)
        result = budget_tiers(
            Money(amount=budget, currency=money), models, all_hardware(), _offers(provider), run, rate,
            dataset_tokens=dataset_tokens, min_epochs=min_epochs,
        )  # fmt: skip
    except ValidationError as error:
        fail(f"{error.errors()[0]['loc'][-1]}: {error.errors()[0]['msg']}")
    except EstimatorError as error:
        fail(explain(error))
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), indent=2))
        return
    print_tiers(result, Console())


def register(app: typer.Typer) -> None:
    """Adds `serve-plan`, `buy-or-rent` and `budget-tiers` to the app."""
    app.command("serve-plan")(serve_plan_command)
    app.command("buy-or-rent")(buy_or_rent_command)
    app.command("budget-tiers")(budget_tiers_command)
