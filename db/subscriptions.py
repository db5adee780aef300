"""Storage of subscriptions: a chat's stored queries, muting and removal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Alert, Chat, Feed, Subscription
from db.sql import chunks
from feeds.models import Hit
from feeds.scope import Scope


class TooManySubscriptions(Exception):
    """The chat already has as many subscriptions as it may keep."""


async def add_subscription(
    session: AsyncSession,
    chat_id: int,
    query_text: str,
    query_json: str,
    *,
    now: datetime,
    limit: int | None = None,
    thread_id: int | None = None,
    scope_json: str | None = None,
) -> tuple[Subscription, bool]:
    """Store a subscription; returns it and whether it is new (the same text twice is one).

    With a `limit`, a new subscription for a chat that already has that many raises
    `TooManySubscriptions`; the caller's write transaction makes count and insert one step.
    `thread_id` is the forum topic its alerts go to (None: the chat itself).
    """
    existing = await session.scalar(
        select(Subscription).where(
            Subscription.chat_id == chat_id, Subscription.query_text == query_text
        )
    )
    if existing is not None:
        return existing, False
    if limit is not None and await count_subscriptions(session, chat_id) >= limit:
        raise TooManySubscriptions(limit)
    subscription = Subscription(
        chat_id=chat_id,
        query_text=query_text,
        query_json=query_json,
        created_at=now,
        muted=False,
        message_thread_id=thread_id,
        scope_json=scope_json,
    )
    session.add(subscription)
    await session.flush()
    return subscription, True


async def count_subscriptions(session: AsyncSession, chat_id: int) -> int:
    found = await session.scalar(
        select(func.count()).select_from(Subscription).where(Subscription.chat_id == chat_id)
    )
    return int(found or 0)


async def list_subscriptions(session: AsyncSession, chat_id: int) -> list[Subscription]:
    rows = await session.scalars(
        select(Subscription).where(Subscription.chat_id == chat_id).order_by(Subscription.id)
    )
    return list(rows)


async def remove_subscription(
    session: AsyncSession, chat_id: int, subscription_id: int
) -> Subscription | None:
    """Delete one of the chat's subscriptions and its undelivered alerts; None when it is not
    the chat's."""
    subscription = await session.get(Subscription, subscription_id)
    if subscription is None or subscription.chat_id != chat_id:
        return None
    await _drop_pending(session, subscription_id, "subscription removed")
    await session.delete(subscription)
    await session.flush()
    return subscription


async def _drop_pending(session: AsyncSession, subscription_id: int, reason: str) -> None:
    """A reader who removes or mutes a topic gets none of its alerts still in the outbox."""
    await session.execute(
        update(Alert)
        .where(Alert.subscription_id == subscription_id, Alert.status.in_(("queued", "held")))
        .values(status="dropped", last_error=reason)
    )


async def set_muted(
    session: AsyncSession, chat_id: int, subscription_id: int, muted: bool
) -> Subscription | None:
    subscription = await session.get(Subscription, subscription_id)
    if subscription is None or subscription.chat_id != chat_id:
        return None
    subscription.muted = muted
    if muted:
        await _drop_pending(session, subscription_id, "subscription muted")
    await session.flush()
    return subscription


async def set_silent(
    session: AsyncSession, chat_id: int, subscription_id: int, silent: bool
) -> Subscription | None:
    """Alerts of one of the chat's subscriptions without (or with) a sound; None if not the
    chat's."""
    subscription = await session.get(Subscription, subscription_id)
    if subscription is None or subscription.chat_id != chat_id:
        return None
    subscription.silent = silent
    await session.flush()
    return subscription


async def live_subscriptions(session: AsyncSession) -> list[tuple[int, int, str, str]]:
    """(id, chat_id, query_text, query_json) of every subscription that should match."""
    rows = await session.execute(
        select(
            Subscription.id, Subscription.chat_id, Subscription.query_text, Subscription.query_json
        )
        .join(Chat, Chat.id == Subscription.chat_id)
        .where(Subscription.muted.is_(False))
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


async def leave_topic(session: AsyncSession, chat_id: int, thread_id: int) -> list[str]:
    """The forum topic `thread_id` is gone: its subscriptions deliver to the General topic from
    now on. Returns their query texts (none when an earlier alert already moved them)."""
    moved = list(
        await session.scalars(
            select(Subscription.query_text)
            .where(Subscription.chat_id == chat_id, Subscription.message_thread_id == thread_id)
            .order_by(Subscription.id)
        )
    )
    if moved:
        await session.execute(
            update(Subscription)
            .where(Subscription.chat_id == chat_id, Subscription.message_thread_id == thread_id)
            .values(message_thread_id=None)
        )
    return moved


async def keep_in_scope(
    session: AsyncSession, batch: Sequence[tuple[int, str | None, Sequence[Hit]]]
) -> list[list[Hit]]:
    """Each (feed id, article language, hits) without the hits of scoped subscriptions that
    the feed or the language is outside of (`source:` / `lang:` in the subscription)."""
    ids = sorted({hit.subscription_id for _feed, _language, hits in batch for hit in hits})
    scopes: dict[int, Scope] = {}
    for chunk in chunks(ids, 400):
        rows = await session.execute(
            select(Subscription.id, Subscription.scope_json).where(
                Subscription.id.in_(chunk), Subscription.scope_json.is_not(None)
            )
        )
        scopes.update((sid, Scope.from_json(stored)) for sid, stored in rows)
    if not scopes:
        return [list(hits) for _feed, _language, hits in batch]
    feed_ids = sorted({feed for feed, _language, _hits in batch})
    feeds: dict[int, tuple[str, str]] = {}
    for chunk in chunks(feed_ids, 400):
        found = await session.execute(
            select(Feed.id, Feed.title, Feed.url).where(Feed.id.in_(chunk))
        )
        # As /search's source: filter reads a feed: its title, else only its host.
        feeds.update((fid, (title or "", url)) for fid, title, url in found)
    kept = []
    for feed, language, hits in batch:
        name, url = feeds.get(feed, ("", ""))
        kept.append(
            [
                hit
                for hit in hits
                if hit.subscription_id not in scopes
                or scopes[hit.subscription_id].allows(name, url, language)
            ]
        )
    return kept
