"""Whether this process is doing its job, for `/healthz`.

A standby instance is healthy (it is doing its job: waiting); an active one is healthy while
its poll loop ticks and its delivery loop runs. A loop that has not ticked for
`DEAD_AFTER_TICKS` intervals counts as dead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Role = Literal["starting", "standby", "active", "stopping"]
DEAD_AFTER_TICKS = 5
"""Poll ticks missed before the poll loop counts as dead."""
DEAD_AFTER_SECONDS = 60.0
"""…and never sooner than this: the tick is a second, and a loaded host may skip a few."""


@dataclass
class Health:
    """What `/healthz` reports; the service loop and the jobs write into it."""

    poll_tick: float
    """Seconds between poll job ticks."""
    monotonic: Callable[[], float] = time.monotonic
    role: Role = "starting"
    waiting_for: str = ""
    """While starting: what the process waits for (Telegram, the database)."""
    last_poll_tick: float | None = None
    delivery_problem: Callable[[], str | None] = field(default=lambda: None)
    """None while the delivery loop runs, else why it does not."""

    active_since: float | None = None

    def become_active(self) -> None:
        self.role = "active"
        self.active_since = self.monotonic()

    def poll_ticked(self) -> None:
        self.last_poll_tick = self.monotonic()

    def report(self) -> tuple[int, dict[str, object]]:
        """HTTP status and JSON body."""
        body: dict[str, object] = {"role": self.role}
        problems: list[str] = []
        if self.role == "starting":
            problems.append(f"starting: {self.waiting_for or 'not up yet'}")
        elif self.role == "stopping":
            problems.append("stopping")
        elif self.role == "active":
            problems.extend(self._loop_problems(body))
        if problems:
            body.update(status="unhealthy", reason="; ".join(problems))
            return 503, body
        body["status"] = "ok"
        return 200, body

    def _loop_problems(self, body: dict[str, object]) -> list[str]:
        problems = []
        # A loop that just started counts from the moment it did.
        last = self.last_poll_tick if self.last_poll_tick is not None else self.active_since
        if last is None:
            problems.append("the poll loop has not started")
        else:
            age = self.monotonic() - last
            body["poll_tick_age_seconds"] = round(age, 1)
            if age > max(DEAD_AFTER_TICKS * self.poll_tick, DEAD_AFTER_SECONDS):
                problems.append(f"the poll loop has not ticked for {age:.0f} s")
        delivery = self.delivery_problem()
        if delivery is not None:
            problems.append(delivery)
        return problems
