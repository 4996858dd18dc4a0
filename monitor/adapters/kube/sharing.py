"""One instance per distinct value among the cached objects, so 20k pods do not hold 20k copies of the same strings.

Kubernetes objects repeat themselves: the pods of a workload carry the same label keys and mostly the same values,
the same requests, namespace and ownerReferences; a node's name is repeated by every pod bound to it. `json.loads`
gives each decoded object its own copy of all of them (it shares dict keys within one response only), and the cache
keeps what it converted for as long as the object exists. `Canon` hands out one instance per distinct value instead:

* strings: `sys.intern` (an interned string is freed once nothing refers to it, so the table cannot grow stale);
  long strings (over `MAX_INTERNED_CHARS`, e.g. a last-applied-configuration annotation) are almost never repeated
  and are kept as they are;
* small str → str dicts (labels, annotations, requests, node capacity) and ownerReference tuples: a table of the
  distinct values seen, emptied when it reaches `max_entries`, so values that are unique per object cannot grow it
  without bound (what was handed out stays shared; only later equal values get a fresh instance). A pod's
  annotations are often its own (a progress counter), but many repeat across a workload's pods (sidecar, scrape).

The values handed out are shared by many frozen models, so nothing may write into them; nothing does (the domain
only reads them, and a change to an object arrives as a new object). Watch threads convert concurrently: each table
operation is one dict call, atomic under the GIL, and a lost race only costs a duplicate.
"""

from __future__ import annotations

import sys
from collections.abc import Hashable, Mapping
from typing import TypeVar

MAX_INTERNED_CHARS = 256
MAX_SHARED_DICT_ITEMS = 32  # larger dicts (a pod's many annotations) are rarely equal to another's
T = TypeVar("T", bound=Hashable)


class Canon:
    def __init__(self, max_entries: int = 16_384) -> None:
        self._max_entries = max_entries
        self._dicts: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
        self._values: dict[Hashable, Hashable] = {}

    def text(self, value: object) -> str:
        text = value if type(value) is str else str(value)
        return sys.intern(text) if len(text) <= MAX_INTERNED_CHARS else text

    def strings(self, value: object) -> dict[str, str]:
        """A mapping's items as str → str, keys and values interned, as the one dict of those items."""
        if not isinstance(value, Mapping) or not value:
            return self.shared({})
        text = self.text
        converted = {text(k): text(v) for k, v in value.items()}
        return converted if len(converted) > MAX_SHARED_DICT_ITEMS else self.shared(converted)

    def shared(self, converted: dict[str, str]) -> dict[str, str]:
        """The one dict equal to `converted` (whose keys and values are already interned)."""
        key = tuple(converted.items())
        found = self._dicts.get(key)
        if found is not None:
            return found
        if len(self._dicts) >= self._max_entries:
            self._dicts.clear()
        self._dicts[key] = converted
        return converted

    def value(self, value: T) -> T:
        """The one instance equal to `value` (a frozen, hashable value: an ownerReference tuple)."""
        found = self._values.get(value)
        if found is not None:
            return found  # type: ignore[return-value]  # equal to `value`, hence of its type
        if len(self._values) >= self._max_entries:
            self._values.clear()
        self._values[value] = value
        return value
