"""The DRA fixtures of tests/data/dra (each file cites its upstream source), loaded as the API server returns them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DRA = Path(__file__).parent / "data" / "dra"


def dra_objects(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((DRA / name).read_text()) if doc]


def of_kind(objs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objs if o["kind"] == kind]
