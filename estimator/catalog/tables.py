"""The catalog's data files: JSON tables shipped inside the package, validated row by row by pydantic models.

Every file in `estimator/catalog/data/` is one object, `{"_meta": {...}, "rows": [...]}`: `_meta` says what the table is
and where its facts come from (`description`, `source`, optionally `left_out`: the source rows not carried, and why;
`curated`: the ids of rows added by hand, each with its own source); each row carries its own `source` and date. A
price update is an edit of a row a reviewer can read, not generated code.

Why the estimator may read these files although it reads no files: the estimator is pure because its results depend
only on its arguments and its own code — never on the user's files, the environment, the clock or the network. The data
files are part of that code: they ship in the wheel beside the modules and are read through `importlib.resources`
(which finds them in an installed wheel or a zip as well as in a checkout), never through a path a user or setting can
change. This module is the only one that opens them (an import-linter contract keeps `importlib` here), and
`parse_table` — the part that decides anything — is a pure function of the text.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from estimator.errors import EstimatorError
from estimator.models import Frozen

DATA_PACKAGE = "estimator.catalog"
DATA_FOLDER = "data"

Row = TypeVar("Row", bound=BaseModel)


class CatalogDataError(EstimatorError):
    """A catalog data file that does not parse or whose row breaks its model: names the file, row, field and value."""


class TableMeta(Frozen):
    """The `_meta` object of a data file."""

    description: str
    source: str
    left_out: tuple[str, ...] = ()
    # Ids of rows added by hand with their own source, not taken from the table's `source`: a refresh from that
    # source (scripts/import_prices.py) keeps them when the source lacks them.
    curated: tuple[str, ...] = ()


def _row_label(raw: object) -> str:
    """What a reader finds the row by: its id, or provider/instance and capacity type for an offer."""
    if not isinstance(raw, dict):
        return ""
    if "id" in raw:
        return f" ({raw['id']})"
    if "provider" in raw and "instance" in raw:
        return f" ({raw['provider']}/{raw['instance']}, {raw.get('region')}, {raw.get('capacity_type')})"
    if "kernel" in raw:
        return f" ({raw['kernel']}/{raw.get('direction', '')})"
    return ""


def _invalid(file_name: str, where: str, raw: object, error: ValidationError) -> CatalogDataError:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    more = error.error_count() - 1
    extra = f" (and {more} more error{'s' if more > 1 else ''} in this row)" if more else ""
    return CatalogDataError(
        f"{file_name} {where}{_row_label(raw)}" + (f" field {field}" if field else ""),
        first.get("input"),
        f"{first['msg']}{extra}; correct it in estimator/catalog/{DATA_FOLDER}/{file_name}",
    )


def parse_table(file_name: str, text: str, row_model: type[Row]) -> tuple[Row, ...]:
    """The rows of one data file's text, each validated by `row_model` (the `_meta` by `TableMeta`).

    Raises CatalogDataError naming the file, the row (index and id), the field and the value that broke it.
    """
    try:
        document: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise CatalogDataError(
            file_name, f"line {error.lineno} column {error.colno}", f"not valid JSON ({error.msg})"
        ) from error
    if not isinstance(document, dict) or set(document) != {"_meta", "rows"} or not isinstance(document["rows"], list):
        keys = sorted(document) if isinstance(document, dict) else type(document).__name__
        raise CatalogDataError(file_name, keys, 'a data file is one object with exactly "_meta" and a "rows" list')
    try:
        TableMeta.model_validate(document["_meta"])
    except ValidationError as error:
        raise _invalid(file_name, "_meta", None, error) from error
    rows: list[Row] = []
    for index, raw in enumerate(document["rows"]):
        try:
            rows.append(row_model.model_validate(raw))
        except ValidationError as error:
            raise _invalid(file_name, f"rows[{index}]", raw, error) from error
    return tuple(rows)


def read_table_text(file_name: str) -> str:
    """The text of one data file shipped in the package."""
    return resources.files(DATA_PACKAGE).joinpath(DATA_FOLDER, file_name).read_text(encoding="utf-8")


def load_table(file_name: str, row_model: type[Row]) -> tuple[Row, ...]:
    """The validated rows of `estimator/catalog/data/<file_name>` (callers cache them: the files never change)."""
    return parse_table(file_name, read_table_text(file_name), row_model)
