"""The test doubles themselves behave like the services they stand in for.

The fake Bot API is driven by python-telegram-bot's real ``Bot`` and ``Application`` over HTTP,
the feed server by httpx and feedparser: if these pass, a failure elsewhere is the bot's.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import feedparser
import httpx
import pytest
from telegram import (
    Bot,
    ChatMemberAdministrator,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
)

from bench.fakes import EntityParseError, FakeBotAPI, FeedServer, FloodLimits, parse_html, rss

TOKEN = "123456:TEST-token_abc"
READER = 1001
OTHER_READER = 1002
GROUP = -4242


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=api.base_url) as real_bot:
        yield real_bot


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


# --------------------------------------------------------------------------- Telegram's HTML


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
        ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
        (
            "🏟 🏟&lt;<i    aba>",
            'Expected equal sign in declaration of an attribute of the tag "i" at byte offset 13',
        ),
        ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
        ("🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
        ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
        (
            "🏟 🏟&lt;<i>a</em   >",
            'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"',
        ),
        ("Hello <b>world", 'Can\'t find end tag corresponding to start tag "b"'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("line<br/>break", 'Unsupported start tag "br/" at byte offset 4'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
def test_html_errors_carry_telegrams_wording(html: str, error: str) -> None:
    with pytest.raises(EntityParseError) as raised:
        parse_html(html)
    assert str(raised.value) == error


def test_html_visible_text_and_entities_follow_telegram() -> None:
    parsed = parse_html(
        '<b>Kim</b> f&#228;hrt &amp; <a href="https://x.at/a?b=1&amp;c=2">mehr</a> AT&T '
        '<pre><code class="language-py">x</code></pre> <blockquote expandable>q</blockquote>'
    )
    assert parsed.text == "Kim fährt & mehr AT&T x q"
    assert {"type": "bold", "offset": 0, "length": 3} in parsed.entities
    assert {
        "type": "text_link",
        "offset": 12,
        "length": 4,
        "url": "https://x.at/a?b=1&c=2",
    } in parsed.entities
    assert {"type": "pre", "offset": 22, "length": 1, "language": "py"} in parsed.entities
    assert {"type": "expandable_blockquote", "offset": 24, "length": 1} in parsed.entities


def test_unknown_named_entity_is_an_error_in_strict_mode_only() -> None:
    with pytest.raises(EntityParseError, match="&ndash;"):
        parse_html("Kim &ndash; Xi")
    assert parse_html("Kim &ndash; Xi", strict_entities=False).text == "Kim &ndash; Xi"


# --------------------------------------------------------------------------- Bot API basics


async def test_get_me_answers_for_any_well_formed_token(api: FakeBotAPI, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.username == api.bot_username
    assert api.calls_to("getMe")


async def _rejected(token: str, base_url: str) -> bool:
    rejected_bot = Bot(token, base_url=base_url)
    try:
        await rejected_bot.initialize()
    except InvalidToken:
        return True
    finally:
        await rejected_bot.shutdown()
    return False


async def test_bad_token_is_unauthorized(api: FakeBotAPI) -> None:
    assert await _rejected("0:bad", api.base_url)
    with FakeBotAPI(valid_token=TOKEN) as strict:
        assert await _rejected("999:other", strict.base_url)
        async with Bot(TOKEN, base_url=strict.base_url) as good:
            assert (await good.get_me()).id == 123456


async def test_valid_html_is_delivered_with_visible_text_and_raw_html(
    api: FakeBotAPI, bot: Bot
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Mute", callback_data="mute:7")]])
    html = "<b>Seltene Auslandsreise</b>\nKim &amp; Xi <a href='https://krone.at/1'>Link</a>"
    message = await bot.send_message(READER, html, parse_mode=ParseMode.HTML, reply_markup=markup)

    assert message.text == "Seltene Auslandsreise\nKim & Xi Link"
    assert message.entities[0].type == "bold"
    assert message.reply_markup == markup
    [sent] = api.sent_messages(READER)
    assert sent["html"] == html
    assert sent["text"] == message.text
    assert sent["parse_mode"] == "HTML"
    assert sent["message_id"] == message.message_id
    assert sent["chat"]["id"] == READER
    assert sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "mute:7"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Title <script>alert(1)</script>", 'unsupported start tag "script" at byte offset 6'),
        ("<b>Title", 'can\'t find end tag corresponding to start tag "b"'),
        ("Kim &ndash; Xi", 'unsupported html entity "&ndash;"'),
        ("x" * 4097, "message is too long"),
        ("  \n ", "message text is empty"),
    ],
)
async def test_invalid_messages_raise_bad_request_and_are_not_delivered(
    api: FakeBotAPI, bot: Bot, text: str, fragment: str
) -> None:
    with pytest.raises(BadRequest) as raised:
        await bot.send_message(READER, text, parse_mode=ParseMode.HTML)
    assert fragment in raised.value.message.lower()
    assert api.sent_messages() == []
    assert api.failures[-1].status == 400


async def test_exactly_4096_characters_after_entity_parsing_is_accepted(bot: Bot) -> None:
    text = "<b>" + "&amp;" * 4096 + "</b>"
    message = await bot.send_message(READER, text, parse_mode=ParseMode.HTML)
    assert len(message.text or "") == 4096


async def test_params_arrive_as_json_form_or_query_string(api: FakeBotAPI) -> None:
    url = f"{api.base_url}{TOKEN}/sendMessage"
    async with httpx.AsyncClient() as client:
        by_json = await client.post(url, json={"chat_id": READER, "text": "json"})
        by_form = await client.post(url, data={"chat_id": str(READER), "text": "123"})
        by_query = await client.get(url, params={"chat_id": READER, "text": "query"})
        unknown = await client.post(f"{api.base_url}{TOKEN}/setChatMenuButton", json={})
    assert [r.json()["ok"] for r in (by_json, by_form, by_query, unknown)] == [True] * 4
    assert [m["text"] for m in api.sent_messages(READER)] == ["json", "123", "query"]
    assert unknown.json()["result"] is True
    assert api.calls_to("setChatMenuButton") == [{}]


async def test_edits_and_the_not_modified_error(api: FakeBotAPI, bot: Bot) -> None:
    message = await bot.send_message(READER, "<b>one</b>", parse_mode=ParseMode.HTML)
    edited = await bot.edit_message_text(
        "<i>two</i>", chat_id=READER, message_id=message.message_id, parse_mode=ParseMode.HTML
    )
    assert isinstance(edited, object) and getattr(edited, "text", None) == "two"
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text(
            "<i>two</i>", chat_id=READER, message_id=message.message_id, parse_mode="HTML"
        )
    with pytest.raises(BadRequest, match="not found"):
        await bot.edit_message_text("x", chat_id=READER, message_id=999)
    [edit] = api.edits(READER)
    assert edit["text"] == "two" and edit["html"] == "<i>two</i>"
    assert api.sent_messages(READER)[0]["text"] == "two"


async def test_commands_menu_is_stored_per_scope(api: FakeBotAPI, bot: Bot) -> None:
    await bot.set_my_commands([("start", "Start"), ("subscribe", "Follow a topic")])
    await bot.set_my_commands([("start", "Beginnen")], language_code="de")
    assert [c["command"] for c in api.commands()] == ["start", "subscribe"]
    assert api.commands()[1] == {"command": "subscribe", "description": "Follow a topic"}
    assert api.commands(language_code="de") == [{"command": "start", "description": "Beginnen"}]
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([("Start-Now", "bad name")])


async def test_chat_member_status_is_configurable(api: FakeBotAPI, bot: Bot) -> None:
    api.set_member_status(GROUP, 7, "administrator")
    api.set_member_status(GROUP, 8, "creator")
    assert (await bot.get_chat_member(GROUP, 7)).status == "administrator"
    assert (await bot.get_chat_member(GROUP, 8)).status == "creator"
    assert (await bot.get_chat_member(GROUP, 9)).status == "member"


# --------------------------------------------------------------------------- failure modes


async def test_blocked_chat_is_forbidden_and_others_unaffected(api: FakeBotAPI, bot: Bot) -> None:
    api.block_chat(READER)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(READER, "hello")
    await bot.send_message(OTHER_READER, "hello")
    assert api.sent_messages(READER) == []
    assert len(api.sent_messages(OTHER_READER)) == 1


async def test_migrated_group_raises_chat_migrated(api: FakeBotAPI, bot: Bot) -> None:
    api.migrate_chat(GROUP, -1001234567890)
    with pytest.raises(ChatMigrated) as raised:
        await bot.send_message(GROUP, "hello")
    assert raised.value.new_chat_id == -1001234567890
    await bot.send_message(-1001234567890, "hello again")
    assert len(api.sent_messages(-1001234567890)) == 1


async def test_injected_server_errors_then_recovery(api: FakeBotAPI, bot: Bot) -> None:
    api.fail_next("sendMessage", 502, "Bad Gateway", times=2, chat_id=READER)
    await bot.send_message(OTHER_READER, "not affected")
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(READER, "hello")
    await bot.send_message(READER, "hello")
    assert len(api.sent_messages(READER)) == 1


async def test_lost_response_after_delivery(api: FakeBotAPI, bot: Bot) -> None:
    api.drop_next("sendMessage", deliver=True)
    with pytest.raises(NetworkError):
        await bot.send_message(READER, "delivered, answer lost")
    assert [m["text"] for m in api.sent_messages(READER)] == ["delivered, answer lost"]


def _seconds(value: float | timedelta) -> float:
    """PTB 22 gives retry_after as int seconds, later versions as a timedelta."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_flood_limit_per_chat_answers_retry_after(api: FakeBotAPI, bot: Bot) -> None:
    limits = api.set_limits(per_chat_per_second=1, per_chat_burst=3)
    for n in range(3):
        await bot.send_message(READER, f"burst {n}")
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(READER, "one too many")
    assert _seconds(raised.value.retry_after) >= 1
    await bot.send_message(OTHER_READER, "another chat is not throttled")
    assert api.count_429 == 1
    assert api.rejections[0].scope == "chat"
    assert [m["text"] for m in api.sent_messages(READER)] == ["burst 0", "burst 1", "burst 2"]
    assert api.max_rate_observed(limits.chat_window, READER) <= limits.per_chat_burst
    assert api.limit_violations(limits) == []


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_flood_limit_global_and_group(api: FakeBotAPI, bot: Bot) -> None:
    api.set_limits(global_per_second=4, per_group_per_minute=2, penalize=False)
    for chat in range(1, 5):
        await bot.send_message(chat, "hi")
    with pytest.raises(RetryAfter):
        await bot.send_message(5, "fifth within a second")
    assert api.rejections[-1].scope == "global"

    api.set_limits(global_per_second=None, per_group_per_minute=2)
    await bot.send_message(GROUP, "one")
    await bot.send_message(GROUP, "two")
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(GROUP, "three")
    assert api.rejections[-1].scope == "group"
    assert _seconds(raised.value.retry_after) > 1  # the group window is a minute
    assert len(api.sent_messages(GROUP)) == 2


def test_limit_violations_report_a_bot_that_does_not_pace_itself() -> None:
    with FakeBotAPI() as api:
        for _ in range(3):
            response = httpx.post(
                f"{api.base_url}{TOKEN}/sendMessage", json={"chat_id": READER, "text": "x"}
            )
            assert response.status_code == 200
        assert api.limit_violations(FloodLimits(per_chat_burst=2)) != []
        assert api.max_rate_observed(60.0, READER) == 3


# --------------------------------------------------------------------------- updates


async def test_get_updates_long_poll_returns_a_pushed_update(api: FakeBotAPI, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await api.wait_for_call_async("getUpdates")
    api.push_message(READER, "/start", language_code="de")
    [update] = await poll
    assert update.message is not None and update.message.text == "/start"
    assert update.message.from_user is not None
    assert update.message.from_user.language_code == "de"
    assert update.message.entities[0].type == "bot_command"

    # Confirmed by the next offset, then gone.
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    assert api.pending_updates() == []


async def test_a_newer_long_poll_ends_the_older_with_conflict(api: FakeBotAPI, bot: Bot) -> None:
    older = asyncio.create_task(bot.get_updates(timeout=5))
    await api.wait_for_call_async("getUpdates")
    async with Bot(TOKEN, base_url=api.base_url) as second:
        await second.get_updates(timeout=0)
    with pytest.raises(Conflict):
        await older


def test_wait_for_wakes_on_calls_from_another_thread(api: FakeBotAPI) -> None:
    def later() -> None:
        httpx.post(f"{api.base_url}{TOKEN}/sendMessage", json={"chat_id": 5, "text": "hi"})

    threading.Thread(target=later).start()
    [message] = api.wait_for_messages(5, 1, timeout=10)
    assert message["text"] == "hi"
    assert not api.wait_for(lambda: len(api.sent_messages()) > 1, timeout=0.05)


# --------------------------------------------------------------------------- a real Application


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the reader with an inline button."""
    assert update.effective_message is not None
    button = InlineKeyboardButton("Mute", callback_data="mute")
    await update.effective_message.reply_html(
        "<b>Welcome</b>", reply_markup=InlineKeyboardMarkup([[button]])
    )


async def _mute(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the button press."""
    assert update.callback_query is not None
    await update.callback_query.answer("Muted")


async def _member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remember the chats that blocked the bot."""
    assert update.my_chat_member is not None
    context.bot_data.setdefault("gone", []).append(update.my_chat_member.chat.id)


@pytest.fixture
async def app(api: FakeBotAPI) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    application = ApplicationBuilder().token(TOKEN).base_url(api.base_url).build()
    application.add_handler(CommandHandler("start", _start))
    application.add_handler(CallbackQueryHandler(_mute))
    application.add_handler(ChatMemberHandler(_member, ChatMemberHandler.MY_CHAT_MEMBER))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    yield application
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


async def test_application_answers_a_pushed_command(
    api: FakeBotAPI,
    app: Application,  # type: ignore[type-arg]
) -> None:
    api.push_message(READER, "/start")
    [reply] = await api.wait_for_messages_async(READER, 1)
    assert reply["text"] == "Welcome"
    assert reply["html"] == "<b>Welcome</b>"

    query_id = api.push_callback_query(READER, reply["message_id"], "mute")
    assert await api.wait_for_async(lambda: bool(api.callback_answers(query_id)))
    assert api.callback_answers(query_id)[0]["text"] == "Muted"

    api.push_my_chat_member(OTHER_READER, "kicked")
    assert await api.wait_for_async(lambda: app.bot_data.get("gone") == [OTHER_READER])


async def test_application_sees_group_commands_addressed_to_it(
    api: FakeBotAPI,
    app: Application,  # type: ignore[type-arg]
) -> None:
    api.push_message(GROUP, f"/start@{api.bot_username}", user_id=READER, chat_type="group")
    [reply] = await api.wait_for_messages_async(GROUP, 1)
    assert reply["chat"]["type"] == "group"


# --------------------------------------------------------------------------- feed server


def test_feed_is_served_then_304_with_either_validator(feeds: FeedServer) -> None:
    body = rss([{"title": "One", "link": "https://example.org/1", "guid": "1"}])
    url = feeds.set_feed("/news.xml", body)
    first = httpx.get(url)
    assert first.status_code == 200 and first.content == body
    assert first.headers["content-type"].startswith("application/rss+xml")
    etag, modified = first.headers["etag"], first.headers["last-modified"]

    by_etag = httpx.get(url, headers={"If-None-Match": etag})
    by_date = httpx.get(url, headers={"If-Modified-Since": modified})
    stale = httpx.get(url, headers={"If-None-Match": '"other"', "If-Modified-Since": modified})
    assert (by_etag.status_code, by_etag.content) == (304, b"")
    assert by_date.status_code == 304
    assert stale.status_code == 200  # If-None-Match wins over If-Modified-Since

    feeds.set_feed("/news.xml", rss([{"title": "Two", "guid": "2"}]))
    assert httpx.get(url, headers={"If-None-Match": etag}).status_code == 200
    assert feeds.count("/news.xml") == 5
    assert feeds.count("/news.xml", status=304) == 2
    assert feeds.requests[1].headers["if-none-match"] == etag


def test_status_codes_redirects_and_unknown_paths(feeds: FeedServer) -> None:
    feeds.set_response("/gone", 410)
    feeds.set_response("/broken", 500, b"oops")
    feeds.set_feed("/target", b"<rss/>", etag=False, last_modified=False)
    feeds.redirect("/moved", "/target")
    assert httpx.get(feeds.url("/gone")).status_code == 410
    assert httpx.get(feeds.url("/broken")).content == b"oops"
    assert httpx.get(feeds.url("/nothing-here")).status_code == 404
    moved = httpx.get(feeds.url("/moved"), follow_redirects=True)
    assert moved.status_code == 200 and moved.content == b"<rss/>"
    assert "etag" not in moved.headers
    assert [r.status for r in feeds.requests][-2:] == [301, 200]


def test_a_delayed_feed_times_out_a_hasty_client(feeds: FeedServer) -> None:
    url = feeds.set_feed("/slow", b"<rss/>", delay=5.0)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(url, timeout=httpx.Timeout(5.0, read=0.2))
    feeds.set_feed("/slow", b"<rss/>")
    assert httpx.get(url).status_code == 200


async def test_many_concurrent_clients_with_latency(feeds: FeedServer) -> None:
    feeds.latency = 0.05
    urls = [feeds.set_feed(f"/feed/{n}", rss([{"title": f"Item {n}"}])) for n in range(100)]
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(limits=limits) as client:
        responses = await asyncio.gather(*(client.get(u) for u in urls))
    assert all(r.status_code == 200 for r in responses)
    assert feeds.count() == 100


def test_serve_file_uses_the_files_bytes(
    feeds: FeedServer, tmp_path: pytest.TempPathFactory
) -> None:
    path = tmp_path / "feed.xml"  # type: ignore[operator]
    path.write_bytes(rss([{"title": "From disk"}]))
    url = feeds.serve_file("/disk.xml", path)
    response = httpx.get(url)
    assert response.content == path.read_bytes()
    assert response.headers["content-type"] == "application/xml"


def test_rss_builder_escapes_and_round_trips_through_feedparser() -> None:
    published = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    body = rss(
        [
            {
                "title": "Kim <script> & Xi",
                "link": "https://example.org/a?x=1&y=2",
                "guid": "tag:example.org,2024:1",
                "description": "<p>Teaser &ndash; with HTML</p>",
                "pubDate": published,
                "category": ["Asia", "Politics"],
            }
        ],
        title="Welt & Asien",
        language="de",
    )
    parsed = feedparser.parse(body)
    assert not parsed.bozo
    assert parsed.feed.title == "Welt & Asien"
    assert parsed.feed.language == "de"
    [entry] = parsed.entries
    assert entry.title == "Kim <script> & Xi"
    assert entry.link == "https://example.org/a?x=1&y=2"
    assert entry.id == "tag:example.org,2024:1"
    assert "Teaser" in entry.summary
    assert entry.published_parsed[:5] == (2024, 5, 1, 12, 30)
    assert [t.term for t in entry.tags] == ["Asia", "Politics"]


# ------------------------------------------------------------- channels, topics, photos

CHANNEL = -1009876543210
FORUM = -1001112223334


async def test_send_photo_by_url_with_an_html_caption(api: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_photo(
        READER,
        "https://img.example.org/kim.jpg",
        caption="<b>Kim</b> in China",
        parse_mode=ParseMode.HTML,
    )
    assert sent.photo and sent.caption == "Kim in China"
    [photo] = api.sent_photos(READER)
    assert photo["photo_url"] == "https://img.example.org/kim.jpg"
    assert photo["html"] == "<b>Kim</b> in China"
    assert photo["caption_entities"] == [{"type": "bold", "offset": 0, "length": 3}]


async def test_an_unreachable_picture_is_refused_and_nothing_is_delivered(
    api: FakeBotAPI, bot: Bot
) -> None:
    api.mark_image_unreachable("https://img.example.org/gone.jpg")
    with pytest.raises(BadRequest, match=r"(?i)failed to get http url content"):
        await bot.send_photo(READER, "https://img.example.org/gone.jpg", caption="x")
    assert api.sent_messages(READER) == []


async def test_a_caption_is_measured_after_entity_parsing(api: FakeBotAPI, bot: Bot) -> None:
    # 1,024 visible characters pass whatever the markup adds; one more is too long
    await bot.send_photo(
        READER,
        "https://img.example.org/a.jpg",
        caption="<b>" + "a" * 1024 + "</b>",
        parse_mode=ParseMode.HTML,
    )
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(READER, "https://img.example.org/a.jpg", caption="a" * 1025)
    assert len(api.sent_photos(READER)) == 1


async def test_a_photo_caption_is_edited_with_edit_message_caption(
    api: FakeBotAPI, bot: Bot
) -> None:
    sent = await bot.send_photo(READER, "https://img.example.org/a.jpg", caption="first")
    with pytest.raises(BadRequest, match=r"(?i)no text in the message to edit"):
        await bot.edit_message_text("second", chat_id=READER, message_id=sent.message_id)
    await bot.edit_message_caption(chat_id=READER, message_id=sent.message_id, caption="second")
    assert api.sent_photos(READER)[0]["caption"] == "second"
    assert api.edits(READER)[0]["method"] == "editMessageCaption"


async def test_link_preview_options_are_recorded(api: FakeBotAPI, bot: Bot) -> None:
    options = LinkPreviewOptions(
        url="https://img.example.org/a.jpg", prefer_large_media=True, show_above_text=True
    )
    await bot.send_message(READER, "<b>Kim</b>", link_preview_options=options)
    recorded = api.sent_messages(READER)[0]["link_preview_options"]
    assert recorded == {
        "url": "https://img.example.org/a.jpg",
        "prefer_large_media": True,
        "show_above_text": True,
    }


async def test_channel_membership_as_the_bot_and_its_admins_see_it(
    api: FakeBotAPI, bot: Bot
) -> None:
    api.add_channel(CHANNEL, "@weltnachrichten")
    api.set_member_status(CHANNEL, 7, "administrator")
    api.set_member_status(CHANNEL, 8, "creator")
    api.set_member_status(CHANNEL, 9, "administrator", can_post_messages=False)
    admin = await bot.get_chat_member("@weltnachrichten", 7)
    assert isinstance(admin, ChatMemberAdministrator) and admin.can_post_messages is True
    assert (await bot.get_chat_member(CHANNEL, 8)).status == "creator"
    no_post = await bot.get_chat_member(CHANNEL, 9)
    assert isinstance(no_post, ChatMemberAdministrator) and no_post.can_post_messages is False
    assert (await bot.get_chat_member(CHANNEL, 10)).status == "left"
    me = await bot.get_chat_member(CHANNEL, bot.id)
    assert isinstance(me, ChatMemberAdministrator) and me.can_post_messages is True
    await bot.send_message("@weltnachrichten", "posted")
    assert [m["text"] for m in api.sent_messages(CHANNEL)] == ["posted"]


async def test_a_channel_without_posting_rights_refuses_like_telegram(
    api: FakeBotAPI, bot: Bot
) -> None:
    api.add_channel(CHANNEL, bot_status="administrator", can_post_messages=False)
    with pytest.raises(BadRequest, match=r"(?i)need administrator rights"):
        await bot.send_message(CHANNEL, "x")
    api.set_bot_status(CHANNEL, "member")
    with pytest.raises(BadRequest, match=r"(?i)member list is inaccessible"):
        await bot.get_chat_member(CHANNEL, 7)
    assert (await bot.get_chat_member(CHANNEL, bot.id)).status == "member"
    api.set_bot_status(CHANNEL, "left")
    with pytest.raises(Forbidden, match=r"(?i)not a member of the channel"):
        await bot.send_photo(CHANNEL, "https://img.example.org/a.jpg")
    assert api.sent_messages(CHANNEL) == []


async def test_a_command_posted_in_a_channel_arrives_as_a_channel_post(
    api: FakeBotAPI, bot: Bot
) -> None:
    api.add_channel(CHANNEL, "@weltnachrichten")
    api.push_channel_post(CHANNEL, "/subscribe Nordkorea")
    [update] = await bot.get_updates(timeout=1)
    post = update.channel_post
    assert post is not None and post.chat.type == "channel" and post.from_user is None
    assert post.text == "/subscribe Nordkorea" and post.entities[0].type == "bot_command"
    assert post.sender_chat is not None and post.sender_chat.id == CHANNEL


async def test_forum_topics_receive_messages_until_deleted(api: FakeBotAPI, bot: Bot) -> None:
    api.make_forum(FORUM, topics=(5, 9))
    pushed = api.push_message(
        FORUM, "/subscribe Putin", chat_type="supergroup", message_thread_id=5
    )
    assert pushed["message_thread_id"] == 5 and pushed["chat"]["is_forum"] is True
    sent = await bot.send_message(FORUM, "in topic", message_thread_id=5)
    assert sent.message_thread_id == 5 and sent.is_topic_message
    await bot.send_photo(FORUM, "https://img.example.org/a.jpg", message_thread_id=9)
    api.delete_topic(FORUM, 5)
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(FORUM, "lost topic", message_thread_id=5)
    general = await bot.send_message(FORUM, "general topic")
    assert general.message_thread_id is None
    assert [m.get("message_thread_id") for m in api.sent_messages(FORUM)] == [5, 9, None]


async def test_photos_count_against_the_flood_limits(api: FakeBotAPI, bot: Bot) -> None:
    api.set_limits(per_chat_per_second=1.0, per_chat_burst=1)
    await bot.send_photo(READER, "https://img.example.org/a.jpg")
    with pytest.raises(RetryAfter):
        await bot.send_photo(READER, "https://img.example.org/b.jpg")
