"""Readers and operators through the fake Bot API: German, /language, /settings, admin commands.

Also the OPML round trip of `newsbot feeds import` / `newsbot feeds export`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bench.fakes import FakeBotAPI, FeedServer, rss
from bot.__main__ import main
from bot.settings import Settings
from feeds.fetch import Fetcher, FetchRequest, FetchResult
from feeds.opml import read_feed_list
from handlers.i18n import LANGUAGES, command_menu
from tests import databases
from tests.integration.harness import db_rows, eventually, make_settings, running

READER = 5001  # a German-speaking reader
OPERATOR = 4242  # in ADMIN_IDS
STRANGER = 5002  # not in ADMIN_IDS
PUBLIC_HOST = "news.example.test"


class PublicNameFetcher(Fetcher):
    """The real Fetcher, except that one made-up public host name reaches the feed server.

    The feed server listens on loopback, which the address guard rightly refuses for feeds
    added from the chat. Requests for `PUBLIC_HOST` stand in for a public news site and are
    sent to the feed server; every other address, including literal loopback ones, meets the
    real guard unchanged.
    """

    def __init__(self, origin: str) -> None:
        super().__init__(total_timeout=10.0)
        self._origin = origin

    async def fetch(self, request: FetchRequest) -> FetchResult:
        parts = urlsplit(request.url)
        if parts.hostname != PUBLIC_HOST:
            return await super().fetch(request)
        local = dataclasses.replace(request, url=self._origin + parts.path, trusted=True)
        return dataclasses.replace(await super().fetch(local), url=request.url)


def _chat_row(settings: Settings, chat_id: int) -> dict[str, Any]:
    rows = db_rows(settings, "SELECT * FROM chats WHERE id = ?", chat_id)
    return rows[0] if rows else {}


def _rows(settings: Settings, sql: str, *params: object) -> list[tuple[Any, ...]]:
    return [tuple(row.values()) for row in db_rows(settings, sql, *params)]


def _buttons(message: dict[str, Any]) -> dict[str, str]:
    """callback_data → label of every inline button under a message."""
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {b["callback_data"]: b["text"] for row in keyboard for b in row if "callback_data" in b}


class Chat:
    """One reader's side of the conversation: send, tap, and read the bot's answers."""

    def __init__(self, api: FakeBotAPI, chat_id: int, language: str = "en") -> None:
        self.api, self.chat_id, self.language = api, chat_id, language

    async def send(self, text: str) -> dict[str, Any]:
        """Send a command and return the bot's (first) reply to it."""
        before = len(self.api.sent_messages(self.chat_id))
        self.api.push_message(self.chat_id, text, language_code=self.language)
        messages = await self.api.wait_for_messages_async(self.chat_id, before + 1)
        assert len(messages) > before, f"no reply to {text!r}"
        return messages[before]

    async def tap(
        self, message: dict[str, Any], data: str, *, edits: bool = True
    ) -> tuple[dict[str, Any], str]:
        """Press a button; returns the message as it is afterwards and the callback answer.

        With `edits`, waits until the bot has edited the message in place.
        """
        assert data in _buttons(message), f"no button {data!r} in {_buttons(message)}"
        message_id = message["message_id"]
        edits_before = len(self.api.edits(self.chat_id, message_id))
        query = self.api.push_callback_query(
            self.chat_id, message_id, data, language_code=self.language
        )
        assert await self.api.wait_for_async(lambda: bool(self.api.callback_answers(query)))
        if edits:
            assert await self.api.wait_for_async(
                lambda: len(self.api.edits(self.chat_id, message_id)) > edits_before
            ), f"{data!r} did not edit the message"
        answer = self.api.callback_answers(query)[0].get("text") or ""
        current = next(
            m for m in self.api.sent_messages(self.chat_id) if m["message_id"] == message_id
        )
        return current, answer


async def test_a_korean_reader_gets_the_korean_menu_examples_and_replies(tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        settings = make_settings(api.base_url, tmp_path, [])
        reader = Chat(api, READER, language="ko")
        async with running(settings):
            welcome = await reader.send("/start")
            # Every interface language has its command menu; other clients get English.
            for code in LANGUAGES:
                menu = [{"command": c, "description": d} for c, d in command_menu(code)]
                assert api.commands(language_code=code) == menu
            assert api.commands() == api.commands(language_code="en")
            assert _buttons(welcome) == {"try:ko:0": "➕ 북한", "try:ko:1": "➕ 북한 미사일"}
            assert "\n/subscribe 북한\n" in (await reader.send("/help"))["text"]

            before = len(api.sent_messages(READER))
            _, answer = await reader.tap(welcome, "try:ko:1", edits=False)
            assert answer == "구독했습니다."
            confirmation = (await api.wait_for_messages_async(READER, before + 1))[before]
            assert "북한 미사일" in confirmation["text"]
            assert _rows(settings, "SELECT query_text FROM subscriptions") == [("북한 미사일",)]

            # The button keeps adding what its label says after a switch of language.
            await reader.send("/language fr")
            _, answer = await reader.tap(welcome, "try:ko:0", edits=False)
            assert answer == "Abonné."
            rows = _rows(settings, "SELECT query_text FROM subscriptions ORDER BY id")
            assert rows == [("북한 미사일",), ("북한",)]


async def test_german_reader_language_timezone_and_settings(tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        settings = make_settings(api.base_url, tmp_path, [])
        reader = Chat(api, READER, language="de-AT")
        async with running(settings):
            welcome = await reader.send("/start")
            assert welcome["text"].startswith("👋 Ich beobachte Nachrichten-Feeds")
            assert len(welcome["text"].splitlines()) == 3
            assert _buttons(welcome)["try:de:0"] == "➕ Nordkorea"

            help_text = (await reader.send("/help"))["text"]
            assert "Suchsyntax" in help_text and "nur in der Schlagzeile" in help_text

            # One tap on an example subscribes the chat, and the bot says so in German.
            before = len(api.sent_messages(READER))
            _, answer = await reader.tap(welcome, "try:de:0", edits=False)
            assert answer == "Abonniert."
            confirmation = (await api.wait_for_messages_async(READER, before + 1))[before]
            assert "Nordkorea abonniert" in confirmation["text"]
            assert _rows(settings, "SELECT query_text FROM subscriptions") == [("Nordkorea",)]

            # /language: buttons switch, and the next answers come in the new language.
            picker = await reader.send("/language")
            assert {"lang:en", "lang:de", "lang:fr", "lang:ko"} <= set(_buttons(picker))
            switched, _ = await reader.tap(picker, "lang:en")
            assert switched["text"] == "Done: I speak English with you now."
            assert _chat_row(settings, READER)["language"] == "en"
            assert "Query syntax" in (await reader.send("/help"))["text"]
            back = await reader.send("/language de")
            assert back["text"] == "Erledigt: Ich spreche jetzt Deutsch mit dir."
            unknown_language = await reader.send("/language klingonisch")
            assert (
                "/language en, de, fr, es, it, pt, ru, uk, ko, ja, zh" in unknown_language["text"]
            )

            # /timezone: unknown names get a clear answer with a suggestion; good ones stick.
            unknown = await reader.send("/timezone Europe/Viena")
            assert "kenne ich nicht" in unknown["text"] and "Europe/Vienna" in unknown["text"]
            assert _chat_row(settings, READER)["timezone"] == "UTC"
            zone_set = await reader.send("/timezone europe/vienna")
            assert zone_set["text"].startswith("Zeitzone auf Europe/Vienna gesetzt")
            assert _chat_row(settings, READER)["timezone"] == "Europe/Vienna"

            # /settings: every tap is stored and redraws the same message in place.
            panel = await reader.send("/settings")
            assert "Deine Einstellungen" in panel["text"]
            assert "Zeitzone: Europe/Vienna" in panel["text"]
            panel, answer = await reader.tap(panel, "set:mode:hourly")
            assert answer == "Gespeichert."
            assert "eine Sammelnachricht pro Stunde" in panel["text"]
            assert _chat_row(settings, READER)["alert_mode"] == "hourly"
            hours, _ = await reader.tap(panel, "set:daily")
            assert "Um wie viel Uhr" in hours["text"]
            panel, _ = await reader.tap(hours, "set:hour:7")
            assert "täglich um 07:00" in panel["text"]
            row = _chat_row(settings, READER)
            assert (row["alert_mode"], row["digest_hour"]) == ("daily", 7)
            panel, _ = await reader.tap(panel, "set:quiet:1320-420")
            assert "Ruhezeit: 22:00–07:00" in panel["text"]
            panel, _ = await reader.tap(panel, "set:al:de")
            panel, _ = await reader.tap(panel, "set:al:en")
            assert "Artikelsprachen: Deutsch, Englisch" in panel["text"]
            row = _chat_row(settings, READER)
            assert (row["quiet_start"], row["quiet_end"]) == (1320, 420)
            assert row["article_languages"] == "de,en"
            panel, _ = await reader.tap(panel, "set:lang:en")
            assert (
                "Your settings" in panel["text"]
                and "Article languages: English, German" in (panel["text"])
            )
            assert all(edit["chat_id"] == READER for edit in api.edits())

        # The settings survive a restart.
        async with running(settings):
            panel = await reader.send("/settings")
            assert "one digest a day at 7:00" in panel["text"].replace("\u202f", " ")
            assert "Quiet hours: 10:00" in panel["text"]
            assert "Time zone: Europe/Vienna" in panel["text"]


GOOD_FEED = rss(
    [
        {"title": f"Meldung {n}", "link": f"https://news.example.test/{n}", "guid": f"g{n}"}
        for n in range(3)
    ],
    title="Example News",
)
WEB_PAGE = b"<!doctype html><html><head><title>Example</title></head><body>Hello</body></html>"


async def test_operator_adds_removes_feeds_and_reads_stats(tmp_path: Path) -> None:
    with FakeBotAPI() as api, FeedServer() as feeds:
        feeds.set_feed("/good.xml", GOOD_FEED)
        feeds.set_feed("/page.html", WEB_PAGE, content_type="text/html; charset=utf-8")
        file_feed = feeds.set_feed("/file.xml", rss([], title="From the feeds file"))
        settings = make_settings(api.base_url, tmp_path, [file_feed], ADMIN_IDS=str(OPERATOR))
        operator, stranger = Chat(api, OPERATOR), Chat(api, STRANGER, language="de")
        async with PublicNameFetcher(feeds.origin) as fetcher, running(settings, fetcher=fetcher):
            # Non-admins get a polite refusal, not silence.
            refusal = await stranger.send(f"/addfeed http://{PUBLIC_HOST}/good.xml")
            assert refusal["text"].startswith("Das dürfen leider nur die Betreiber")
            assert "Betreiber" in (await stranger.send("/stats"))["text"]

            added = await operator.send(f"/addfeed http://{PUBLIC_HOST}/good.xml")
            assert added["text"].startswith("✅ Added Example News with 3 items")
            stored = _rows(settings, "SELECT url, origin, trusted FROM feeds WHERE origin = 'chat'")
            assert stored == [(f"http://{PUBLIC_HOST}/good.xml", "chat", 0)]
            again = await operator.send(f"/addfeed http://{PUBLIC_HOST}/good.xml")
            assert again["text"] == "I already read Example News."

            not_feed = await operator.send(f"/addfeed http://{PUBLIC_HOST}/page.html")
            assert "not a feed" in not_feed["text"]
            for private in (feeds.url("/good.xml"), f"http://localhost:{feeds.port}/good.xml"):
                refused = await operator.send(f"/addfeed {private}")
                assert refused["text"].startswith("⛔ I can't add that address")
            assert len(_rows(settings, "SELECT id FROM feeds")) == 2  # the file feed and one

            stats = (await operator.send("/stats"))["text"]
            assert stats.startswith("Statistics")
            assert "Chats: 2 active, 0 paused, 0 blocked the bot" in stats
            assert "Subscriptions: 0" in stats
            assert "Alerts in the last 24 h: 0 sent, 0 waiting, 0 parked" in stats
            assert "Last poll took" in stats

            sources = (await stranger.send("/sources"))["text"]
            assert "Ich lese 2 Feeds" in sources and "Example News" in sources

            # /removefeed: buttons; a tap deletes the chat-added feed.
            listing = await operator.send("/removefeed")
            (feed_id,) = _rows(settings, "SELECT id FROM feeds WHERE origin = 'chat'")[0]
            removed, answer = await operator.tap(listing, f"rmfeed:{feed_id}")
            assert answer == "Removed."
            assert removed["text"] == "Removed Example News and its stored articles."
            assert _rows(settings, "SELECT id FROM feeds WHERE origin = 'chat'") == []
            # A FEEDS_FILE feed is switched off instead, or the next start would bring it back.
            file_title = "SELECT title FROM feeds WHERE origin = 'file'"
            assert await eventually(
                lambda: _rows(settings, file_title) == [("From the feeds file",)]
            )
            listing = await operator.send("/removefeed")
            (file_id,) = _rows(settings, "SELECT id FROM feeds WHERE origin = 'file'")[0]
            switched, _ = await operator.tap(listing, f"rmfeed:{file_id}")
            assert switched["text"].startswith("Switched off From the feeds file")
            assert _rows(settings, "SELECT active FROM feeds") == [(0,)]


def test_feeds_import_then_export_round_trips_opml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", databases.new_database_url(tmp_path))
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    source = tmp_path / "mine.opml"
    source.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>Mine</title></head><body>'
        '<outline text="News"><outline text="Krone" xmlUrl="https://www.krone.at/nachrichten/rss.html"/>'
        '<outline title="BBC &amp; World" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/>'
        "</outline></body></opml>",
        encoding="utf-8",
    )
    listing = tmp_path / "more.txt"
    listing.write_text("# one more\nhttps://www.tagesschau.de/xml/rss2/\n", encoding="utf-8")

    assert main(["feeds", "import", str(source)]) == 0
    assert b"2 feeds, 2 added" in capsysbinary.readouterr().out
    assert main(["feeds", "import", str(listing)]) == 0
    assert main(["feeds", "import", str(source)]) == 0
    assert b"2 feeds, 0 added" in capsysbinary.readouterr().out.splitlines()[-1]

    assert main(["feeds", "export"]) == 0
    exported = read_feed_list(capsysbinary.readouterr().out)
    assert [(f.url, f.title) for f in exported] == [
        ("https://www.krone.at/nachrichten/rss.html", "Krone"),
        ("https://feeds.bbci.co.uk/news/world/rss.xml", "BBC & World"),
        ("https://www.tagesschau.de/xml/rss2/", "https://www.tagesschau.de/xml/rss2/"),
    ]
    assert main(["feeds", "import", str(tmp_path / "missing.opml")]) == 1
