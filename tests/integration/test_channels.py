"""Channels managed from the private chat, and commands posted in a channel (issue 14)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.fakes import FakeBotAPI, FeedServer, rss
from bot.settings import Settings
from tests.integration.harness import db_count, eventually, make_settings, running
from tests.integration.seed import seed_outbox

READER = 7001
CHANNEL = -1001234567890


def _item(number: int, title: str) -> dict[str, object]:
    return {
        "title": title,
        "link": f"https://news.example.org/{number}",
        "guid": f"item-{number}",
        "description": "Kurzer Text.",
    }


def _serve(feeds: FeedServer, *titles: str) -> str:
    return feeds.set_feed("/f.xml", rss([_item(number, t) for number, t in enumerate(titles)]))


def _articles(settings: Settings) -> int:
    return db_count(settings, "SELECT count(*) FROM articles")


def _subscriptions(settings: Settings, chat_id: int) -> int:
    return db_count(settings, "SELECT count(*) FROM subscriptions WHERE chat_id = ?", chat_id)


def _alerts(api: FakeBotAPI, chat_id: int) -> list[dict[str, Any]]:
    return [m for m in api.sent_messages(chat_id) if "Matched:" in (m.get("text") or "")]


async def _ask(api: FakeBotAPI, text: str, count: int = 1) -> list[str]:
    """The reader writes `text` in the private chat; the bot's next `count` replies."""
    before = len(api.sent_messages(READER))
    api.push_message(READER, text)
    sent = await api.wait_for_messages_async(READER, before + count)
    return [m["text"] for m in sent[before:]]


async def test_an_admin_subscribes_lists_and_unsubscribes_a_channel(tmp_path: Path) -> None:
    with FakeBotAPI() as api, FeedServer() as feeds:
        api.add_channel(CHANNEL, "newsroom", title="Newsroom")
        api.set_member_status(CHANNEL, READER, "administrator")
        settings = make_settings(api.base_url, tmp_path, [_serve(feeds, "Backlog")])
        async with running(settings):
            assert await eventually(lambda: _articles(settings) == 1)
            (answer,) = await _ask(api, "/subscribe @newsroom Nordkorea")
            assert "Subscribed to Nordkorea" in answer
            assert "Alerts go to @newsroom." in answer
            assert _subscriptions(settings, CHANNEL) == 1
            assert _subscriptions(settings, READER) == 0
            _serve(feeds, "Backlog", "Nordkorea testet Rakete")
            assert await eventually(lambda: len(_alerts(api, CHANNEL)) == 1)
            assert _alerts(api, READER) == []
            (listed,) = await _ask(api, f"/list {CHANNEL}")
            assert "@newsroom" in listed and "1. Nordkorea" in listed
            (removed,) = await _ask(api, "/unsubscribe @newsroom 1")
            assert "Removed Nordkorea." in removed
            assert _subscriptions(settings, CHANNEL) == 0
            (empty,) = await _ask(api, "/list @newsroom")
            assert "@newsroom has no subscriptions yet." in empty


async def test_refusals_say_which_right_is_missing_and_store_nothing(tmp_path: Path) -> None:
    with FakeBotAPI() as api, FeedServer() as feeds:
        api.add_channel(CHANNEL, "newsroom")
        api.add_channel(-1009876543210, "quietroom", can_post_messages=False)
        api.add_channel(-1005555555555, "memberroom", bot_status="member")
        for channel in (-1009876543210, -1005555555555):
            api.set_member_status(channel, READER, "creator")
        settings = make_settings(api.base_url, tmp_path, [_serve(feeds, "Backlog")])
        async with running(settings):
            (stranger,) = await _ask(api, "/subscribe @newsroom Nordkorea")
            assert "You are not an administrator of @newsroom" in stranger
            (no_post,) = await _ask(api, "/subscribe @quietroom Nordkorea")
            assert "I cannot post in @quietroom" in no_post
            (member,) = await _ask(api, "/subscribe @memberroom Nordkorea")
            assert "I cannot post in @memberroom" in member
            (unknown,) = await _ask(api, "/list @nosuchchannel")
            assert "I cannot post in @nosuchchannel" in unknown
            (malformed,) = await _ask(api, "/unsubscribe @ab")
            assert "@ab is not a channel or group name" in malformed
            assert db_count(settings, "SELECT count(*) FROM subscriptions") == 0


async def test_commands_posted_in_the_channel_act_for_it(tmp_path: Path) -> None:
    with FakeBotAPI() as api, FeedServer() as feeds:
        api.add_channel(CHANNEL, "newsroom")
        settings = make_settings(api.base_url, tmp_path, [_serve(feeds, "Backlog")])
        async with running(settings):
            assert await eventually(lambda: _articles(settings) == 1)
            api.push_channel_post(CHANNEL, "/subscribe Nordkorea")
            replies = await api.wait_for_messages_async(CHANNEL, 1)
            assert "Subscribed to Nordkorea" in replies[0]["text"]
            assert _subscriptions(settings, CHANNEL) == 1
            api.push_channel_post(CHANNEL, "/list")
            replies = await api.wait_for_messages_async(CHANNEL, 2)
            assert "1. Nordkorea" in replies[1]["text"]
            _serve(feeds, "Backlog", "Nordkorea testet Rakete")
            assert await eventually(lambda: len(_alerts(api, CHANNEL)) == 1)
        # Replies and alerts into the channel kept Telegram's group pace (20 a minute).
        assert api.limit_violations() == []


async def test_a_channel_that_removes_the_bot_stops_until_subscribed_again(
    tmp_path: Path,
) -> None:
    with FakeBotAPI() as api, FeedServer() as feeds:
        api.add_channel(CHANNEL, "newsroom")
        api.set_member_status(CHANNEL, READER, "administrator")
        settings = make_settings(api.base_url, tmp_path, [_serve(feeds, "Backlog")])
        active = "SELECT count(*) FROM chats WHERE id = ? AND active = true"
        async with running(settings):
            assert await eventually(lambda: _articles(settings) == 1)
            await _ask(api, "/subscribe @newsroom Nordkorea")
            api.set_bot_status(CHANNEL, "left")
            api.push_my_chat_member(CHANNEL, "left", old_status="administrator")
            assert await eventually(lambda: db_count(settings, active, CHANNEL) == 0)
            (refused,) = await _ask(api, "/subscribe @newsroom Pjöngjang")
            assert "I cannot post in @newsroom" in refused
            assert db_count(settings, active, CHANNEL) == 0
            api.set_bot_status(CHANNEL, "administrator")
            (again,) = await _ask(api, "/subscribe @newsroom Pjöngjang")
            assert "Subscribed to Pjöngjang" in again
            assert db_count(settings, active, CHANNEL) == 1
            _serve(feeds, "Backlog", "Nordkorea testet Rakete")
            assert await eventually(lambda: len(_alerts(api, CHANNEL)) == 1)


async def test_a_channel_has_its_own_settings_from_the_private_chat(tmp_path: Path) -> None:
    with FakeBotAPI() as api, FeedServer() as feeds:
        api.add_channel(CHANNEL, "newsroom")
        api.set_member_status(CHANNEL, READER, "administrator")
        settings = make_settings(api.base_url, tmp_path, [_serve(feeds, "Backlog")])
        mode = "SELECT count(*) FROM chats WHERE id = ? AND alert_mode = 'hourly'"
        async with running(settings):
            api.push_message(READER, "/settings @newsroom")
            (shown,) = await api.wait_for_messages_async(READER, 1)
            assert shown["text"].startswith("@newsroom\n")
            buttons = [b for row in shown["reply_markup"]["inline_keyboard"] for b in row]
            hourly = next(b for b in buttons if "Hourly" in b["text"])
            query_id = api.push_callback_query(READER, shown["message_id"], hourly["callback_data"])
            assert await api.wait_for_async(lambda: bool(api.callback_answers(query_id)))
            assert api.callback_answers(query_id)[0]["text"] == "Saved."
            assert db_count(settings, mode, CHANNEL) == 1
            assert db_count(settings, mode, READER) == 0
            (zone,) = await _ask(api, "/timezone @newsroom Europe/Vienna")
            assert "Time zone set to Europe/Vienna" in zone
            vienna = "SELECT count(*) FROM chats WHERE timezone = 'Europe/Vienna' AND id = ?"
            assert db_count(settings, vienna, CHANNEL) == 1
            assert db_count(settings, vienna, READER) == 0
            # Rights taken away after the message was sent: a tap changes nothing.
            api.set_member_status(CHANNEL, READER, "member")
            instant = next(b for b in buttons if "Instant" in b["text"])
            query_id = api.push_callback_query(
                READER, shown["message_id"], instant["callback_data"]
            )
            assert await api.wait_for_async(lambda: bool(api.callback_answers(query_id)))
            assert "not an administrator of @newsroom" in api.callback_answers(query_id)[0]["text"]
            assert db_count(settings, mode, CHANNEL) == 1


FORUM = -1002223334445
ADMIN = 1111


async def test_a_subscription_made_in_a_topic_delivers_into_it_until_the_topic_is_gone(
    tmp_path: Path,
) -> None:
    with FakeBotAPI() as api, FeedServer() as feeds:
        api.make_forum(FORUM, (5,), title="Forum")
        api.set_member_status(FORUM, ADMIN, "administrator")
        settings = make_settings(api.base_url, tmp_path, [_serve(feeds, "Backlog")])
        async with running(settings):
            assert await eventually(lambda: _articles(settings) == 1)
            api.push_message(FORUM, "/subscribe Nordkorea", message_thread_id=5)
            (confirmed,) = await api.wait_for_messages_async(FORUM, 1)
            assert confirmed.get("message_thread_id") == 5
            _serve(feeds, "Backlog", "Nordkorea testet Rakete")
            assert await eventually(lambda: len(_alerts(api, FORUM)) == 1)
            assert _alerts(api, FORUM)[0].get("message_thread_id") == 5
            api.delete_topic(FORUM, 5)
            _serve(feeds, "Backlog", "Nordkorea testet Rakete", "Nordkoreas Armee")
            assert await eventually(lambda: len(_alerts(api, FORUM)) == 2)
            general = _alerts(api, FORUM)[1]
            assert "Nordkoreas Armee" in general["text"]
            assert "message_thread_id" not in general
            notices = [m for m in api.sent_messages(FORUM) if "was deleted" in m["text"]]
            assert len(notices) == 1 and "“Nordkorea”" in notices[0]["text"]
            assert "message_thread_id" not in notices[0]
            topic = "SELECT count(*) FROM subscriptions WHERE message_thread_id IS NOT NULL"
            assert db_count(settings, topic) == 0
            _serve(feeds, "Backlog", "Nordkorea testet Rakete", "Nordkoreas Armee", "Nordkorea 3")
            assert await eventually(lambda: len(_alerts(api, FORUM)) == 3)
            assert len([m for m in api.sent_messages(FORUM) if "was deleted" in m["text"]]) == 1


async def test_a_scoped_subscription_alerts_only_on_its_sources_and_languages(
    tmp_path: Path,
) -> None:
    with FakeBotAPI() as api, FeedServer() as feeds:

        def serve(path: str, language: str, *titles: str) -> str:
            items = [_item(hash((path, n)) % 10**6, t) for n, t in enumerate(titles)]
            return feeds.set_feed(path, rss(items, language=language))

        krone = serve("/krone.xml", "de", "Nordkorea alt")
        orf = serve("/orf.xml", "de", "Nordkorea älter")
        opml = tmp_path / "feeds.opml"
        opml.write_text(
            '<?xml version="1.0"?><opml version="2.0"><body>'
            f'<outline type="rss" text="Krone" title="Krone" xmlUrl="{krone}"/>'
            f'<outline type="rss" text="ORF" title="ORF" xmlUrl="{orf}"/>'
            "</body></opml>"
        )
        settings = make_settings(api.base_url, tmp_path, [], FEEDS_FILE=opml)
        async with running(settings):
            assert await eventually(lambda: _articles(settings) == 2)
            (scoped,) = await _ask(api, "/subscribe Nordkorea source:krone")
            assert "only from krone" in scoped
            assert "Nordkorea alt" in scoped and "Nordkorea älter" not in scoped
            (english,) = await _ask(api, "/subscribe Rakete lang:en")
            assert "only in English" in english
            (listed,) = await _ask(api, "/list")
            assert "1. Nordkorea source:krone" in listed and "2. Rakete lang:en" in listed
            serve("/orf.xml", "de", "Nordkorea älter", "Nordkorea testet Rakete")
            serve("/krone.xml", "de", "Nordkorea alt", "Nordkoreas Armee")
            assert await eventually(lambda: _articles(settings) == 4)
            assert await eventually(lambda: len(_alerts(api, READER)) == 1)
            polls = feeds.count("/orf.xml")
            assert await eventually(lambda: feeds.count("/orf.xml") >= polls + 2)
        titles = [m["text"].split("\n")[0] for m in _alerts(api, READER)]
        assert titles == ["Nordkoreas Armee"]


def _pictured(number: int, title: str, image: str) -> dict[str, object]:
    return {**_item(number, title), "description": f'<p>Kurzer Text.</p><img src="{image}">'}


async def test_pictures_as_photos_text_at_once_when_unfetchable_and_a_setting_for_none(
    tmp_path: Path,
) -> None:
    photo = "https://img.example.org/kim.jpg"
    broken = "https://img.example.org/gone.jpg"
    with FakeBotAPI() as api, FeedServer() as feeds:
        api.mark_image_unreachable(broken)
        items = [_item(0, "Backlog")]

        def serve(*more: dict[str, object]) -> None:
            items.extend(more)
            feeds.set_feed("/f.xml", rss(items))

        serve()
        settings = make_settings(api.base_url, tmp_path, [feeds.url("/f.xml")])
        async with running(settings):
            assert await eventually(lambda: _articles(settings) == 1)
            await _ask(api, "/subscribe Nordkorea")
            serve(_pictured(1, "Nordkorea testet Rakete", photo))
            assert await api.wait_for_async(lambda: len(api.sent_photos(READER)) == 1)
            (sent,) = api.sent_photos(READER)
            assert sent["photo_url"] == photo
            assert sent["caption"].startswith("Nordkorea testet Rakete")
            serve(_pictured(3, "Nordkorea Unerreichbar", broken))
            assert await eventually(lambda: len(_alerts(api, READER)) == 1)
            assert _alerts(api, READER)[0]["text"].startswith("Nordkorea Unerreichbar")
            api.push_message(READER, "/settings")
            shown = (await api.wait_for_messages_async(READER, 4))[-1]
            buttons = [b for row in shown["reply_markup"]["inline_keyboard"] for b in row]
            off = next(b for b in buttons if "No pictures" in b["text"])
            query_id = api.push_callback_query(READER, shown["message_id"], off["callback_data"])
            assert await api.wait_for_async(lambda: bool(api.callback_answers(query_id)))
            serve(_pictured(4, "Nordkorea ohne Bild", photo))
            assert await eventually(lambda: len(_alerts(api, READER)) == 2)
            last = _alerts(api, READER)[1]
            assert last["text"].startswith("Nordkorea ohne Bild")
            assert (last.get("link_preview_options") or {}).get("url") is None
        assert len(api.sent_photos(READER)) == 1


async def test_list_buttons_make_one_subscription_silent_pause_it_or_remove_it(
    tmp_path: Path,
) -> None:
    with FakeBotAPI() as api, FeedServer() as feeds:
        settings = make_settings(api.base_url, tmp_path, [_serve(feeds, "Backlog")])
        async with running(settings):
            assert await eventually(lambda: _articles(settings) == 1)
            await _ask(api, "/subscribe Nordkorea")
            await _ask(api, "/subscribe China")
            api.push_message(READER, "/list")
            listed = (await api.wait_for_messages_async(READER, 3))[-1]

            async def tap(label: str) -> str:
                current = api.sent_messages(READER)
                message = next(m for m in current if m["message_id"] == listed["message_id"])
                buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
                button = next(b for b in buttons if b["text"] == label)
                query_id = api.push_callback_query(
                    READER, listed["message_id"], button["callback_data"]
                )
                assert await api.wait_for_async(lambda: bool(api.callback_answers(query_id)))
                return str(api.callback_answers(query_id)[0]["text"])

            assert "silently" in await tap("🔇 1")
            assert await eventually(
                lambda: (
                    db_count(settings, "SELECT count(*) FROM subscriptions WHERE silent = true")
                    == 1
                )
            )
            assert "Muted" in await tap("🔕 2")
            _serve(feeds, "Backlog", "Nordkorea und China")
            assert await eventually(lambda: len(_alerts(api, READER)) == 1)
            (alert,) = _alerts(api, READER)
            assert alert["disable_notification"] is True
            assert "Removed" in await tap("✖ 1")
            assert _subscriptions(settings, READER) == 1


async def test_every_digest_part_is_numbered_and_keeps_a_way_to_mute(tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        api.set_limits()
        settings = make_settings(api.base_url, tmp_path, [])
        await seed_outbox(settings.DATABASE_URL, {4242: 60})
        async with running(settings):
            sent = "SELECT count(*) FROM alerts WHERE status = 'sent'"
            assert await eventually(lambda: db_count(settings, sent) == 60)
        parts = api.sent_messages(4242)
        assert len(parts) >= 2
        for number, part in enumerate(parts, start=1):
            assert part["text"].startswith(f"{number}/{len(parts)}")
            buttons = [b for row in part["reply_markup"]["inline_keyboard"] for b in row]
            assert [b["callback_data"] for b in buttons] == [buttons[0]["callback_data"]]
            assert buttons[0]["callback_data"].startswith("mute:")
