"""One instance per distinct value among the cached objects, so 20k pods do not hold 20k copies of the same strings.

Kubernetes objects repeat themselves: the pods of a workload carry the same label keys and mostly the same values,
the same requests, namespace and ownerReferences; a node's name is repeated by every pod bound to it. `json.loads`
gives each decoded object its own copy of all of them (it shares dict keys within one response only), and the cache
keeps what it converted for as long as the object exists. `Canon` hands out one instance per distinct value instead:

* strings: `sys.intern` (an interned string is freed once nothing refers to it, so the table cannot grow stale);
  long strings (over `MAX_INTERNED_CHARS`, e.g. a last-applied-configuration annotation) are almost never repeated
  and are kept as they are;
* small str → str dicts (labels, annotations, requests, node capacity): a table of the distinct values in use,
  holding them weakly, so a dict no object uses any more (a pod's progress annotation moved on) leaves the table; a
  pod's annotations are often its own, but many repeat across a workload's pods (sidecar, scrape annotations);
* ownerReference tuples (few: one per owner): a table emptied when it reaches `max_entries` (what was handed out
  stays shared; only later equal values get a fresh instance).

The values handed out are shared by many frozen models, so nothing may write into them; nothing does (the domain
only reads them, and a change to an object arrives as a new object). Watch threads convert concurrently: each table
operation is one dict call, atomic under the GIL, and a lost race only costs a duplicate.
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Hashable, Mapping
from typing import TypeVar

MAX_INTERNED_CHARS = 256
MAX_SHARED_DICT_ITEMS = 32  # larger dicts (a pod's many annotations) are rarely equal to another's
T = TypeVar("T", bound=Hashable)


class SharedDict(dict[str, str]):
    """A plain str → str dict that a weak reference can point at (a `dict` cannot), so the table of shared dicts
    does not keep alive the ones nobody uses."""

    __slots__ = ("__weakref__",)


class Canon:
    def __init__(self, max_entries: int = 16_384) -> None:
        self._max_entries = max_entries
        self._dicts: weakref.WeakValueDictionary[tuple[tuple[str, str], ...], SharedDict] = (
            weakref.WeakValueDictionary()
        )
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
        shared = SharedDict(converted)
        self._dicts[key] = shared
        return shared

    def value(self, value: T) -> T:
        """The one instance equal to `value` (a frozen, hashable value: an ownerReference tuple)."""
        found = self._values.get(value)
        if found is not None:
            return found  # type: ignore[return-value]  # equal to `value`, hence of its type
        if len(self._values) >= self._max_entries:
            self._values.clear()
        self._values[value] = value
        return value
