"""Decide, then apply: a feed's new state from one poll (pure; storage writes the result).

`decide(state, fetch result, parsed feed or None, now)` is the whole rule set of a poll's
outcome: validators, health, back-off, the next poll time, and switching off a feed that has
been gone for days. It reads values and returns a value; it never touches a database.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from feeds.fetch import FetchResult
from feeds.models import ParsedFeed
from feeds.schedule import next_poll_delay, poll_anchor, should_deactivate

__all__ = [
    "ErrorKind",
    "FeedState",
    "FeedUpdate",
    "classify_error",
    "decide",
    "decide_failure",
    "failure_of",
]

ErrorKind = Literal[
    "timeout",
    "network",
    "http_404",
    "http_410",
    "http_429",
    "http_4xx",
    "http_5xx",
    "too_large",
    "redirects",
    "blocked_address",
    "bad_scheme",
    "bad_url",
    "decode",
    "not_a_feed",
    "internal",
    "unknown",
]
"""Why a feed failed. Stored as the fetcher's string ("http_403"); `classify_error` maps it."""

_NAMED: frozenset[str] = frozenset(
    {
        "timeout",
        "network",
        "http_404",
        "http_410",
        "http_429",
        "http_5xx",
        "too_large",
        "redirects",
        "blocked_address",
        "bad_scheme",
        "bad_url",
        "decode",
        "not_a_feed",
        "internal",
    }
)
GONE_KINDS = frozenset({"http_404", "http_410"})
MAX_ERROR_TEXT = 2000


def classify_error(stored: str | None) -> tuple[ErrorKind, int | None] | None:
    """A stored error kind as the typed kind and, for other HTTP refusals, the status code."""
    if stored is None:
        return None
    if stored in _NAMED:
        return stored, None  # type: ignore[return-value]  # membership checked just above
    status = stored.removeprefix("http_")
    if stored.startswith("http_") and status.isdigit():
        return "http_4xx", int(status)
    return "unknown", None


@dataclass(frozen=True, slots=True)
class FeedState:
    """What a poll needs to know of a feed, and what it may change."""

    id: int
    url: str
    trusted: bool
    active: bool
    title: str | None
    language: str | None
    etag: str | None
    last_modified: str | None
    interval_seconds: float | None
    last_polled_at: datetime | None
    last_success_at: datetime | None
    last_error_at: datetime | None
    last_error_kind: str | None
    last_error: str | None
    consecutive_failures: int
    gone_since: datetime | None
    next_poll_at: datetime | None


@dataclass(frozen=True, slots=True)
class FeedUpdate:
    """A poll's result: the feed's new state, and what to tell whom."""

    state: FeedState
    status: Literal["ok", "not_modified", "error"]
    notice: str | None = None
    """For the operators: the feed was switched off."""


def failure_of(result: FetchResult, parsed: ParsedFeed | None) -> tuple[str, str] | None:
    """(kind, message) when the poll failed: the fetch, or a body that is not a feed."""
    if result.error_kind is not None:
        return result.error_kind, result.error or result.error_kind
    if parsed is not None and not parsed.is_feed:
        return "not_a_feed", parsed.problem or "the response is not an RSS or Atom feed"
    return None


def decide(
    state: FeedState,
    result: FetchResult,
    parsed: ParsedFeed | None,
    now: datetime,
    *,
    base_interval: float,
    started: datetime | None = None,
) -> FeedUpdate:
    """The feed after this poll: a 200 or 304 resets its health, a failure backs it off.

    `started` is when the fetch began: the next poll counts from it (or from the time the
    poll was scheduled for), not from `now`, when the result is written.
    """
    failure = failure_of(result, parsed)
    if failure is not None:
        kind, message = failure
        return decide_failure(
            state, kind, message, now, base_interval=base_interval, retry_after=result.retry_after
        )
    status: Literal["ok", "not_modified"] = "not_modified" if result.not_modified else "ok"
    if parsed is not None:
        # A full response replaces the validators.
        title = state.title or parsed.title or None
        language = parsed.language or state.language
        etag, last_modified = result.etag, result.last_modified
    else:  # a 304 may refresh them
        title, language = state.title, state.language
        etag = result.etag or state.etag
        last_modified = result.last_modified or state.last_modified
    delay = next_poll_delay(
        base_interval=base_interval,
        outcome=status,
        consecutive_failures=0,
        retry_after=result.retry_after,
        max_age=result.max_age,
        ttl_seconds=parsed.ttl_seconds if parsed is not None else None,
    )
    new = dataclasses.replace(
        state,
        title=title,
        language=language,
        etag=etag,
        last_modified=last_modified,
        last_polled_at=now,
        last_success_at=now,
        consecutive_failures=0,
        gone_since=None,
        interval_seconds=delay,
        next_poll_at=poll_anchor(started or now, state.next_poll_at, base_interval)
        + timedelta(seconds=delay),
    )
    return FeedUpdate(new, status)


def decide_failure(
    state: FeedState,
    kind: str,
    message: str,
    now: datetime,
    *,
    base_interval: float,
    retry_after: float | None = None,
) -> FeedUpdate:
    """A failed poll: counted, backed off; a feed gone (404/410) for days is switched off."""
    gone = kind in GONE_KINDS
    failures = state.consecutive_failures + 1
    gone_since = (state.gone_since or now) if gone else None
    delay = next_poll_delay(
        base_interval=base_interval,
        outcome="gone" if gone else "error",
        consecutive_failures=failures,
        retry_after=retry_after,
        max_age=None,
        ttl_seconds=None,
    )
    switched_off = should_deactivate(gone_since, now)
    new = dataclasses.replace(
        state,
        last_polled_at=now,
        consecutive_failures=failures,
        last_error_kind=kind,
        last_error=message[:MAX_ERROR_TEXT],
        last_error_at=now,
        gone_since=gone_since,
        next_poll_at=now + timedelta(seconds=delay),
        active=state.active and not switched_off,
    )
    notice = None
    if switched_off and gone_since is not None:
        notice = (
            f"Feed deactivated: {state.url} has answered {kind.removeprefix('http_')} "
            f"since {gone_since:%Y-%m-%d %H:%M} UTC."
        )
    return FeedUpdate(new, "error", notice)
