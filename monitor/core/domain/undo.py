"""Taking back what a schedule remembered for a save that then failed (snapshot_schedule, projection_points).

Both decide what a tick saves and remember it as saved in the same call, so that deciding and remembering cannot
drift apart. When the store then refuses the save, what they overwrote must be put back, or the next tick would
treat the unsaved snapshot or point as the last one written. Each keeps the entries its last decision replaced (None
where there was none) and hands them here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def restore(current: dict[K, V], before: Mapping[K, V | None]) -> None:
    """Puts back each key's earlier value, and removes the keys that had none."""
    for key, value in before.items():
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
