"""One story, one alert: outlets that report an event in other words or languages join it.

Two feeds on the loopback feed server, an English and a German outlet, carry real events of
September 2025 (`tests/data/stories/memory.jsonl`): Kim Jong Un's train to Beijing, the
Xi–Putin gas talks the same day, and the Beijing parade the day after, which both Kim and
Putin attended.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bench.fakes import FakeBotAPI, FeedServer, rss
from bot.runtime import open_runtime
from bot.settings import Settings
from feeds.index import SubscriptionIndex
from feeds.models import Article as FeedArticle
from feeds.models import Hit
from tests.integration.harness import db_count, db_execute, eventually, make_settings, running

STORIES = Path(__file__).parents[1] / "data" / "stories" / "memory.jsonl"
READER, OTHER = 3001, 3002
OLD = {
    "title": "Ein älterer Bericht über das Wetter",
    "link": "https://example.org/old",
    "guid": "old",
    "description": "Regen.",
    "pubDate": datetime.fromisoformat("2025-09-01T06:00:00+00:00"),
}


def _item(event: str, outlet: str) -> dict[str, object]:
    for line in STORIES.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["event"] == event and row["outlet"] == outlet:
            slug = f"{event}-{outlet.lower().replace(' ', '-').replace('.', '-')}"
            return {
                "title": row["title"],
                # A tracking parameter the alert must not show.
                "link": f"https://news.example.org/{slug}?utm_source=rss&utm_medium=feed",
                "guid": slug,
                "description": row["description"],
                "pubDate": datetime.fromisoformat(row["published"]),
            }
    raise LookupError(f"{event} by {outlet} is not in {STORIES.name}")


def _alerts(api: FakeBotAPI, chat_id: int) -> list[dict[str, Any]]:
    return [m for m in api.sent_messages(chat_id) if "Matched:" in m["text"]]


@pytest.mark.parametrize("lead", ["de", "en"])
async def test_one_event_in_two_languages_alerts_once_and_two_events_twice(
    tmp_path: Path, lead: str
) -> None:
    english = [
        _item("kim-train-arrives-beijing-2025", "Reuters"),
        _item("xi-putin-talks-gas-2025", "Reuters"),
        _item("beijing-victory-day-parade-2025", "BBC News"),
    ]
    german = [
        _item("kim-train-arrives-beijing-2025", "tagesschau.de"),
        _item("xi-putin-talks-gas-2025", "tagesschau.de"),
        _item("beijing-victory-day-parade-2025", "tagesschau.de"),
    ]
    with FakeBotAPI() as api, FeedServer() as feeds:
        en_url = feeds.set_feed("/en.xml", rss([OLD], language="en"))
        de_url = feeds.set_feed("/de.xml", rss([{**OLD, "guid": "old-de"}], language="de"))
        settings = make_settings(api.base_url, tmp_path, [en_url, de_url])
        async with running(settings):
            # The first poll stores each feed's backlog without alerting it.
            assert await eventually(
                lambda: db_count(settings, "SELECT count(*) FROM articles") == 2
            )
            api.push_message(READER, "/subscribe Kim Jong Un")
            api.push_message(OTHER, "/subscribe Gaspipeline OR gas pipeline")
            assert await api.wait_for_messages_async(READER, 1)
            api.push_message(READER, "/subscribe Nordkorea")
            assert await api.wait_for_messages_async(READER, 2)
            assert await api.wait_for_messages_async(OTHER, 1)

            # Either language first: grouping no longer depends on the arrival order of
            # this cluster (Kim, Xi and Putin in Beijing the same days; 0 wrong merges in all
            # 720 orders of its six reports, tests/unit/test_stories.py).
            updates = {
                "de": ("/de.xml", rss([{**OLD, "guid": "old-de"}, *german], language="de")),
                "en": ("/en.xml", rss([OLD, *english], language="en")),
            }

            def stored(count: int) -> Callable[[], bool]:
                return lambda: db_count(settings, "SELECT count(*) FROM articles") == count

            for language, count in ((lead, 5), ("en" if lead == "de" else "de", 8)):
                feeds.set_feed(*updates[language])
                assert await eventually(stored(count))
            # Six reports of three events are three stories (and the two backlog items, with
            # one headline, a fourth).
            assert db_count(settings, "SELECT count(DISTINCT story_id) FROM articles") == 4
            assert await eventually(lambda: len(_alerts(api, READER)) >= 2)
            assert await eventually(lambda: len(_alerts(api, OTHER)) >= 1)
            polls = feeds.count("/en.xml")
            assert await eventually(lambda: feeds.count("/en.xml") >= polls + 2)

            # The train (English and German) alerts once; the parade, with Kim in it too,
            # is another event and alerts on its own.
            headlines = [alert["text"].split("\n")[0] for alert in _alerts(api, READER)]
            assert len(headlines) == 2, headlines
            train = [h for h in headlines if "train" in h or "Zug" in h]
            assert len(train) == 1, headlines
            # The alert names both subscriptions the report matched; the headline links to
            # the article, without the feed's tracking parameters, which the link line
            # leaves out too.
            first = next(a for a in _alerts(api, READER) if a["text"].startswith(train[0]))
            assert "Matched: Kim Jong Un · Nordkorea" in first["text"]
            link = next(e for e in first["entities"] if e["type"] == "text_link")
            assert link["offset"] == 0 and link["url"].startswith("https://news.example.org/")
            assert all("utm_" not in a["html"] for a in _alerts(api, READER))
            # The gas deal, reported by both outlets, is one alert.
            assert len(_alerts(api, OTHER)) == 1


def _reuters_and_tagesschau(
    api: FakeBotAPI, feeds: FeedServer, tmp_path: Path, backlog_de: dict[str, Any]
) -> Settings:
    """Two outlets' feeds with one old item each (the backlog), and a bot reading both."""
    en_url = feeds.set_feed("/en.xml", rss([OLD], title="Reuters", language="en"))
    de_url = feeds.set_feed("/de.xml", rss([backlog_de], title="tagesschau", language="de"))
    return make_settings(api.base_url, tmp_path, [en_url, de_url])


async def _reader_of_kim_jong_un(api: FakeBotAPI, settings: Settings) -> None:
    """The backlog stored (the first poll alerts nothing), then the reader subscribes."""
    assert await eventually(lambda: db_count(settings, "SELECT count(*) FROM articles") == 2)
    api.push_message(READER, "/subscribe Kim Jong Un")
    assert await api.wait_for_messages_async(READER, 1)


async def test_a_later_outlet_edits_the_alert_and_names_a_newly_matched_subscription(
    tmp_path: Path,
) -> None:
    reuters = _item("kim-train-arrives-beijing-2025", "Reuters")
    tagesschau = _item("kim-train-arrives-beijing-2025", "tagesschau.de")
    backlog_de = {**OLD, "guid": "old-de"}
    with FakeBotAPI() as api, FeedServer() as feeds:
        settings = _reuters_and_tagesschau(api, feeds, tmp_path, backlog_de)
        async with running(settings):
            await _reader_of_kim_jong_un(api, settings)
            # Only the German report says "Sonderzug".
            api.push_message(READER, "/subscribe Sonderzug")
            assert await api.wait_for_messages_async(READER, 2)

            feeds.set_feed("/en.xml", rss([OLD, reuters], title="Reuters", language="en"))
            assert await eventually(lambda: len(_alerts(api, READER)) == 1)
            alert = _alerts(api, READER)[0]
            assert "Matched: Kim Jong Un\n" in alert["text"]

            feeds.set_feed(
                "/de.xml", rss([backlog_de, tagesschau], title="tagesschau", language="de")
            )
            assert await eventually(lambda: len(api.edits(READER)) == 1)
            edited = api.edits(READER)[0]
            assert edited["message_id"] == alert["message_id"]
            assert "also: tagesschau" in edited["text"]
            assert "Matched: Kim Jong Un · Sonderzug" in edited["text"]
            assert (
                'href="https://news.example.org/kim-train-arrives-beijing-2025-tagesschau'
                in (edited["html"])
            )
            # The mute button stays; no new message.
            assert edited["reply_markup"] == alert["reply_markup"]
            polls = feeds.count("/de.xml")
            assert await eventually(lambda: feeds.count("/de.xml") >= polls + 2)
            assert len(_alerts(api, READER)) == 1
            assert len(api.edits(READER)) == 1
            assert (
                db_count(settings, "SELECT count(*) FROM alerts WHERE edit_due_at IS NOT NULL") == 0
            )


def _execute(settings: Settings, sql: str, *params: object) -> None:
    db_execute(settings, sql, *params)


async def test_edits_resume_after_a_restart_and_never_become_new_messages(
    tmp_path: Path,
) -> None:
    reuters = _item("kim-train-arrives-beijing-2025", "Reuters")
    tagesschau = _item("kim-train-arrives-beijing-2025", "tagesschau.de")
    backlog_de = {**OLD, "guid": "old-de"}
    with FakeBotAPI() as api, FeedServer() as feeds:
        settings = _reuters_and_tagesschau(api, feeds, tmp_path, backlog_de)
        async with running(settings):
            await _reader_of_kim_jong_un(api, settings)
            feeds.set_feed("/en.xml", rss([OLD, reuters], title="Reuters", language="en"))
            assert await eventually(lambda: len(_alerts(api, READER)) == 1)
            # Telegram asks us to wait with the edit; the bot stops meanwhile.
            api.fail_next("editMessageText", 429, "Too Many Requests: retry after 2", retry_after=2)
            feeds.set_feed(
                "/de.xml", rss([backlog_de, tagesschau], title="tagesschau", language="de")
            )
            assert await eventually(lambda: _refused_edits(api) == ["Too Many Requests"])
        assert api.edits(READER) == []

        async with running(settings):
            assert await eventually(lambda: len(api.edits(READER)) == 1)
            assert "also: tagesschau" in api.edits(READER)[0]["text"]
            assert await eventually(lambda: _edit_pending(settings) == 0)
            # An edit that changes nothing ("message is not modified") is done.
            _execute(settings, "UPDATE alerts SET edit_due_at = '2000-01-01 00:00:00'")
            assert await eventually(lambda: _refused_edits(api)[-1:] == [_NOT_MODIFIED])
            assert await eventually(lambda: _edit_pending(settings) == 0)
            # A message the reader deleted drops the edit; nothing is sent instead.
            _execute(
                settings,
                "UPDATE alerts SET telegram_message_id = 999999, "
                "edit_due_at = '2000-01-01 00:00:00'",
            )
            assert await eventually(lambda: _refused_edits(api)[-1:] == [_NOT_FOUND])
            assert await eventually(lambda: _edit_pending(settings) == 0)
        assert len(_alerts(api, READER)) == 1
        assert len(api.edits(READER)) == 1


_NOT_MODIFIED = "message is not modified"
_NOT_FOUND = "message to edit not found"


def _refused_edits(api: FakeBotAPI) -> list[str]:
    """What the fake refused edits for, in the words that matter."""
    found = []
    for failure in api.failures:
        if failure.method.lower() == "editmessagetext":
            for words in (_NOT_MODIFIED, _NOT_FOUND, "Too Many Requests"):
                if words in failure.description:
                    found.append(words)
    return found


def _edit_pending(settings: Settings) -> int:
    return db_count(settings, "SELECT count(*) FROM alerts WHERE edit_due_at IS NOT NULL")


class _BrokenIndex(SubscriptionIndex):
    """A matcher that fails: the poll's write rolls back."""

    def match(self, article: FeedArticle) -> list[Hit]:
        raise RuntimeError("matcher broke")


async def test_a_rolled_back_write_leaves_no_story_behind(tmp_path: Path) -> None:
    reuters = _item("kim-train-arrives-beijing-2025", "Reuters")
    other = _item("merz-elected-chancellor-2025", "tagesschau.de")
    with FeedServer() as feeds:
        url = feeds.set_feed("/f.xml", rss([OLD]))
        settings = make_settings("http://127.0.0.1:9/bot", tmp_path, [url])
        async with open_runtime(settings) as runtime:
            await runtime.poller.poll(everything=True)  # the backlog
            working = runtime.services.index
            runtime.services.index = _BrokenIndex()
            feeds.set_feed("/f.xml", rss([OLD, reuters]))
            failed = await runtime.poller.poll(everything=True)
            assert failed is not None and failed.count("error") == 1
            assert db_count(settings, "SELECT count(*) FROM articles") == 1

            # The report that was never stored must not stay a story it joins when it comes
            # again: the article before it now takes the id the lost one had (its story's).
            runtime.services.index = working
            feeds.set_feed("/f.xml", rss([OLD, other, reuters]))
            await runtime.poller.poll(everything=True)
        assert db_count(settings, "SELECT count(*) FROM articles") == 3
        assert db_count(settings, "SELECT count(DISTINCT story_id) FROM articles") == 3
