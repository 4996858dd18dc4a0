"""The GPU datasheet catalog: look-up by id or common alias, with the closest ids suggested on a miss."""

from __future__ import annotations

import difflib
from datetime import date
from functools import cache

from estimator.catalog.tables import load_table
from estimator.errors import UnknownGPUError
from estimator.models import GPU


class GpuRow(GPU):
    """A row of data/gpus.json: the datasheet figures and the date they were collected."""

    as_of: date


# Names people type → catalog ids. Bare family names mean the part clouds rent most (SXM, largest memory).
_ALIASES: tuple[tuple[str, str], ...] = (
    ("H100", "H100-SXM"),
    ("H100-80GB", "H100-SXM"),
    ("H100-SXM5", "H100-SXM"),
    ("H200", "H200-SXM"),
    ("H800", "H800-SXM"),
    ("A100", "A100-SXM-80GB"),
    ("A100-80GB", "A100-SXM-80GB"),
    ("A100-40GB", "A100-SXM-40GB"),
    ("A100-SXM", "A100-SXM-80GB"),
    ("A100-PCIe", "A100-PCIe-80GB"),
    ("V100", "V100-SXM2"),
    ("V100-32GB", "V100-SXM2"),
    ("V100-16GB", "V100-SXM2-16GB"),
    ("RTX4090", "RTX-4090"),
    ("4090", "RTX-4090"),
)


def _key(name: str) -> str:
    return name.strip().upper().replace("_", "-").replace(" ", "-")


@cache
def _index() -> dict[str, GPU]:
    """Upper-cased id or alias → GPU; built once, on first use."""
    rows = {_key(row.id): row for row in all_gpus()}
    for alias, target in _ALIASES:
        rows.setdefault(_key(alias), rows[_key(target)])
    return rows


@cache
def all_gpus() -> tuple[GPU, ...]:
    """Every GPU in the catalog (data/gpus.json), in catalog order (read once, on first use)."""
    return tuple(GPU.model_validate(row.model_dump(exclude={"as_of"})) for row in load_table("gpus.json", GpuRow))


def gpu(name: str) -> GPU:
    """The catalog GPU named by `name` (an id such as "H100-SXM" or an alias such as "A100"; case-insensitive).

    Raises UnknownGPUError listing the closest ids when the name is not known.
    """
    found = _index().get(_key(name))
    if found is not None:
        return found
    ids = [row.id for row in all_gpus()]
    by_key = {_key(i): i for i in ids}
    close = difflib.get_close_matches(_key(name), list(by_key), n=3, cutoff=0.3)
    suggestions = ", ".join(by_key[c] for c in close) or ", ".join(ids)
    raise UnknownGPUError("gpu", name, f"unknown GPU; closest catalog ids: {suggestions}")
