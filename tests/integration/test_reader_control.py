"""Readers control their alerts (pause, mute, block, groups); Telegram's error answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.fakes import FakeBotAPI, FeedServer, rss
from bot.settings import Settings
from tests.integration.harness import db_count, eventually, make_settings, running
from tests.integration.seed import seed_outbox

READER = 7001


def _alerts(api: FakeBotAPI, chat_id: int) -> list[dict[str, Any]]:
    return [m for m in api.sent_messages(chat_id) if "Matched:" in m["text"]]


def _item(number: int, title: str) -> dict[str, object]:
    return {
        "title": title,
        "link": f"https://news.example.org/{number}",
        "guid": f"item-{number}",
        # Each its own words: one outlet's items that share a description would be taken
        # for one story, and alert once.
        "description": f"{title}.",
    }


def _serve(feeds: FeedServer, *titles: str) -> str:
    """The test feed with these items (the first is the backlog the first poll stores)."""
    return feeds.set_feed("/f.xml", rss([_item(number, t) for number, t in enumerate(titles)]))


def _articles(settings: Settings) -> int:
    return db_count(settings, "SELECT count(*) FROM articles")


async def test_pause_skips_alerts_and_resume_brings_new_ones(tmp_path: Path) -> None:
    with FakeBotAPI() as api, FeedServer() as feeds:
        settings = make_settings(api.base_url, tmp_path, [_serve(feeds, "Backlog")])
        async with running(settings):
            assert await eventually(lambda: _articles(settings) == 1)
            api.push_message(READER, "/subscribe Nordkorea")
            api.push_message(READER, "/pause")
            assert len(await api.wait_for_messages_async(READER, 2)) == 2
            _serve(feeds, "Backlog", "Nordkorea testet Rakete")
            assert await eventually(
                lambda: db_count(settings, "SELECT count(*) FROM alerts WHERE status='held'") == 1
            )
            api.push_message(READER, "/resume")
            resumed = await api.wait_for_messages_async(READER, 3)
            assert "1 article matched while paused and was skipped." in resumed[-1]["text"]
            _serve(feeds, "Backlog", "Nordkorea testet Rakete", "Nordkoreas Armee")
            assert await eventually(lambda: len(_alerts(api, READER)) == 1)
        titles = [m["text"].split("\n")[0] for m in _alerts(api, READER)]
        assert titles == ["Nordkoreas Armee"]


async def test_mute_button_stops_that_subscription(tmp_path: Path) -> None:
    with FakeBotAPI() as api, FeedServer() as feeds:
        settings = make_settings(api.base_url, tmp_path, [_serve(feeds, "Backlog")])
        async with running(settings):
            assert await eventually(lambda: _articles(settings) == 1)
            api.push_message(READER, "/subscribe China")
            await api.wait_for_messages_async(READER, 1)
            _serve(feeds, "Backlog", "Kim fährt nach China")
            assert await eventually(lambda: len(_alerts(api, READER)) == 1)
            alert = _alerts(api, READER)[0]
            button = alert["reply_markup"]["inline_keyboard"][0][0]
            assert button["callback_data"].startswith("mute:")
            query_id = api.push_callback_query(READER, alert["message_id"], button["callback_data"])
            assert await api.wait_for_async(lambda: bool(api.callback_answers(query_id)))
            assert "China" in api.callback_answers(query_id)[0].get("text", "")
            muted = "SELECT count(*) FROM subscriptions WHERE muted = true"
            assert await eventually(lambda: db_count(settings, muted) == 1)
            _serve(feeds, "Backlog", "Kim fährt nach China", "China wächst")
            assert await eventually(lambda: _articles(settings) == 3)
            polls = feeds.count("/f.xml")
            assert await eventually(lambda: feeds.count("/f.xml") >= polls + 1)
        assert len(_alerts(api, READER)) == 1


async def test_kicked_bot_deactivates_and_start_reactivates(tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        settings = make_settings(api.base_url, tmp_path, [])
        async with running(settings):
            api.push_message(READER, "/start")
            await api.wait_for_messages_async(READER, 1)
            api.push_my_chat_member(READER, "kicked", old_status="member")
            active = f"SELECT active FROM chats WHERE id = {READER}"
            assert await eventually(lambda: db_count(settings, active) == 0)
            api.push_message(READER, "/start")
            assert await eventually(lambda: db_count(settings, active) == 1)


async def test_only_group_admins_subscribe_and_group_alerts_respect_the_limit(
    tmp_path: Path,
) -> None:
    group = -5005
    with FakeBotAPI() as api:
        limits = api.set_limits()
        settings = make_settings(api.base_url, tmp_path, [])
        async with running(settings):
            api.push_message(group, "/subscribe Kim", user_id=42, chat_type="group")
            refused = await api.wait_for_messages_async(group, 1)
            assert "administrators" in refused[0]["text"]
            api.set_member_status(group, 43, "administrator")
            api.push_message(group, "/subscribe Kim", user_id=43, chat_type="group")
            accepted = await api.wait_for_messages_async(group, 2)
            assert "Kim" in accepted[1]["text"] and "administrators" not in accepted[1]["text"]
        assert db_count(settings, "SELECT count(*) FROM subscriptions") == 1
        await seed_outbox(settings.DATABASE_URL, {-6006: 4})
        async with running(settings):
            assert await eventually(
                lambda: db_count(settings, "SELECT count(*) FROM alerts WHERE status='sent'") == 4
            )
        assert api.limit_violations(limits) == []


async def test_migrated_group_gets_its_alert_under_the_new_id(tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        settings = make_settings(api.base_url, tmp_path, [])
        await seed_outbox(settings.DATABASE_URL, {-7007: 1})
        api.migrate_chat(-7007, -1007007)
        async with running(settings):
            assert await eventually(lambda: len(api.sent_messages(-1007007)) == 1)
        assert db_count(settings, "SELECT count(*) FROM chats WHERE id = -1007007") == 1
        assert (
            db_count(settings, "SELECT count(*) FROM subscriptions WHERE chat_id = -1007007") == 1
        )


async def test_refused_markup_is_resent_as_plain_text(tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        settings = make_settings(api.base_url, tmp_path, [])
        await seed_outbox(settings.DATABASE_URL, {8008: 1})
        api.fail_next(
            "sendMessage",
            400,
            'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0',
        )
        async with running(settings):
            assert await eventually(lambda: len(api.sent_messages(8008)) == 1)
        message = api.sent_messages(8008)[0]
        assert message.get("parse_mode") in (None, "")
        assert "Matched: Kim" in message["text"]


async def test_other_bad_requests_are_recorded_not_retried(tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        settings = make_settings(api.base_url, tmp_path, [])
        await seed_outbox(settings.DATABASE_URL, {9009: 1, 9010: 1})
        api.fail_next("sendMessage", 400, "Bad Request: chat not found", chat_id=9009)
        async with running(settings):
            failed = (
                "SELECT count(*) FROM alerts "
                "WHERE status='failed' AND lower(last_error) LIKE '%chat not found%'"
            )
            assert await eventually(lambda: db_count(settings, failed) == 1)
            assert await eventually(lambda: len(api.sent_messages(9010)) == 1)


async def test_server_errors_retry_and_a_hopeless_alert_is_parked(tmp_path: Path) -> None:
    from bot.delivery import DeliveryLimits

    with FakeBotAPI() as api:
        settings = make_settings(api.base_url, tmp_path, [])
        await seed_outbox(settings.DATABASE_URL, {9100: 1, 9101: 1})
        api.fail_next("sendMessage", 502, "Bad Gateway", chat_id=9100, times=1)
        api.fail_next("sendMessage", 500, "Internal Server Error", chat_id=9101, times=50)
        limits = DeliveryLimits(park_after=2, retry_base=0.1)
        async with running(settings, delivery_limits=limits):
            assert await eventually(lambda: len(api.sent_messages(9100)) == 1)
            parked = "SELECT count(*) FROM alerts WHERE status='parked' AND chat_id = 9101"
            assert await eventually(lambda: db_count(settings, parked) == 1)


async def test_a_reply_throttled_by_telegram_is_sent_after_the_wait(tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        settings = make_settings(api.base_url, tmp_path, [])
        async with running(settings):
            api.fail_next(
                "sendMessage",
                429,
                "Too Many Requests: retry after 1",
                chat_id=READER,
                retry_after=1,
            )
            api.push_message(READER, "/list")
            replies = await api.wait_for_messages_async(READER, 1)
        assert len(replies) == 1
        assert "subscriptions" in replies[0]["text"]
