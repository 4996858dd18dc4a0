"""Model presets: the Hugging Face config.json values of common public models by short name (data/presets.json).

Each row keeps only the config.json keys that decide size and cost, copied from the Hub repo its `source` names (the
file's `_meta` says when they were read); the reference configs in tests/data/hf-configs are verbatim copies of some of
them. A preset is built through `arch_from_hf_config`, so presets and user configs share one code path, and every row is
built when the table is loaded, so a row the reader refuses fails the load naming the row.
"""

from __future__ import annotations

import difflib
from functools import cache

from pydantic import Field, JsonValue, model_validator

from estimator.catalog.tables import CatalogDataError, load_table
from estimator.config import arch_from_hf_config
from estimator.errors import UnknownModelError
from estimator.models import Frozen, ModelArch

PRESETS_FILE = "presets.json"


class PresetRow(Frozen):
    """A row of data/presets.json: a short name, the repo the values come from and the config.json keys."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")
    source: str = Field(min_length=1)  # the Hugging Face repo id (or the measurement) the values come from
    revision: str | None  # the Hub commit read, where one was recorded
    checked: str = Field(pattern=r"^\d{4}(-\d{2}-\d{2})?$")  # when the values were read (a year where no day is known)
    config: dict[str, JsonValue]

    @model_validator(mode="after")
    def _builds(self) -> PresetRow:
        # InvalidConfigError is a ValueError, so pydantic reports it as this row's error.
        arch_from_hf_config(self.config, self.id)
        return self


def index_presets(rows: tuple[PresetRow, ...]) -> dict[str, PresetRow]:
    """Preset name -> row, in file order; raises CatalogDataError on a name given twice."""
    by_id: dict[str, PresetRow] = {}
    for index, row in enumerate(rows):
        if row.id in by_id:
            raise CatalogDataError(
                f"{PRESETS_FILE} rows[{index}] field id",
                row.id,
                f"another row has this id; rename one in {PRESETS_FILE}",
            )
        by_id[row.id] = row
    return by_id


@cache
def _rows() -> dict[str, PresetRow]:
    """Preset name -> row (read and validated once, on first use)."""
    return index_presets(load_table(PRESETS_FILE, PresetRow))


def preset_names() -> list[str]:
    """All preset names, sorted."""
    return sorted(_rows())


# The shapes of trainspend's own H100 measurements: presets so the accuracy benchmark can name them, not models a
# user would train, so listings leave them out (they still resolve by name).
REFERENCE_PREFIX = "h100-ref-"


def public_preset_names() -> list[str]:
    """The preset names a listing shows: every preset but the measurement reference shapes, sorted."""
    return [name for name in preset_names() if not name.startswith(REFERENCE_PREFIX)]


def preset_source(name: str) -> str:
    """The Hugging Face repo id (or measurement) a preset's config values come from."""
    return preset(name).source


def _normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def preset(name: str) -> ModelArch:
    """The ModelArch of a preset, by short name (case-insensitive) or by its Hugging Face repo id.

    Raises UnknownModelError listing the closest names (difflib) when there is no such preset.
    """
    rows = _rows()
    wanted = _normalise(name)
    for key, row in rows.items():
        if wanted in (key, _normalise(row.source)):
            return arch_from_hf_config(row.config, key).model_copy(update={"source": row.source})
    close = difflib.get_close_matches(wanted, list(rows), n=5, cutoff=0.4)
    suggestion = f"did you mean {', '.join(close)}?" if close else "no close match"
    raise UnknownModelError(
        "model", name, f"{suggestion} Run `trainspend models` for the presets, or pass --model-config FILE."
    )
