"""What every command reads from its flags the same way: one-line failures, token counts, provider names."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from estimator.catalog.providers import canonical_provider
from monitor.core.domain.quantities import QuantityError, parse_count


def fail(message: str) -> NoReturn:
    """One line on stderr and exit code 2: bad input is the user's to fix, not a crash."""
    # The message is text, not Rich markup: a path or value with [brackets] is printed as given.
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(2)


def count_parser(flag: str) -> Callable[[str], float]:
    """A Typer `parser=` for a count flag: the annotations' rule (`parse_count`: "2e9", "2B", "500M", "1.5T",
    "2_000_000_000"), failing with one line that names the flag."""

    def parse(value: str) -> float:
        try:
            return parse_count(value, flag)
        except QuantityError as error:
            fail(f"{flag} {error.value}: {error.fix}")

    return parse


def checked_providers(names: Iterable[str] | None, known: Iterable[str]) -> list[str] | None:
    """The catalog ids of `names` (aliases mapped by `canonical_provider`); an unknown one fails naming the closest
    known ids, so a typo never silently filters everything out."""
    if names is None:
        return None
    ids = sorted(set(known))
    wanted = []
    for name in names:
        provider = canonical_provider(name)
        if provider not in ids:
            close = difflib.get_close_matches(provider, ids, n=3, cutoff=0.5)
            hint = f"did you mean {' or '.join(close)}?" if close else f"known: {', '.join(ids)}"
            fail(f"--provider {name}: no such provider in the catalog; {hint}")
        wanted.append(provider)
    return wanted
