"""A poll's outcome decided from values: health, validators, back-off, switching a feed off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feeds.feed_update import FeedState, classify_error, decide, decide_failure
from feeds.fetch import FetchResult
from feeds.models import ParsedFeed
from handlers.admin import error_in_words

NOW = datetime(2025, 9, 2, 8, 0, tzinfo=UTC)
BASE = 300.0


def _state(**changes: object) -> FeedState:
    values: dict[str, object] = {
        "id": 1,
        "url": "https://example.org/rss",
        "trusted": True,
        "active": True,
        "title": None,
        "language": None,
        "etag": '"old"',
        "last_modified": None,
        "interval_seconds": None,
        "last_polled_at": None,
        "last_success_at": None,
        "last_error_at": None,
        "last_error_kind": None,
        "last_error": None,
        "consecutive_failures": 0,
        "gone_since": None,
        "next_poll_at": None,
    }
    values.update(changes)
    return FeedState(**values)  # type: ignore[arg-type]


def _result(**changes: object) -> FetchResult:
    values: dict[str, object] = {
        "url": "https://example.org/rss",
        "status": 200,
        "body": b"<rss/>",
        "headers": {},
        "etag": '"new"',
        "last_modified": None,
        "not_modified": False,
        "error_kind": None,
        "error": None,
        "retry_after": None,
        "max_age": None,
        "bytes_read": 10,
    }
    values.update(changes)
    return FetchResult(**values)  # type: ignore[arg-type]


def _parsed(**changes: object) -> ParsedFeed:
    values: dict[str, object] = {
        "title": "Krone",
        "link": None,
        "language": "de",
        "ttl_seconds": None,
        "articles": (),
    }
    values.update(changes)
    return ParsedFeed(**values)  # type: ignore[arg-type]


def test_a_good_poll_heals_the_feed_and_takes_the_new_validators_and_title() -> None:
    failing = _state(consecutive_failures=3, gone_since=NOW - timedelta(days=1))
    update = decide(failing, _result(), _parsed(), NOW, base_interval=BASE)
    assert update.status == "ok"
    assert update.state.consecutive_failures == 0
    assert update.state.gone_since is None
    assert update.state.etag == '"new"'
    assert update.state.title == "Krone"
    assert update.state.next_poll_at == NOW + timedelta(seconds=BASE)


def test_a_304_keeps_the_stored_validators_when_none_come_back() -> None:
    update = decide(
        _state(),
        _result(status=304, body=None, etag=None, not_modified=True),
        None,
        NOW,
        base_interval=BASE,
    )
    assert update.status == "not_modified"
    assert update.state.etag == '"old"'


def test_a_feed_ttl_lengthens_the_interval() -> None:
    update = decide(_state(), _result(), _parsed(ttl_seconds=3600), NOW, base_interval=BASE)
    assert update.state.next_poll_at == NOW + timedelta(hours=1)


def test_failures_back_off_and_are_recorded_with_their_kind() -> None:
    once = decide(
        _state(),
        _result(body=None, error_kind="timeout", error="slow"),
        None,
        NOW,
        base_interval=BASE,
    )
    twice = decide(
        once.state,
        _result(body=None, error_kind="timeout", error="slow"),
        None,
        NOW,
        base_interval=BASE,
    )
    assert (once.status, once.state.last_error_kind, once.state.last_error) == (
        "error",
        "timeout",
        "slow",
    )
    assert twice.state.consecutive_failures == 2
    assert twice.state.next_poll_at == NOW + timedelta(seconds=2 * BASE)


def test_a_web_page_is_a_failure_not_a_feed() -> None:
    update = decide(_state(), _result(), _parsed(is_feed=False), NOW, base_interval=BASE)
    assert update.status == "error"
    assert update.state.last_error_kind == "not_a_feed"


def test_a_feed_gone_for_three_days_is_switched_off_and_the_operators_told() -> None:
    gone = _state(gone_since=NOW - timedelta(days=3), consecutive_failures=20)
    update = decide_failure(gone, "http_410", "Gone", NOW, base_interval=BASE)
    assert not update.state.active
    assert update.notice is not None and "410" in update.notice
    recent = decide_failure(_state(), "http_404", "Not Found", NOW, base_interval=BASE)
    assert recent.state.active and recent.notice is None
    assert recent.state.gone_since == NOW


def test_every_error_kind_has_words() -> None:
    def english(text: str) -> str:
        return text

    assert classify_error("http_403") == ("http_4xx", 403)
    assert error_in_words("http_403", english) == "the server refuses it (403)"
    assert error_in_words("timeout", english) == "the server did not answer in time"
    assert error_in_words("something new", english) == "an unknown error"
    assert error_in_words(None, english) == "an unknown error"
