"""A terminal table of the jobs in a TickResult (the demo's periodic view)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from monitor.core.domain.result import TickResult


def print_jobs(result: TickResult | None, console: Console | None = None) -> None:
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=160)  # piped or captured: do not squeeze the table into 80 columns
    if result is None:
        console.print("[dim]waiting for the first tick…[/dim]")
        return
    table = Table(title=f"cluster {result.cluster} at {result.at:%Y-%m-%d %H:%M} (simulated)", title_justify="left")
    for header, justify in [
        ("workload", "left"),
        ("state", "left"),
        ("GPUs", "right"),
        ("GPU util", "right"),
        ("$/h", "right"),
        ("cost so far", "right"),
        ("progress", "right"),
        ("projected p50 [p10–p90]", "right"),
        ("ETA", "right"),
        ("budget", "right"),
    ]:
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for job in sorted(result.jobs, key=lambda j: -j.cost_usd):
        band = job.projected_cost_usd
        table.add_row(
            f"{job.ref.namespace}/{job.ref.kind}/{job.ref.name}" + (" [red]⚠[/red]" if job.problems else ""),
            job.state,
            f"{job.gpus:g}",
            "–" if job.gpu_utilization is None else f"{job.gpu_utilization:.0%}",
            f"{job.hourly_cost_usd:,.2f}",
            f"${job.cost_usd:,.2f}",
            "–" if job.progress is None else f"{job.progress:.0%}",
            "–" if band is None else f"${band.p50:,.0f} [{band.p10:,.0f}–{band.p90:,.0f}]",
            "–" if job.expected_completion is None else f"{job.expected_completion:%a %H:%M}",
            "–" if job.budget_usd is None else f"${job.budget_usd:,.0f} {job.budget_state}",
        )
    console.print(table)
    for budget in result.budgets:
        console.print(
            f"budget {budget.name} ({budget.period}): ${budget.spend_usd:,.2f} spent, "
            f"${budget.projected_spend_usd:,.2f} projected of ${budget.limit_usd:,.0f} → {budget.state}"
        )
