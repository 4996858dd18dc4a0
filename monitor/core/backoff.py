"""The one backoff rule, used by the watcher, the notification dispatcher, the pricing cache and CloudWatch retries.

    d = min(max_seconds, base_seconds · 2^retry)        (retry = 0 for the first retry)
    jitter "none":  sleep d
    jitter "equal": sleep d/2 + uniform(0, d/2)          (never less than half: a floor under hammering)
    jitter "full":  sleep uniform(0, d)                  (spreads best when many clients collide on one limit)

Source: Marc Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015. The callers differ only in their
base, cap and jitter; the formula lives here once. Pure: the random source is passed in.
"""

from __future__ import annotations

import random
from typing import Literal

Jitter = Literal["none", "equal", "full"]

# base·2^64 exceeds any cap in seconds; limiting the exponent keeps 2.0**retry from overflowing a float.
_MAX_EXPONENT = 64


def backoff_seconds(
    retry: int, *, base_seconds: float, max_seconds: float, jitter: Jitter, rng: random.Random | None = None
) -> float:
    """Seconds to wait before retry number `retry` (0-based), by the formula in the module docstring.
    `rng` is required for "equal" and "full" jitter."""
    delay = min(max_seconds, base_seconds * 2.0 ** min(max(retry, 0), _MAX_EXPONENT))
    if jitter == "none":
        return delay
    if rng is None:
        raise ValueError(f"jitter={jitter!r} needs a random source (rng)")
    if jitter == "equal":
        return delay / 2.0 + rng.uniform(0.0, delay / 2.0)
    return rng.uniform(0.0, delay)
