"""The tables of `serve-plan`, `buy-or-rent` and `budget-tiers`, laid out to stay readable at 80 columns (a terminal's
default, and what rich assumes on a pipe), like `estimate`'s and `plan`'s: one line per row where the names allow,
two where one is long; figures every row shares go in the heading; an estimated price is marked `~` and explained
under the table.
"""

from __future__ import annotations

from rich.console import Console

from estimator.budget_tiers import BudgetTiers
from estimator.catalog.local import BuyOrRent, SpeedModel
from estimator.models import Assumption
from estimator.serving import ReplicaSizing, ServingPlan
from monitor.cli.planning.cost_table import money_table, multi_region_providers, offer_label
from monitor.cli.planning.estimate import human_bytes

ESTIMATED = "~ estimated price (e.g. spot from typical savings): check it before you buy"
LABELLED = (
    "* timed by a labelled share of peak FLOP/s (Macs, consumer cards: outside the calibrated step-time model; "
    "see the assumptions)"
)


def footer(console: Console, assumptions: tuple[Assumption, ...]) -> None:
    console.print("[dim]Assumptions: " + "; ".join(f"{a.name}={a.value}" for a in assumptions) + "[/]")


def _estimated(text: str, estimate: bool) -> str:
    return text + ("~" if estimate else " ")


def _unsized(replica: ReplicaSizing) -> bool:
    """A GPU that cannot run the quantisation at all (bf16 on a T4 or V100: no bf16 tensor cores): no figures."""
    return replica.weights_bytes == 0 and bool(replica.rejected_because)


def print_serving(result: ServingPlan, console: Console, top: int) -> None:
    """The sizing of one replica per GPU, then the cheapest deployments. Weights and KV cache per token are the same
    on every GPU (they depend on the model and the quantisation), so the heading gives them once."""
    load = result.load
    console.print(
        f"[bold]{result.model}[/] {result.quantisation.value}: {load.requests_per_second:g} req/s x "
        f"({load.prompt_tokens} prompt + {load.output_tokens} output tokens)"
    )
    # A GPU that cannot run the quantisation has no figures to show: one line under the table says so instead of a
    # row of zeros the user never asked for.
    unsized = [r for r in result.replicas if _unsized(r)]
    sized = [r for r in result.replicas if not _unsized(r)]
    if sized:
        console.print(
            f"weights {human_bytes(sized[0].weights_bytes)}, KV cache "
            f"{sized[0].kv_bytes_per_token / 1024:,.0f} KiB per token",
            highlight=False,
        )
    sizing = money_table("One replica per GPU (batching server, vLLM/TGI-class)")
    sizing.add_column("GPU", no_wrap=True)
    sizing.add_column("TP", justify="right", no_wrap=True)
    for column in ("max batch", "batch", "TTFT ms", "TPOT ms", "req/s"):
        sizing.add_column(column, justify="right", no_wrap=True)
    sizing.add_column("why not", overflow="fold", min_width=12, ratio=1)  # fold, never cut a reason
    for r in sized:
        sizing.add_row(
            r.gpu_id, str(r.tensor_parallel), str(r.max_batch), str(r.batch), f"{r.ttft_seconds * 1e3:,.0f}",
            f"{r.tpot_seconds * 1e3:,.1f}", f"{r.requests_per_second:,.2f}", "; ".join(r.rejected_because),
        )  # fmt: skip
    console.print(sizing)
    for r in unsized:
        why = "; ".join(r.rejected_because)
        console.print(f"not sized: {r.gpu_id} ({why}); its offers are left out", highlight=False)
    shown = result.options[:top]
    table = money_table(f"Cheapest {len(shown)} of {len(result.options)} deployments")
    table.add_column("replicas · offer", overflow="fold", min_width=20, ratio=1)  # fold, never cut a name
    for column in ("per month", "per 1k req", "per 1M tok"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("as of", no_wrap=True)
    regional = multi_region_providers((o.provider, o.region) for o in result.options)
    for o in shown:
        tp = f" TP{o.tensor_parallel}" if o.tensor_parallel > 1 else ""
        where = offer_label(o.provider, o.instance, o.region, o.capacity_type.value, o.provider in regional)
        table.add_row(
            f"{o.replicas}x {o.gpu_id}{tp} · {where}", _estimated(o.monthly.format(), o.price_is_estimate),
            o.per_1k_requests.format(4), o.per_million_tokens.format(4), o.price_as_of or "—",
        )  # fmt: skip
    console.print(table)
    if any(o.price_is_estimate for o in shown):
        console.print(ESTIMATED, highlight=False)
    if result.hosted is not None:
        h = result.hosted
        line = (
            f"Hosted API: {h.hosted_monthly.format()}/month vs self-hosted {h.self_hosted_monthly.format()}/month: "
            f"saves {h.monthly_savings.format()}/month"
        )
        if h.upfront is not None and h.upfront.amount > 0:
            payback = "never" if h.payback_months is None else f"{h.payback_months:,.1f} months"
            line += f"; payback of {h.upfront.format()} upfront: {payback}"
        else:
            line += " (give --upfront-usd, e.g. the fine-tune's cost, for a payback period)"
        console.print(line, highlight=False)
    footer(console, result.assumptions)


def print_buy_or_rent(result: BuyOrRent, console: Console) -> None:
    """One row per machine: owned (TCO per hour) or rented (the cheapest on-demand offer of that GPU)."""
    table = money_table("Buy or rent: the same job on each machine")
    table.add_column("own/rent machine", overflow="fold", min_width=16, ratio=1)  # fold, never cut a name
    for column in ("fits", "tokens/s", "hours", "job cost", "per hour", "break-even"):
        table.add_column(column, justify="left" if column == "fits" else "right", no_wrap=True)
    labelled = estimated = False
    for r in result.rows:
        mark = "*" if r.speed_model is SpeedModel.LABELLED_EFFICIENCY else " "
        labelled = labelled or mark == "*"
        estimated = estimated or r.price_is_estimate
        table.add_row(
            f"{r.kind} {r.hardware}", "yes" if r.fits else "no",
            "—" if r.tokens_per_second is None else f"{r.tokens_per_second:,.0f}{mark}",
            "—" if r.hours is None else f"{r.hours:,.1f}", "—" if r.job_cost is None else r.job_cost.format(),
            _estimated(r.per_hour.format(3), r.price_is_estimate),
            "—" if r.break_even_jobs is None else f"{r.break_even_jobs:,.1f}",
        )  # fmt: skip
    console.print(table)
    console.print("break-even: jobs after which owning beats the cheapest rental", highlight=False)
    if labelled:
        console.print(LABELLED, highlight=False)
    if estimated:
        console.print(ESTIMATED, highlight=False)
    footer(console, result.assumptions)


def print_tiers(result: BudgetTiers, console: Console) -> None:
    """One row per model: the offer with the lowest cost per token trained that fits it."""
    table = money_table(f"What {result.budget.format()} trains, cheapest per token first")
    table.add_column("model", overflow="fold", min_width=10, ratio=1)
    table.add_column("GPUs · offer", overflow="fold", min_width=16, ratio=2)  # fold, never cut a name
    for column in ("per 1M tok", "tokens", "epochs", "hours"):
        table.add_column(column, justify="right", no_wrap=True)
    for t in result.tiers:
        where = offer_label(t.provider, t.instance, None, t.capacity_type.value, with_region=False)
        table.add_row(
            t.model, f"{t.gpus}x {t.gpu_id} · {where}", _estimated(t.per_million_tokens.format(4), t.price_is_estimate),
            f"{t.affordable_tokens:,.3g}", "—" if t.epochs is None else f"{t.epochs:,.1f}", f"{t.hours:,.1f}",
        )  # fmt: skip
    console.print(table)
    if any(t.price_is_estimate for t in result.tiers):
        console.print(ESTIMATED, highlight=False)
    if result.largest is not None:
        console.print(f"Largest model the budget trains: [bold]{result.largest.model}[/] on {result.largest.gpu_id}")
    for line in result.left_out:
        console.print(f"[yellow]left out:[/] {line}")
    footer(console, result.assumptions)
