"""Plain-text tables for benchmark output (Markdown pipe tables, so they paste into docs/performance.md as is)."""

from __future__ import annotations


class Table:
    def __init__(self, title: str, headers: list[str]) -> None:
        self.title = title
        self.headers = headers
        self.rows: list[list[str]] = []

    def add(self, *cells: str) -> None:
        if len(cells) != len(self.headers):
            raise ValueError(f"Table.add: {len(cells)} cells for {len(self.headers)} columns in {self.title!r}")
        self.rows.append(list(cells))

    def render(self) -> str:
        widths = [max(len(row[i]) for row in [self.headers, *self.rows]) for i in range(len(self.headers))]

        def line(cells: list[str]) -> str:
            return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

        rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
        return "\n".join([f"\n{self.title}", "", line(self.headers), rule, *[line(row) for row in self.rows], ""])
