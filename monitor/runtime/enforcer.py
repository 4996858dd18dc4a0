"""Runs a breached budget's `action: suspend` after each tick, on the leader only (DESIGN: only the leader writes)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

from monitor.core.domain.budgets import BudgetSpec
from monitor.core.domain.enforcement import suspend_orders
from monitor.core.domain.result import TickResult
from monitor.core.ports import Suspender

log = logging.getLogger(__name__)


class BudgetEnforcer:
    """Each order is carried out once: its key (target and budget period) is remembered while the order stands, so a
    tick never repeats a request; the mark the suspender writes on the object carries that across restarts."""

    def __init__(self, budgets: Sequence[BudgetSpec], suspender: Suspender) -> None:
        self._budgets = tuple(b for b in budgets if b.action == "suspend")
        self._suspender = suspender
        self._done: set[tuple[str, str, str]] = set()
        self.outcomes: Counter[str] = Counter()  # what was done, for logs and tests

    @property
    def active(self) -> bool:
        return bool(self._budgets)

    def run(self, result: TickResult) -> None:
        if not result.is_leader or not self._budgets:
            return  # a follower (or a leader whose cache has not synced) never acts
        orders = suspend_orders(self._budgets, result)
        for order in orders:
            if order.key in self._done:
                continue
            outcome = self._suspender.suspend(order)
            self.outcomes[outcome] += 1
            if outcome != "failed":
                self._done.add(order.key)
        self._done &= {order.key for order in orders}  # finished, suspended or a new period: forget it
