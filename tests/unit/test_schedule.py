"""A feed's next poll: publisher hints lengthen, failures back off, gone feeds retire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from feeds.schedule import MAX_HEALTHY_INTERVAL, next_poll_delay, should_deactivate

BASE = 300.0


def delay(outcome: str = "ok", failures: int = 0, **hints: float | None) -> float:
    return next_poll_delay(
        base_interval=BASE,
        outcome=outcome,
        consecutive_failures=failures,
        retry_after=hints.get("retry_after"),
        max_age=hints.get("max_age"),
        ttl_seconds=int(t) if (t := hints.get("ttl_seconds")) is not None else None,
    )


def test_a_healthy_feed_is_polled_every_base_interval() -> None:
    assert delay("ok") == BASE
    assert delay("not_modified") == BASE


@pytest.mark.parametrize("hint", ["retry_after", "max_age", "ttl_seconds"])
def test_publisher_hints_lengthen_the_interval(hint: str) -> None:
    assert delay("ok", **{hint: 1800}) == 1800


def test_publisher_hints_never_shorten_the_interval() -> None:
    assert delay("ok", retry_after=5, max_age=10, ttl_seconds=60) == BASE


def test_the_longest_hint_wins_up_to_a_cap() -> None:
    assert delay("ok", max_age=900, ttl_seconds=3600) == 3600
    assert delay("ok", ttl_seconds=7 * 86400) == MAX_HEALTHY_INTERVAL


def test_an_operator_interval_above_the_cap_still_holds() -> None:
    long_base = MAX_HEALTHY_INTERVAL * 2
    assert (
        next_poll_delay(
            base_interval=long_base,
            outcome="ok",
            consecutive_failures=0,
            retry_after=None,
            max_age=None,
            ttl_seconds=None,
        )
        == long_base
    )


def test_failures_back_off_exponentially_and_deterministically() -> None:
    assert [delay("error", n) for n in range(1, 6)] == [300, 600, 1200, 2400, 4800]
    assert delay("gone", 3) == 1200


def test_backoff_is_capped() -> None:
    assert delay("error", 30) == 86400
    assert delay("error", 10_000) == 86400


def test_a_failure_waits_at_least_retry_after_but_not_forever() -> None:
    assert delay("error", 1, retry_after=3600) == 3600
    assert delay("error", 1, retry_after=10 * 365 * 86400) == 86400


def test_nonsense_hints_are_ignored() -> None:
    assert delay("ok", retry_after=-5, max_age=float("nan")) == BASE


def test_a_feed_gone_for_days_is_deactivated() -> None:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    assert not should_deactivate(None, now)
    assert not should_deactivate(now - timedelta(days=2, hours=23), now)
    assert should_deactivate(now - timedelta(days=3), now)
    assert should_deactivate(now - timedelta(days=1), now, days=1)
