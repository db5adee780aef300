"""Where a reply puts a number next to a noun, the noun takes the form the reader's language
needs for that number (Russian "21 ленту", "25 лент"; German "1 Feed", "3 Feeds")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from db.stats import BotStats, FeedProblem
from handlers.admin import sources_lines, stats_text
from handlers.i18n import plural_translator, translator
from services.feeds import FeedView

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def _feed(number: int, failures: int = 0) -> FeedView:
    return FeedView(
        id=number,
        url=f"https://news{number}.example/feed.xml",
        title=f"News {number}",
        active=True,
        origin="file",
        consecutive_failures=failures,
        last_error_kind="timeout" if failures else None,
        last_error="timed out" if failures else None,
        last_success_at=NOW,
        last_error_at=NOW if failures else None,
        next_poll_at=None,
    )


def _stats(*, refused: int, failures: int) -> BotStats:
    problem = FeedProblem("https://a.example/feed", "A", failures, "timeout", "timed out", None)
    return BotStats(
        chats_active=3,
        chats_paused=0,
        chats_blocked=0,
        subscriptions=5,
        feeds_healthy=20,
        feeds_failing=1,
        feeds_waiting=0,
        feeds_off=0,
        worst_feeds=[problem],
        articles_today=10,
        articles_total=100,
        alerts_sent=7,
        alerts_queued=0,
        alerts_parked=0,
        alerts_failed=refused,
    )


@pytest.mark.parametrize(
    ("language", "count", "heading"),
    [
        ("ru", 21, "Я читаю 21 ленту"),
        ("ru", 25, "Я читаю 25 лент"),
        ("uk", 3, "Я читаю 3 стрічки"),
        ("de", 1, "Ich lese 1 Feed<"),
        ("de", 3, "Ich lese 3 Feeds"),
        ("en", 1, "I read 1 feed<"),
    ],
)
def test_sources_counts_the_feeds_in_the_readers_grammar(
    language: str, count: int, heading: str
) -> None:
    feeds = [_feed(number) for number in range(count)]
    lines = sources_lines(feeds, translator(language), plural_translator(language), language, "UTC")
    assert heading in lines[0]


@pytest.mark.parametrize(
    ("language", "refused", "failures", "expected"),
    [
        ("ru", 1, 5, ("Telegram отклонил 1 уведомление.", "5 ошибок подряд")),
        ("ru", 2, 3, ("Telegram отклонил 2 уведомления.", "3 ошибки подряд")),
        ("de", 1, 1, ("1 Benachrichtigung hat Telegram abgelehnt.", "1 Fehler in Folge")),
        ("en", 1, 1, ("1 alert was refused by Telegram.", "1 failure in a row")),
        ("en", 2, 4, ("2 alerts were refused by Telegram.", "4 failures in a row")),
    ],
)
def test_stats_count_refusals_and_failures_in_the_readers_grammar(
    language: str, refused: int, failures: int, expected: tuple[str, str]
) -> None:
    text = stats_text(
        _stats(refused=refused, failures=failures),
        1.5,
        translator(language),
        plural_translator(language),
        language,
    )
    assert all(part in text for part in expected), text
