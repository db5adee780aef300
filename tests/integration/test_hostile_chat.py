"""Hostile chat input end to end, through the fake Bot API: forged and oversized callbacks, odd
digits, very long arguments, other bots' commands, edits. Nothing reaches the generic error,
nothing of one chat is readable from another, no message is edited by a tap it did not carry.
"""

from __future__ import annotations

from pathlib import Path

from bench.fakes import FakeBotAPI
from db import feeds as feed_store
from db.engine import make_engine, make_sessionmaker, migrate
from db.unit import Database
from tests.integration.harness import db_count, make_settings, running
from tests.integration.seed import NOW, article, store_articles
from tests.integration.test_chat_limits import COUNTRIES

READER = 4242
OTHER = 4343
GENERIC = "Sorry, something went wrong"
FORGED = (
    "s:1:0",
    "s:AAAAAAAAAAAA:1",
    "s:" + "A" * 60,
    "unsub:²",
    "unsub:99999999999999999999999999",
    "unsub:p²",
    "mute:" + "9" * 59,
    "unmute:-1",
    "list:²",
    "list:99999",
    "try:²",
    "try:999999999999999999999999",
    "lang:xx",
    "set:hour:²",
    "set:quiet:²-1",
    "set:quiet:1-99999999999999999999",
    "set:al:" + "ß" * 28,
    "rmfeed:p²",
    "rmfeed:" + "1" * 40,
    "💥" * 16,
    "",
)


async def _seed(url: str, count: int) -> None:
    migrate(url)
    engine = make_engine(url)
    db = Database(make_sessionmaker(engine))
    try:
        async with db.write() as session:
            await feed_store.merge_feeds(session, [("http://127.0.0.1:9/k.xml", "K")], now=NOW)
            feed_id = (await feed_store.all_feeds(session))[0].id
            await store_articles(
                session, feed_id, [article(i) for i in range(count)], now=NOW, match=None
            )
    finally:
        await engine.dispose()


def _texts(api: FakeBotAPI, chat: int) -> list[str]:
    return [m["text"] for m in api.sent_messages(chat)]


async def test_forged_taps_are_answered_and_change_nothing(tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        settings = make_settings(api.base_url, tmp_path, [])
        await _seed(settings.DATABASE_URL, 8)
        async with running(settings):
            api.push_message(READER, "/search Kim")
            results = (await api.wait_for_messages_async(READER, 1))[-1]
            older = results["reply_markup"]["inline_keyboard"][0][-1]["callback_data"]
            assert older.startswith("s:") and older != "s:1:1"
            api.push_message(READER, "/settings")
            panel = (await api.wait_for_messages_async(READER, 2))[-1]
            api.push_message(OTHER, "/start")
            await api.wait_for_messages_async(OTHER, 1)

            # Another chat with the real button, the same chat on the settings message,
            # and every kind of forged data on both messages.
            taps = [api.push_callback_query(OTHER, results["message_id"], older)]
            taps.append(api.push_callback_query(READER, panel["message_id"], older))
            for data in FORGED:
                for message in (results, panel):
                    taps.append(api.push_callback_query(READER, message["message_id"], data))
            assert await api.wait_for_async(lambda: len(api.callback_answers()) >= len(taps))

            assert not api.edits()
            answers = api.callback_answers()
            assert all(len(a.get("text") or "") <= 200 for a in answers)
            assert {a["callback_query_id"] for a in answers} == set(taps)
            assert not any(GENERIC in t for t in _texts(api, READER) + _texts(api, OTHER))

            # The real button in the chat that searched still turns the page.
            api.push_callback_query(READER, results["message_id"], older)
            assert await api.wait_for_async(lambda: len(api.edits(READER)) == 1)
            assert api.edits(READER)[0]["message_id"] == results["message_id"]


async def test_odd_arguments_other_bots_and_edits(tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        settings = make_settings(api.base_url, tmp_path, [])
        await _seed(settings.DATABASE_URL, 3)
        async with running(settings):
            for command in ("/subscribe Putin", "/subscribe Nordkorea", "/subscribe " + COUNTRIES):
                api.push_message(READER, command)
                await api.wait_for_messages_async(READER, len(_texts(api, READER)) + 1)
            assert "too broad" in _texts(api, READER)[-1]
            api.push_message(READER, "/unsubscribe ²")
            await api.wait_for_messages_async(READER, 4)
            assert "can't find that subscription" in _texts(api, READER)[-1]

            api.push_message(READER, "/unsubscribe 2")
            replies = await api.wait_for_messages_async(READER, 5)
            assert replies[-1]["text"] == "Removed Nordkorea."

            sent = api.push_message(READER, "/start@some_other_bot")
            api.push_edited_message(sent, "/subscribe Trump")
            api.push_message(READER, "/search " + "Kim " * 750)  # 3,000 characters
            searched = (await api.wait_for_messages_async(READER, 6))[-1]
            assert "too long" in searched["text"] and len(searched["text"]) < 300
            api.push_message(READER, "/help")
            replies = await api.wait_for_messages_async(READER, 7)
            assert len(replies) == 7  # the other bot's command and the edit got no answer
            assert not any("I don't know" in t for t in _texts(api, READER))
            assert db_count(settings, "SELECT count(*) FROM subscriptions") == 1

            for number in range(10):  # the search above was the first of this minute
                api.push_message(READER, f"/search Kim since:9999y {number}")
            await api.wait_for_messages_async(READER, 17)
            refused = [t for t in _texts(api, READER) if "wait a minute" in t]
            assert len(refused) == 1
            assert not any(GENERIC in t for t in _texts(api, READER))
