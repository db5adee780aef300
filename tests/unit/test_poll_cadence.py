"""Issue 11 item 11: a feed's next poll counts from when its poll began, not when it ended."""

from __future__ import annotations

from datetime import timedelta

from feeds.feed_update import decide
from feeds.schedule import poll_anchor
from tests.unit.test_feed_update import NOW, _result, _state

INTERVAL = 3.0


def _seconds(delta: timedelta) -> float:
    return delta.total_seconds()


def test_a_poll_that_began_on_time_keeps_the_cadence_however_long_it_took() -> None:
    scheduled = NOW
    started = NOW + timedelta(seconds=0.4)  # the next tick
    written = NOW + timedelta(seconds=2.5)  # a slow fetch and parse
    update = decide(
        _state(next_poll_at=scheduled),
        _result(not_modified=True, body=None, status=304),
        None,
        written,
        base_interval=INTERVAL,
        started=started,
    )
    assert update.state.next_poll_at == NOW + timedelta(seconds=3)
    # What the reader sees: polled every 3 s, not every 3 s plus the fetch plus a tick.
    assert _seconds(update.state.next_poll_at - scheduled) == INTERVAL


def test_a_feed_polled_long_after_its_time_counts_from_the_start_of_the_fetch() -> None:
    started = NOW + timedelta(hours=1)  # the bot was down
    assert poll_anchor(started, NOW, INTERVAL) == started
    update = decide(
        _state(next_poll_at=NOW),
        _result(not_modified=True, body=None, status=304),
        None,
        started + timedelta(seconds=2),
        base_interval=INTERVAL,
        started=started,
    )
    assert update.state.next_poll_at == started + timedelta(seconds=3)


def test_a_new_feed_counts_from_the_start_of_its_first_fetch() -> None:
    assert poll_anchor(NOW, None, INTERVAL) == NOW
    assert poll_anchor(NOW, NOW + timedelta(seconds=1), INTERVAL) == NOW  # not yet due
