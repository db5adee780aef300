"""Delivery through the fake Bot API: limits, digests, blocked chats, nothing lost."""

from __future__ import annotations

from pathlib import Path

from bench.fakes import FakeBotAPI
from tests.integration.harness import db_count, db_execute, eventually, make_settings, running
from tests.integration.seed import seed_outbox


def _sent(settings: object) -> int:
    return db_count(settings, "SELECT count(*) FROM alerts WHERE status = 'sent'")  # type: ignore[arg-type]


async def test_500_alerts_to_100_chats_all_delivered_within_the_limits(tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        limits = api.set_limits()
        settings = make_settings(api.base_url, tmp_path, [])
        chats = {10_000 + i: 5 for i in range(100)}
        assert await seed_outbox(settings.DATABASE_URL, chats) == 500
        async with running(settings):
            assert await eventually(lambda: _sent(settings) == 500, timeout=90)
        delivered = [m for m in api.sent_messages() if "Matched:" in m["text"]]
        assert len(delivered) == 500
        assert {m["chat"]["id"] for m in delivered} == set(chats)
        assert api.limit_violations(limits) == []
        assert api.count_429 <= 5, api.rejections[:5]  # a loaded machine may jitter a send


async def test_a_burst_for_one_chat_becomes_a_digest_with_every_headline(tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        api.set_limits()
        settings = make_settings(api.base_url, tmp_path, [])
        await seed_outbox(settings.DATABASE_URL, {4242: 40})
        async with running(settings):
            assert await eventually(lambda: _sent(settings) == 40)
        messages = api.sent_messages(4242)
        assert 1 <= len(messages) <= 3
        text = "\n".join(m["text"] for m in messages)
        for number in range(40):
            assert f"Headline {number}: Kim fährt nach China" in text


async def test_a_blocked_chat_is_deactivated_and_others_still_get_theirs(tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        settings = make_settings(api.base_url, tmp_path, [])
        await seed_outbox(settings.DATABASE_URL, {501: 2, 502: 2, 503: 2})
        api.block_chat(502)
        async with running(settings):
            assert await eventually(lambda: _sent(settings) == 4)
            assert await eventually(
                lambda: db_count(settings, "SELECT count(*) FROM chats WHERE active = false") == 1
            )
        assert db_count(settings, "SELECT active FROM chats WHERE id = 502") == 0
        assert db_count(settings, "SELECT count(*) FROM alerts WHERE status = 'dropped'") == 2
        assert len(api.sent_messages(501)) == 2 and len(api.sent_messages(503)) == 2


async def test_after_a_429_the_chat_is_retried_and_nothing_is_lost(tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        settings = make_settings(api.base_url, tmp_path, [])
        await seed_outbox(settings.DATABASE_URL, {601: 1, 602: 1})
        api.fail_next(
            "sendMessage", 429, "Too Many Requests: retry after 1", chat_id=601, retry_after=1
        )
        async with running(settings):
            assert await eventually(lambda: _sent(settings) == 2)
        assert len(api.sent_messages(601)) == 1 and len(api.sent_messages(602)) == 1


async def test_oversized_title_link_and_source_still_reach_the_reader(tmp_path: Path) -> None:
    """Issue 11 item 4: a 4.5k-character link and a 4.2k-character feed title got a 400."""
    with FakeBotAPI() as api:
        settings = make_settings(api.base_url, tmp_path, [])
        await seed_outbox(settings.DATABASE_URL, {7007: 1, 7008: 7})
        db_execute(
            settings,
            "UPDATE articles SET link = CAST(? AS TEXT) || id,"
            " title = 'Kim ' || CAST(? AS TEXT) || id",
            "https://news.example.org/" + "a" * 4500 + "/",
            "Ü" * 4200,
        )
        db_execute(settings, "UPDATE feeds SET title = ?", "S" * 4200)
        async with running(settings):
            assert await eventually(lambda: _sent(settings) == 8)
        assert db_count(settings, "SELECT count(*) FROM alerts WHERE status = 'failed'") == 0
        assert len(api.sent_messages(7007)) == 1
        assert all(len(m["text"]) <= 4096 for m in api.sent_messages())
