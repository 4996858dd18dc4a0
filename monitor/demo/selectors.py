"""Kubernetes label and field selectors, parsed once per request and matched against plain object dicts.

Grammar (k8s.io/apimachinery/pkg/labels and pkg/fields): comma-separated terms; labels support `k=v`, `k==v`,
`k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`; fields support `path=v`, `path==v`, `path!=v` on dotted paths
such as `metadata.name` and `spec.nodeName`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Matcher = Callable[[Mapping[str, Any]], bool]

_SET_TERM = re.compile(r"^\s*([^\s!=,()]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def _split_terms(selector: str) -> list[str]:
    """Splits on commas that are not inside parentheses (set terms hold commas)."""
    terms: list[str] = []
    depth = 0
    current: list[str] = []
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append("".join(current))
            current = []
        else:
            current.append(char)
    terms.append("".join(current))
    return [term.strip() for term in terms if term.strip()]


def _label_term(term: str) -> Callable[[Mapping[str, str]], bool]:
    found = _SET_TERM.match(term)
    if found:
        key, op, raw_values = found.groups()
        values = frozenset(v.strip() for v in raw_values.split(",") if v.strip())
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    for op in ("!=", "==", "="):
        if op in term:
            key, value = (part.strip() for part in term.split(op, 1))
            if op == "!=":
                return lambda labels: labels.get(key) != value
            return lambda labels: labels.get(key) == value
    if term.startswith("!"):
        key = term[1:].strip()
        return lambda labels: key not in labels
    if re.fullmatch(r"[A-Za-z0-9_./-]+", term):
        return lambda labels: term in labels
    raise ValueError(f"labelSelector: cannot parse term {term!r}; use k=v, k!=v, k, !k, k in (a,b) or k notin (a,b)")


def label_matcher(selector: str | None) -> Matcher | None:
    """None when the selector is empty (everything matches)."""
    if not selector:
        return None
    terms = [_label_term(term) for term in _split_terms(selector)]

    def matches(obj: Mapping[str, Any]) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        return all(term(labels) for term in terms)

    return matches


def _field_value(obj: Mapping[str, Any], path: str) -> str:
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return ""
        node = node.get(part)
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def field_matcher(selector: str | None) -> Matcher | None:
    if not selector:
        return None
    terms: list[tuple[str, bool, str]] = []
    for term in _split_terms(selector):
        for op in ("!=", "==", "="):
            if op in term:
                path, value = (part.strip() for part in term.split(op, 1))
                terms.append((path, op != "!=", value))
                break
        else:
            raise ValueError(f"fieldSelector: cannot parse term {term!r}; use path=value or path!=value")

    def matches(obj: Mapping[str, Any]) -> bool:
        return all((_field_value(obj, path) == value) is equal for path, equal, value in terms)

    return matches


def combine(*matchers: Matcher | None) -> Matcher | None:
    active = [m for m in matchers if m is not None]
    if not active:
        return None
    return lambda obj: all(m(obj) for m in active)
