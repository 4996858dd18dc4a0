"""Retrying CloudWatch calls that are throttled.

botocore's own retry handler (standard mode) already retries throttling a few times; on top of that, reconciling many
alarms can exceed CloudWatch's per-account TPS for minutes, so each call gets its own exponential backoff with full
jitter (`monitor.core.backoff`, "full": many calls collide on one account-wide limit).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from monitor.core.backoff import backoff_seconds

if TYPE_CHECKING:
    from botocore.config import Config
    from botocore.exceptions import ClientError

T = TypeVar("T")

THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded", "TooManyRequestsException"}
)


def client_config(max_attempts: int = 5) -> Config:
    """botocore client config: standard retry mode (retries throttling and 5xx with backoff) and short timeouts."""
    # botocore is imported where an AWS client is made, not at import: ~6 MiB the daemon carries only with AWS on.
    from botocore.config import Config

    return Config(retries={"max_attempts": max_attempts, "mode": "standard"}, connect_timeout=5, read_timeout=20)


def is_throttling(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code", "") in THROTTLING_CODES


def with_backoff(
    call: Callable[[], T],
    *,
    attempts: int = 6,
    base_seconds: float = 0.5,
    max_seconds: float = 20.0,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Runs `call`, retrying throttling errors up to `attempts` times in all; any other error is raised at once."""
    from botocore.exceptions import ClientError  # only a caller holding a boto3 client gets here

    jitter = rng or random.Random()
    for attempt in range(attempts):
        try:
            return call()
        except ClientError as exc:
            if not is_throttling(exc) or attempt == attempts - 1:
                raise
            sleep(
                backoff_seconds(attempt, base_seconds=base_seconds, max_seconds=max_seconds, jitter="full", rng=jitter)
            )
    raise AssertionError("unreachable: the loop returns or raises")
