"""The use cases over a real SQLite file: what a reader or operator does, without Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from db.engine import make_engine, make_sessionmaker, migrate
from db.search_backend import search_backend
from db.unit import Database
from feeds.models import Article
from feeds.query import QueryError
from services import chats, subscriptions
from services.core import Services
from services.feeds import add_feed, import_feeds, remove_feed, sources

NOW = datetime(2025, 9, 2, 8, 0, tzinfo=UTC)
KRONE = Article(
    guid="1",
    link="https://krone.at/1",
    canonical_link="https://krone.at/1",
    title="Nordkoreas Machthaber Kim Jong-un reist nach China",
    teaser="",
    published=NOW,
    language="de",
)


def _english(text: str) -> str:
    return text


@pytest.fixture
async def svc(database_url: str) -> AsyncIterator[Services]:
    migrate(database_url)
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    yield Services(Database(sessions), search=search_backend(database_url), clock=lambda: NOW)
    await engine.dispose()


async def test_a_subscription_alerts_the_chat_it_names_and_unsubscribing_stops_it(
    svc: Services,
) -> None:
    # The chat that gets the alerts may differ from the one the command came from (a channel
    # managed from a private chat): the use case takes the target chat's id.
    await chats.record_chat(svc, -100123, chat_type="channel", title="News")
    made = await subscriptions.subscribe(svc, -100123, "Nordkorea", _english)
    assert made.created
    assert [hit.chat_id for hit in svc.index.match(KRONE)] == [-100123]
    again = await subscriptions.subscribe(svc, -100123, "Nordkorea", _english)
    assert not again.created
    (listed,) = await subscriptions.subscriptions_of(svc, -100123)
    assert listed.query_text == "Nordkorea" and not listed.muted
    assert await subscriptions.unsubscribe(svc, -100123, listed.id) == "Nordkorea"
    assert svc.index.match(KRONE) == []
    assert await subscriptions.unsubscribe(svc, -100123, listed.id) is None


async def test_muting_silences_a_topic_until_unmuted(svc: Services) -> None:
    await chats.record_chat(svc, 7, chat_type="private", title="Ann")
    made = await subscriptions.subscribe(svc, 7, "Kim Jong Un", _english)
    (row,) = await subscriptions.subscriptions_of(svc, 7)
    muted = await subscriptions.set_muted(svc, 7, row.id, True)
    assert muted is not None and muted.muted
    assert svc.index.match(KRONE) == []
    await subscriptions.set_muted(svc, 7, row.id, False)
    assert [hit.query_text for hit in svc.index.match(KRONE)] == [made.query.text]
    # Another chat cannot touch it.
    assert await subscriptions.set_muted(svc, 8, row.id, True) is None


async def test_an_invalid_query_stores_nothing(svc: Services) -> None:
    await chats.record_chat(svc, 7, chat_type="private", title="Ann")
    with pytest.raises(QueryError):
        await subscriptions.subscribe(svc, 7, '"unbalanced', _english)
    assert await subscriptions.subscriptions_of(svc, 7) == []


async def test_pause_resume_and_settings_are_stored(svc: Services) -> None:
    await chats.record_chat(svc, 7, chat_type="private", title="Ann", language="de")
    await chats.pause(svc, 7)
    paused = await chats.chat_settings(svc, 7)
    assert paused is not None and paused.paused
    assert await chats.resume(svc, 7) == 0
    changed = await chats.change_settings(svc, 7, {"timezone": "Europe/Vienna"})
    assert changed is not None
    assert (changed.timezone, changed.language, changed.paused) == ("Europe/Vienna", "de", False)
    assert await chats.change_settings(svc, 999, {"timezone": "UTC"}) is None


async def test_a_failed_unit_of_work_leaves_nothing_behind(svc: Services) -> None:
    with pytest.raises(RuntimeError):
        async with svc.write() as tx:
            from db import chats as chat_store

            await chat_store.upsert_chat(tx, 5, now=NOW)
            raise RuntimeError("boom")
    assert await chats.chat_settings(svc, 5) is None


async def test_feeds_from_a_list_and_removal(svc: Services) -> None:
    assert (
        await import_feeds(svc, [("https://a.example/rss", "A"), ("https://b.example/rss", None)])
        == 2
    )
    assert await import_feeds(svc, [("https://a.example/rss", "A")]) == 0
    feeds = await sources(svc)
    assert [f.url for f in feeds] == ["https://a.example/rss", "https://b.example/rss"]
    removed = await remove_feed(svc, feeds[0].id)
    # A listed feed is switched off, not deleted: the list would bring it back on the next start.
    assert removed is not None and not removed.deleted
    assert [f.active for f in await sources(svc)] == [False, True]
    # Without a fetcher /addfeed says so instead of pretending.
    assert (await add_feed(svc, "https://c.example/rss")).outcome == "unavailable"
