"""Bounds on values users write (annotations, query parameters) before anything parses them.

A value from a user is untrusted text: Python parses some of it in time or memory that grows with its size (a
5,000-digit integer, `json.loads` of 100,000 nested brackets recurses until RecursionError, `Decimal("1e999999999")`
overflows on the first arithmetic). Each check here is linear in the text's length and runs before the parser, so
every bad value ends as a `BoundError` naming what to change, never as an exception from deep inside a library.
"""

from __future__ import annotations

import json
import math
from typing import Any

# Longest scalar annotation taken at all ("2000000000", "llama-3-8b", "0.42"): anything longer is not a value.
MAX_SCALAR_CHARS = 256
# A Hugging Face config.json is 1-10 KB (Llama-3-70B's is 0.7 KB); 64 KiB leaves room for long vocab maps' absence.
MAX_JSON_CHARS = 65_536
# config.json nests 2-3 levels (rope_scaling, quantization_config); 32 is far above any real one and far below the
# interpreter's recursion limit (1,000).
MAX_JSON_DEPTH = 32
# Integers in a config or a count: 2^53 is the largest an IEEE double holds exactly; no layer count, width, vocabulary
# or step number comes near it. Also keeps int(str) far from CPython's 4,300-digit limit (a ValueError).
MAX_INTEGER = 2**53
MAX_INTEGER_DIGITS = 16
# How much of a bad value a problem, an Event or a log line repeats.
DISPLAY_CHARS = 200


class BoundError(ValueError):
    """A value outside its bound; `fix` says what it must be."""

    def __init__(self, fix: str) -> None:
        self.fix = fix
        super().__init__(fix)


def clip(text: str, limit: int = DISPLAY_CHARS) -> str:
    """`text` cut to `limit` characters, saying how much was left out (for messages, Events and logs)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def check_length(text: str, limit: int = MAX_SCALAR_CHARS) -> str:
    if len(text) > limit:
        raise BoundError(f"must be at most {limit} characters long (this one is {len(text)})")
    return text


def json_depth(text: str) -> int:
    """Deepest nesting of [ and { outside strings, in one linear pass (so deep input never reaches the parser)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _bounded_int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > MAX_INTEGER_DIGITS or abs(int(text)) > MAX_INTEGER:
        raise BoundError(f"must hold integers of at most {MAX_INTEGER} (2^53), not {clip(text, 40)}")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BoundError(f"must hold finite numbers; {clip(text, 40)} is beyond a double's range")
    return value


def _no_constant(name: str) -> Any:
    raise BoundError(f"must hold finite numbers, not {name} (which is not JSON)")


def load_bounded_json(text: str) -> Any:
    """`json.loads` with size, depth and number bounds; `BoundError` or `json.JSONDecodeError` when they fail."""
    check_length(text, MAX_JSON_CHARS)
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise BoundError(f"must nest at most {MAX_JSON_DEPTH} levels deep (this one nests {depth})")
    return json.loads(text, parse_int=_bounded_int, parse_float=_finite_float, parse_constant=_no_constant)
