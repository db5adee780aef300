"""Storage of alert edits: outlets that join a story go into the first send or queue an edit,
at most one a minute, for 48 hours."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from db import chats, edits, outbox, subscriptions
from db import feeds as feed_store
from db.unit import Database
from feeds.models import Article, Hit
from feeds.stories import StoryGrouper
from tests.integration.seed import migrated, store_articles

NOW = datetime(2025, 9, 2, 12, 0, tzinfo=UTC)
CHAT = 111


def _report(guid: str, title: str, teaser: str) -> Article:
    return Article(
        guid=guid,
        link=f"https://{guid}.test/kim?utm_source=rss",
        canonical_link=f"https://{guid}.test/kim",
        title=title,
        teaser=teaser,
        published=NOW - timedelta(hours=1),
        language="en",
    )


REUTERS = _report(
    "reuters",
    "North Korea's Kim Jong Un arrives in Beijing by train for military parade",
    "North Korean leader Kim Jong Un arrived in Beijing on his armoured train on Tuesday.",
)
BBC = _report(
    "bbc",
    "Kim Jong Un arrives in Beijing on armoured train for China's military parade",
    "The North Korean leader Kim Jong Un reached Beijing on his armoured train on Tuesday.",
)
GUARDIAN = _report(
    "guardian",
    "Kim Jong Un's armoured train arrives in Beijing ahead of military parade",
    "Kim Jong Un arrived in Beijing by armoured train on Tuesday for China's parade.",
)


def _kim(_article: Article) -> list[Hit]:
    return [Hit(1, CHAT, "Kim Jong Un")]


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    async with migrated(database_url) as database:
        yield database


async def _feeds(db: Database) -> list[int]:
    async with db.write() as session:
        await chats.upsert_chat(session, CHAT, now=NOW)
        await subscriptions.add_subscription(session, CHAT, "Kim Jong Un", "{}", now=NOW)
        await feed_store.merge_feeds(
            session,
            [
                ("http://r.test/feed", "Reuters"),
                ("http://b.test/feed", "BBC"),
                ("http://g.test/feed", "Guardian"),
            ],
            now=NOW,
        )
        return [feed.id for feed in await feed_store.all_feeds(session)]


async def _arrives(db: Database, stories: StoryGrouper, feed_id: int, value: Article) -> None:
    """A poll of the feed brings the article; it matches the reader's subscription."""
    async with db.write() as session:
        await store_articles(session, feed_id, [value], now=NOW, match=_kim, stories=stories)


async def test_outlets_that_join_before_the_send_go_into_the_first_send(db: Database) -> None:
    reuters, bbc, _guardian = await _feeds(db)
    stories = StoryGrouper()
    async with db.write() as session:
        await store_articles(session, reuters, [REUTERS], now=NOW, match=_kim, stories=stories)
        await store_articles(session, bbc, [BBC], now=NOW, match=_kim, stories=stories)
    async with db.read() as session:
        due = await outbox.due_alerts(session, NOW)
        pending = await edits.due_edits(session, NOW + timedelta(days=1))
    assert [(a.title, a.outlets) for a in due] == [
        (REUTERS.title, (("BBC", "https://bbc.test/kim"),))
    ]
    assert pending == []  # nothing was sent: nothing to edit


async def test_an_edit_of_a_sent_alert_is_due_at_most_once_a_minute(db: Database) -> None:
    reuters, bbc, guardian = await _feeds(db)
    stories = StoryGrouper()
    await _arrives(db, stories, reuters, REUTERS)
    async with db.write() as session:
        (alert,) = await outbox.due_alerts(session, NOW)
        await outbox.mark_sent(session, [alert.id], 42, now=NOW)
    await _arrives(db, stories, bbc, BBC)
    async with db.read() as session:
        (edit,) = await edits.due_edits(session, NOW)
    assert edit.message_id == 42 and edit.outlets == (("BBC", "https://bbc.test/kim"),)
    async with db.write() as session:
        await edits.edit_done(session, edit, now=NOW)
        await store_articles(session, guardian, [GUARDIAN], now=NOW, match=_kim, stories=stories)
    async with db.read() as session:
        assert await edits.due_edits(session, NOW + timedelta(seconds=59)) == []
        (again,) = await edits.due_edits(session, NOW + timedelta(seconds=60))
    assert [source for source, _link in again.outlets] == ["BBC", "Guardian"]


async def test_an_alert_sent_more_than_48_hours_ago_is_no_longer_edited(db: Database) -> None:
    reuters, bbc, _guardian = await _feeds(db)
    stories = StoryGrouper()
    await _arrives(db, stories, reuters, REUTERS)
    async with db.write() as session:
        (alert,) = await outbox.due_alerts(session, NOW)
        await outbox.mark_sent(session, [alert.id], 42, now=NOW - timedelta(hours=49))
    await _arrives(db, stories, bbc, BBC)
    async with db.read() as session:
        assert await edits.due_edits(session, NOW + timedelta(days=1)) == []


async def test_an_outlet_that_joins_while_the_alert_is_in_flight_is_edited_in(
    db: Database,
) -> None:
    """The send was rendered before BBC joined; marking it sent sees the change and queues the
    edit (before: the alert was still queued when BBC joined, so no edit was scheduled, and
    the sent message never named BBC)."""
    reuters, bbc, _guardian = await _feeds(db)
    stories = StoryGrouper()
    await _arrives(db, stories, reuters, REUTERS)
    async with db.read() as session:
        (in_flight,) = await outbox.due_alerts(session, NOW)
    assert in_flight.outlets == ()
    # BBC is stored while the send is on its way.
    await _arrives(db, stories, bbc, BBC)
    async with db.write() as session:
        await outbox.mark_sent_many(
            session, [([in_flight.id], 42)], now=NOW, shown={in_flight.id: in_flight.shown}
        )
    async with db.read() as session:
        (edit,) = await edits.due_edits(session, NOW)
    assert edit.message_id == 42 and edit.outlets == (("BBC", "https://bbc.test/kim"),)


async def test_an_alert_nothing_joined_while_in_flight_queues_no_edit(db: Database) -> None:
    reuters, _bbc, _guardian = await _feeds(db)
    await _arrives(db, StoryGrouper(), reuters, REUTERS)
    async with db.read() as session:
        (in_flight,) = await outbox.due_alerts(session, NOW)
    async with db.write() as session:
        await outbox.mark_sent_many(
            session, [([in_flight.id], 42)], now=NOW, shown={in_flight.id: in_flight.shown}
        )
    async with db.read() as session:
        assert await edits.due_edits(session, NOW + timedelta(days=1)) == []
