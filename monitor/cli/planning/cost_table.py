"""The cost-per-offer table of `trainspend estimate`, laid out to fit 80 columns: one line per offer where the offer's
name allows, two where it is long; notes as numbered marks listed under the table, an estimated price marked `~`.

An offer's region is shown where the table lists the same provider in more than one region (Alibaba Cloud lists
cn-hangzhou and cn-wulanchabu at different prices: without the region the rows look like duplicates).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich import box
from rich.table import Table

from estimator.cost import CostLine, break_even_hours_at
from estimator.currency import Currency, ExchangeRate, Money, amount_in
from estimator.models import OnPremTCO

SYMBOLS = {Currency.USD: "$", Currency.CNY: "¥"}


def money_table(title: str) -> Table:
    """A table that stays readable at 80 columns: long text folds onto more lines, numbers and dates never do."""
    return Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left")


def line_money(line: CostLine, to: Currency, rate: ExchangeRate) -> tuple[Money, Money]:
    """(per hour, total) of a cost line in `to`."""
    hourly = amount_in(line.usd_per_hour, line.native_per_hour, line.currency, to, rate)
    return hourly, amount_in(line.total_usd, line.native_total, line.currency, to, rate)


class Footnotes:
    """Distinct note texts numbered in order of first use: `mark(text)` → "1", "2", …"""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}

    def mark(self, notes: Iterable[str]) -> str:
        marks = []
        for note in notes:
            marks.append(str(self._numbers.setdefault(note, len(self._numbers) + 1)))
        return ",".join(marks)

    def lines(self) -> list[str]:
        return [f"[{number}] {note}" for note, number in self._numbers.items()]


def multi_region_providers(pairs: Iterable[tuple[str, str | None]]) -> set[str]:
    """The providers that appear with more than one region among (provider, region) pairs."""
    regions: dict[str, set[str | None]] = {}
    for provider, region in pairs:
        regions.setdefault(provider, set()).add(region)
    return {provider for provider, seen in regions.items() if len(seen) > 1}


def offer_label(provider: str, instance: str, region: str | None, capacity: str, with_region: bool) -> str:
    where = f" {region}" if with_region and region else ""
    return f"{provider} {instance}{where} {capacity}"


def _notes(
    line: CostLine, cloud: Sequence[CostLine], tco: OnPremTCO | None, gpus: int, currency: Currency
) -> list[str]:
    notes = []
    if line.notes and line.provider != "on-prem" and "nodes over" in line.notes:
        notes.append(line.notes.split(";")[0])
    if line.currency != "USD" and line.currency == currency.value:
        notes.append(f"priced exactly in {line.currency}, as the seller quotes it")
    if line.provider == "on-prem" and tco is not None and cloud:
        cheapest = min(cloud, key=lambda x: x.usd_per_hour / x.gpus_billed)
        hours = break_even_hours_at(tco, gpus, cheapest.usd_per_hour / cheapest.gpus_billed)
        notes.append(
            f"on-prem break-even vs {cheapest.provider} {cheapest.capacity_type.value}: "
            + ("never" if hours is None else f"{hours:,.0f} h")
        )
    return notes


def cost_table(
    title: str,
    lines: Sequence[CostLine],
    gpus: int,
    tco: OnPremTCO | None,
    currency: Currency,
    rate: ExchangeRate,
) -> tuple[Table, list[str]]:
    """The table and the lines to print under it (the numbered notes, then what `~` means)."""
    symbol = SYMBOLS[currency]
    table = money_table(title)
    table.add_column("offer", overflow="fold", min_width=16, ratio=1)
    table.add_column("n", justify="right", no_wrap=True)
    table.add_column(f"{symbol}/hour", justify="right", no_wrap=True)
    table.add_column(f"total {symbol}", justify="right", no_wrap=True)
    table.add_column("as of", no_wrap=True)
    table.add_column("note", no_wrap=True)
    cloud = [line for line in lines if line.provider != "on-prem"]
    regional = multi_region_providers((line.provider, line.region) for line in lines)
    footnotes = Footnotes()
    estimated = False
    for line in lines:
        hourly, total = line_money(line, currency, rate)
        estimated = estimated or line.price_is_estimate
        table.add_row(
            offer_label(line.provider, line.instance, line.region, line.capacity_type.value, line.provider in regional),
            str(line.instances),
            f"{hourly.amount:,.2f}" + ("~" if line.price_is_estimate else " "),
            f"{total.amount:,.2f}",
            str(line.price_as_of or "—"),
            footnotes.mark(_notes(line, cloud, tco, gpus, currency)),
        )
    under = footnotes.lines()
    if estimated:
        under.append("~ estimated price (e.g. spot from typical savings): check it before you buy")
    return table, under
