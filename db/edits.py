"""Storage of alert edits: outlets and subscriptions that join a story after its alert.

One alert per (chat, story): a later article of the story adds its outlet (and any
subscription the first did not match) to that alert. Before the alert is sent, the first
send carries them (the outbox reads them with the alert); after, `edit_due_at` queues an edit
of the sent message, at most one a minute per alert and only within 48 hours of the send.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Alert, Article, Chat, Feed
from db.sql import chunks, rowcount

EDIT_GAP = timedelta(minutes=1)
"""At most one edit per alert (one story in one chat) in this time."""
EDIT_WINDOW = timedelta(hours=48)
"""Alerts sent longer ago than this are no longer edited: the story has closed."""
MAX_OUTLETS = 12
"""Outlets named on one alert; more add nothing a reader would read."""


@dataclass(frozen=True, slots=True)
class LaterReport:
    """An article that matched a chat whose alert for its story may already exist."""

    chat_id: int
    story_id: int
    article_id: int
    feed_id: int
    source: str
    link: str
    queries: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DueEdit:
    """A sent alert whose message is to be edited, with what the message shows."""

    id: int
    chat_id: int
    chat_type: str
    message_id: int
    subscription_id: int | None
    query_text: str
    queries: tuple[str, ...]
    outlets: tuple[tuple[str, str], ...]
    title: str
    teaser: str
    link: str
    source: str
    published_at: datetime
    chat_language: str
    chat_timezone: str
    in_digest: bool
    """The message carries other alerts too (a digest): it is not edited."""
    stored: tuple[str | None, str | None]
    """`matched_queries` and `outlets` as read: the edit is done only if they are unchanged."""


def _queries(stored: str | None, first: str) -> list[str]:
    found = json.loads(stored) if stored else [first]
    return [str(q) for q in found] if isinstance(found, list) else [first]


def _outlets(stored: str | None) -> list[tuple[str, str]]:
    found = json.loads(stored) if stored else []
    if not isinstance(found, list):
        return []
    return [(str(pair[0]), str(pair[1])) for pair in found if isinstance(pair, list) and pair]


async def add_later_reports(
    session: AsyncSession, reports: Sequence[LaterReport], *, now: datetime
) -> int:
    """Add later outlets and subscriptions to the chats' alerts of their stories; returns how
    many alerts changed. An article that is its alert's own, or from the alert's own feed,
    adds nothing."""
    if not reports:
        return 0
    wanted = {(r.chat_id, r.story_id) for r in reports}
    alerts: dict[tuple[int, int], Alert] = {}
    own_feed: dict[int, int] = {}
    for chunk in chunks(sorted({r.story_id for r in reports}), 400):
        rows = await session.execute(
            select(Alert, Article.feed_id)
            .join(Article, Article.id == Alert.article_id)
            .where(Alert.story_id.in_(chunk))
        )
        for row, feed_id in rows.tuples():
            if (row.chat_id, row.story_id) in wanted:
                alerts[(row.chat_id, row.story_id)] = row
                own_feed[row.id] = feed_id
    changed = 0
    for report in reports:
        alert = alerts.get((report.chat_id, report.story_id))
        if alert is None or alert.article_id == report.article_id:
            continue
        if _add(alert, report, own_feed[alert.id]):
            changed += 1
            _schedule(alert, now)
    return changed


def _add(alert: Alert, report: LaterReport, own_feed: int) -> bool:
    """Name the report's outlet and new subscriptions on the alert; whether it changed."""
    changed = False
    queries = _queries(alert.matched_queries, alert.query_text)
    new_queries = [q for q in report.queries if q not in queries]
    if new_queries:
        alert.matched_queries = json.dumps(queries + new_queries)
        changed = True
    outlets = _outlets(alert.outlets)
    known = {source for source, _link in outlets}
    if report.feed_id != own_feed and report.source not in known and len(outlets) < MAX_OUTLETS:
        alert.outlets = json.dumps([*map(list, outlets), [report.source, report.link]])
        changed = True
    return changed


def _schedule(alert: Alert, now: datetime) -> None:
    """Queue an edit of a sent alert (never sooner than a minute after the last one)."""
    if alert.status != "sent" or alert.telegram_message_id is None or alert.sent_at is None:
        return  # the first send will show it all
    if now - alert.sent_at > EDIT_WINDOW:
        return
    due = now if alert.edited_at is None else max(now, alert.edited_at + EDIT_GAP)
    alert.edit_due_at = due if alert.edit_due_at is None else max(alert.edit_due_at, due)


async def due_edits(session: AsyncSession, now: datetime, *, limit: int = 20) -> list[DueEdit]:
    """Sent alerts whose edit is due, oldest due first, in active chats."""
    rows = await session.execute(
        select(
            Alert,
            Chat.type,
            func.coalesce(Chat.language, "en"),
            func.coalesce(Chat.timezone, "UTC"),
            Article.title,
            Article.teaser,
            Article.canonical_link,
            Article.link,
            Article.published_at,
            func.coalesce(Feed.title, Feed.url),
        )
        .join(Chat, Chat.id == Alert.chat_id)
        .join(Article, Article.id == Alert.article_id)
        .join(Feed, Feed.id == Article.feed_id)
        .where(
            Alert.edit_due_at <= now,
            Alert.status == "sent",
            Alert.telegram_message_id.is_not(None),
            Chat.active.is_(True),
        )
        .order_by(Alert.edit_due_at, Alert.id)
        .limit(limit)
    )
    found = list(rows.tuples())
    shared = await _shared_messages(
        session, [(a.chat_id, a.telegram_message_id) for a, *_ in found]
    )
    edits = []
    for alert, chat_type, language, timezone, title, teaser, canonical, link, when, source in found:
        assert alert.telegram_message_id is not None
        edits.append(
            DueEdit(
                id=alert.id,
                chat_id=alert.chat_id,
                chat_type=chat_type,
                message_id=alert.telegram_message_id,
                subscription_id=alert.subscription_id,
                query_text=alert.query_text,
                queries=tuple(_queries(alert.matched_queries, alert.query_text)),
                outlets=tuple(_outlets(alert.outlets)),
                title=title,
                teaser=teaser,
                link=canonical or link,
                source=source,
                published_at=when,
                chat_language=language,
                chat_timezone=timezone,
                in_digest=(alert.chat_id, alert.telegram_message_id) in shared,
                stored=(alert.matched_queries, alert.outlets),
            )
        )
    return edits


async def _shared_messages(
    session: AsyncSession, messages: Sequence[tuple[int, int | None]]
) -> set[tuple[int, int]]:
    """The (chat, message) pairs that carry more than one alert: digests."""
    shared: set[tuple[int, int]] = set()
    for chunk in chunks(sorted({m for m in messages if m[1] is not None}), 200):
        rows = await session.execute(
            select(Alert.chat_id, Alert.telegram_message_id)
            .where(
                and_(
                    Alert.chat_id.in_([chat for chat, _ in chunk]),
                    Alert.telegram_message_id.in_([message for _, message in chunk]),
                )
            )
            .group_by(Alert.chat_id, Alert.telegram_message_id)
            .having(func.count() > 1)
        )
        shared.update((chat, message) for chat, message in rows.tuples() if message is not None)
    return shared


async def edit_done(session: AsyncSession, edit: DueEdit, *, now: datetime) -> None:
    """The message shows what was read: no edit pending, unless more joined meanwhile (then
    the next edit is due a minute from now)."""
    queries, outlets = edit.stored
    unchanged = await session.execute(
        update(Alert)
        .where(
            Alert.id == edit.id,
            Alert.matched_queries.is_(None)
            if queries is None
            else Alert.matched_queries == queries,
            Alert.outlets.is_(None) if outlets is None else Alert.outlets == outlets,
        )
        .values(edited_at=now, edit_due_at=None)
    )
    if not rowcount(unchanged):
        await session.execute(
            update(Alert)
            .where(Alert.id == edit.id)
            .values(edited_at=now, edit_due_at=now + EDIT_GAP)
        )


async def edit_later(session: AsyncSession, alert_id: int, *, at: datetime) -> None:
    """Try the edit again at `at` (Telegram asked us to wait, or could not be reached)."""
    await session.execute(update(Alert).where(Alert.id == alert_id).values(edit_due_at=at))


async def edit_dropped(session: AsyncSession, alert_id: int) -> None:
    """The edit can never be made (the message is gone, or is a digest): none pending."""
    await session.execute(update(Alert).where(Alert.id == alert_id).values(edit_due_at=None))
