"""When to poll a feed next, from the outcome of its last poll (pure arithmetic, no clock).

A healthy feed is polled every `base_interval` seconds unless the publisher asked for less
(`Retry-After`, `Cache-Control: max-age`, `<ttl>`): those lengthen the interval, never shorten
it. A failing feed backs off exponentially, deterministically (tests and `newsbot feeds` can
predict the next poll), up to a cap. A feed that answers 404/410 for days is deactivated.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

__all__ = [
    "MAX_HEALTHY_INTERVAL",
    "Outcome",
    "next_poll_delay",
    "poll_anchor",
    "should_deactivate",
]

Outcome = Literal["ok", "not_modified", "error", "gone"]

MAX_HEALTHY_INTERVAL: float = 6 * 3600.0
"""A publisher's hints never push a healthy feed's next poll further out than this."""


def _hint(value: float | None) -> float:
    """A publisher hint as a non-negative number of seconds (absent or nonsense → 0)."""
    if value is None or value != value or value <= 0:  # `value != value` is NaN
        return 0.0
    return float(value)


def next_poll_delay(
    *,
    base_interval: float,
    outcome: Outcome | str,
    consecutive_failures: int,
    retry_after: float | None,
    max_age: float | None,
    ttl_seconds: int | None,
    max_backoff: float = 86400.0,
) -> float:
    """Seconds until the next poll of a feed.

    `consecutive_failures` counts the failures including the one just recorded (so the first
    failure waits `base_interval`, the second twice that, ...). "gone" (404/410) backs off like
    any other failure; deactivation is decided separately by `should_deactivate`.
    A failure's `retry_after` is honoured up to `max_backoff`.
    """
    base = max(float(base_interval), 0.0)
    if outcome in ("ok", "not_modified"):
        hinted = max(_hint(retry_after), _hint(max_age), _hint(ttl_seconds))
        # The cap only limits how far a hint may push us; the operator's interval always wins.
        return max(base, min(hinted, max(MAX_HEALTHY_INTERVAL, base)))
    failures = max(consecutive_failures, 1)
    # 2**n overflows float for absurd n; beyond 64 doublings the cap has long been reached.
    backoff = base * 2.0 ** min(failures - 1, 64)
    cap = max(max_backoff, base)
    # A server's Retry-After is honoured, but a hostile "come back in ten years" is not.
    return max(min(backoff, cap), min(_hint(retry_after), cap), base)


def poll_anchor(started: datetime, scheduled: datetime | None, interval: float) -> datetime:
    """The moment a healthy feed's next interval counts from: its scheduled time, or the start.

    Counting from the end of the fetch made every poll late by the fetch and then by a whole
    tick (POLL_INTERVAL=3 polled every 6 s). The scheduled time keeps the cadence exact when
    the poll began on time; a feed polled long after its time (the bot was down, a slow
    previous poll) counts from the start of this fetch instead, so it never catches up in
    bursts.
    """
    if scheduled is not None and started - timedelta(seconds=interval) < scheduled <= started:
        return scheduled
    return started


def should_deactivate(first_gone_at: datetime | None, now: datetime, days: float = 3) -> bool:
    """True when a feed has answered 404/410 on every poll since `first_gone_at` for `days`."""
    if first_gone_at is None:
        return False
    return now - first_gone_at >= timedelta(days=days)
