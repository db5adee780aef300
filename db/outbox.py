"""Storage of the outbox: alerts waiting for delivery and what became of each."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import cast

from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Alert, Article, Chat, Feed, Subscription


@dataclass(frozen=True, slots=True)
class DueAlert:
    """An outbox row joined with what the message needs."""

    id: int
    chat_id: int
    chat_type: str
    attempts: int
    query_text: str
    subscription_id: int | None
    article_id: int
    title: str
    teaser: str
    link: str
    published_at: datetime
    language: str | None
    source: str
    held: bool = False
    """It waited for a digest, quiet hours or a retry: several of them go out folded."""
    chat_language: str = "en"
    chat_timezone: str = "UTC"
    due_in_chat: int = 1
    """How many alerts are due for this chat in all (more than were read, perhaps)."""
    canonical_link: str = ""
    """The link without tracking parameters: what the alert shows."""
    queries: tuple[str, ...] = ()
    """Every subscription of the chat that matched (`Alert.matched_queries`), oldest first."""
    outlets: tuple[tuple[str, str], ...] = ()
    """Outlets that joined the story before the alert went out (`Alert.outlets`)."""
    thread_id: int | None = None
    """The forum topic its subscription delivers into; None: the chat itself."""
    image: str | None = None
    """The article's picture, if it has one."""
    pictures: bool = True
    """Whether the chat wants pictures (and link previews)."""
    silent: bool = False
    """Its subscription alerts without a sound (`disable_notification`)."""
    shown: tuple[str | None, str | None] = (None, None)
    """`Alert.matched_queries` and `Alert.outlets` as read: the send shows these. A report
    that joins the story while the alert is in flight changes them, and marking it sent
    then queues an edit (`mark_sent_many`)."""


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(Alert.status == "queued", Alert.next_attempt_at <= now, Chat.active.is_(True))


async def due_alerts(
    session: AsyncSession,
    now: datetime,
    *,
    chats: int = 500,
    per_chat: int = 100,
    skip: Collection[int] = (),
) -> list[DueAlert]:
    """Queued alerts whose time has come, read per chat: up to `chats` chats, oldest first.

    Each chat brings at most `per_chat` rows, so one chat with thousands queued (a daily
    digest, quiet hours ending) never crowds the others out of a pass; `due_in_chat` still
    counts all of a chat's due alerts, so folding into a digest sees them all. `skip` names
    chats the caller cannot send to now (busy, or waiting for their gap).
    """
    # Step one picks the chats (a GROUP BY), step two their first rows (ROW_NUMBER() per
    # chat): plain SQL both, portable to PostgreSQL.
    picked = (
        select(Alert.chat_id, func.min(Alert.id).label("first"), func.count().label("due"))
        .join(Chat, Chat.id == Alert.chat_id)
        .where(_due(now))
        .group_by(Alert.chat_id)
        .order_by(func.min(Alert.id))
        .limit(chats)
    )
    if skip:
        picked = picked.where(Alert.chat_id.not_in(list(skip)))
    counts = {chat_id: due for chat_id, _first, due in await session.execute(picked)}
    if not counts:
        return []
    rank = func.row_number().over(partition_by=Alert.chat_id, order_by=Alert.id).label("rank")
    ranked = (
        select(Alert.id, rank)
        .join(Chat, Chat.id == Alert.chat_id)
        .where(_due(now), Alert.chat_id.in_(list(counts)))
        .subquery()
    )
    rows = await session.execute(
        select(
            Alert.id,
            Alert.chat_id,
            Chat.type,
            Alert.attempts,
            Alert.query_text,
            Alert.subscription_id,
            Article.id,
            Article.title,
            Article.teaser,
            Article.link,
            Article.published_at,
            Article.language,
            func.coalesce(Feed.title, Feed.url),
            Alert.next_attempt_at > Alert.created_at,
            func.coalesce(Chat.language, "en"),
            func.coalesce(Chat.timezone, "UTC"),
            Article.canonical_link,
            Alert.matched_queries,
            Alert.outlets,
            Subscription.message_thread_id,
            Article.image,
            Chat.pictures,
            Subscription.silent,
        )
        .join(ranked, ranked.c.id == Alert.id)
        .join(Chat, Chat.id == Alert.chat_id)
        .join(Article, Article.id == Alert.article_id)
        .join(Feed, Feed.id == Article.feed_id)
        .outerjoin(Subscription, Subscription.id == Alert.subscription_id)
        .where(ranked.c.rank <= per_chat)
        .order_by(Alert.id)
    )
    return [
        replace(
            DueAlert(*r[:16]),
            due_in_chat=counts[r[1]],
            canonical_link=r[16] or "",
            queries=_queries(r[17]),
            outlets=_outlets(r[18]),
            thread_id=r[19],
            image=r[20],
            pictures=bool(r[21]),
            silent=bool(r[22]),
            shown=(r[17], r[18]),
        )
        for r in rows
    ]


def _outlets(stored: str | None) -> tuple[tuple[str, str], ...]:
    """`Alert.outlets` read back: (source, link) pairs."""
    found = json.loads(stored) if stored else []
    if not isinstance(found, list):
        return ()
    return tuple((str(pair[0]), str(pair[1])) for pair in found if isinstance(pair, list) and pair)


def _queries(stored: str | None) -> tuple[str, ...]:
    """`Alert.matched_queries` read back (None on rows from before it existed)."""
    if not stored:
        return ()
    found = json.loads(stored)
    return tuple(str(query) for query in found) if isinstance(found, list) else ()


async def mark_sent(
    session: AsyncSession, alert_ids: Sequence[int], message_id: int | None, *, now: datetime
) -> None:
    await session.execute(
        update(Alert)
        .where(Alert.id.in_(alert_ids))
        .values(status="sent", telegram_message_id=message_id, sent_at=now, last_error=None)
    )


async def mark_sent_many(
    session: AsyncSession,
    sent: Sequence[tuple[Sequence[int], int]],
    *,
    now: datetime,
    shown: Mapping[int, tuple[str | None, str | None]] | None = None,
) -> None:
    """Many sends at once, each alert with the id of the message that carried it.

    `shown` holds, per alert sent alone, the `DueAlert.shown` its message was rendered from:
    where a later report changed the alert meanwhile (it joined while the send was in flight),
    an edit is queued at once, so the outlet is not lost to the race.
    """
    table = cast(Table, Alert.__table__)
    shown = shown or {}
    plain: list[dict[str, object]] = []
    checked: list[dict[str, object]] = []
    for alert_ids, message_id in sent:
        for alert_id in alert_ids:
            seen = shown.get(alert_id)
            if seen is None:
                plain.append({"b_alert": alert_id, "b_message": message_id})
            else:
                checked.append(
                    {
                        "b_alert": alert_id,
                        "b_message": message_id,
                        "b_queries": seen[0],
                        "b_outlets": seen[1],
                    }
                )
    marked = update(table).where(table.c.id == bindparam("b_alert"))
    values = {
        "status": "sent",
        "telegram_message_id": bindparam("b_message"),
        "sent_at": now,
        "last_error": None,
    }
    # Core executemany: one statement, one round of binds per alert.
    if plain:
        await session.execute(marked.values(**values), plain)
    if checked:
        changed = or_(
            table.c.matched_queries.is_distinct_from(bindparam("b_queries", type_=String)),
            table.c.outlets.is_distinct_from(bindparam("b_outlets", type_=String)),
        )
        edit = case((changed, now), else_=table.c.edit_due_at)
        await session.execute(marked.values(**values, edit_due_at=edit), checked)


async def mark_retry(
    session: AsyncSession,
    alert_ids: Sequence[int],
    *,
    error: str,
    next_attempt_at: datetime,
    park_after: int,
) -> None:
    """Count a failed try; an alert that failed `park_after` times is parked with its error.

    Only queued alerts change: one already delivered is never relabelled."""
    await session.execute(
        update(Alert)
        .where(Alert.id.in_(alert_ids), Alert.status == "queued")
        .values(attempts=Alert.attempts + 1, last_error=error, next_attempt_at=next_attempt_at)
    )
    await session.execute(
        update(Alert)
        .where(Alert.id.in_(alert_ids), Alert.status == "queued", Alert.attempts >= park_after)
        .values(status="parked")
    )


async def mark_failed(session: AsyncSession, alert_ids: Sequence[int], *, error: str) -> None:
    """A permanent error (a 400 Telegram will never accept): recorded, not retried.

    Only queued alerts change: one already delivered is never relabelled."""
    await session.execute(
        update(Alert)
        .where(Alert.id.in_(alert_ids), Alert.status == "queued")
        .values(status="failed", attempts=Alert.attempts + 1, last_error=error)
    )


async def postpone_chat(session: AsyncSession, chat_id: int, until: datetime) -> None:
    """Telegram asked us to wait for this chat: hold its queued alerts until then."""
    await session.execute(
        update(Alert)
        .where(Alert.chat_id == chat_id, Alert.status == "queued")
        .values(next_attempt_at=until)
    )
