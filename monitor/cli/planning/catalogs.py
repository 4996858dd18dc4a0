"""`trainspend models` and `trainspend gpus`: what `--model` and `--gpu` accept, from the embedded catalogs."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from estimator.catalog.gpus import all_gpus
from estimator.catalog.presets import preset, public_preset_names
from estimator.params import count_params

JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def models_command(as_json: JsonOpt = False) -> None:
    """List the model presets `--model` accepts: name, family, total parameters and the config's source."""
    rows = []
    for name in public_preset_names():
        arch = preset(name)
        rows.append({"name": name, "family": arch.family, "params": count_params(arch).total, "source": arch.source})
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(rows)} model presets (or give any Hugging Face config.json with --model-config)")
    for column in ("name", "family", "params", "source"):
        table.add_column(column, justify="right" if column == "params" else "left", overflow="fold")
    for row in rows:
        table.add_row(
            str(row["name"]), str(row["family"]), f"{int(str(row['params'])) / 1e9:,.2f} B", str(row["source"])
        )
    Console().print(table)


def gpus_command(as_json: JsonOpt = False) -> None:
    """List the GPUs `--gpu` accepts with their memory, bandwidth and dense tensor throughput."""
    gpus = all_gpus()
    if as_json:
        typer.echo(json.dumps([g.model_dump(mode="json") for g in gpus], indent=2))
        return
    table = Table(title=f"{len(gpus)} GPUs (dense TFLOP/s, no sparsity; --json has each figure's source)")
    for column in ("id", "name", "memory GiB", "GB/s", "bf16", "fp16", "fp8", "TDP W"):
        table.add_column(column, justify="left" if column in ("id", "name") else "right", overflow="fold")
    borrowed = [g for g in gpus if g.borrowed_figures]
    for g in gpus:
        figures = (g.bf16_tflops, g.fp16_tflops, g.fp8_tflops)
        mark = "*" if g.borrowed_figures else ""
        table.add_row(
            g.id + mark,
            g.name,
            f"{g.memory_bytes / (1 << 30):,.0f}",
            f"{g.memory_bandwidth_bytes_per_second / 1e9:,.0f}",
            *("—" if f is None else f"{f:,.0f}" for f in figures),
            f"{g.tdp_watts:,.0f}",
        )
    console = Console()
    console.print(table)
    for g in borrowed:
        console.print(f"* {g.id}: {g.borrowed_figures}", highlight=False)


def register(app: typer.Typer) -> None:
    """Adds `trainspend models` and `trainspend gpus`."""
    app.command("models")(models_command)
    app.command("gpus")(gpus_command)
