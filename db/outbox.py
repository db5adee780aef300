"""Storage of the outbox: alerts waiting for delivery and what became of each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Alert, Article, Chat, Feed


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


async def due_alerts(session: AsyncSession, now: datetime, limit: int = 500) -> list[DueAlert]:
    """Queued alerts whose time has come, oldest first, for active chats."""
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
        )
        .join(Chat, Chat.id == Alert.chat_id)
        .join(Article, Article.id == Alert.article_id)
        .join(Feed, Feed.id == Article.feed_id)
        .where(and_(Alert.status == "queued", Alert.next_attempt_at <= now, Chat.active.is_(True)))
        .order_by(Alert.id)
        .limit(limit)
    )
    return [DueAlert(*r) for r in rows]


async def mark_sent(
    session: AsyncSession, alert_ids: Sequence[int], message_id: int | None, *, now: datetime
) -> None:
    await session.execute(
        update(Alert)
        .where(Alert.id.in_(alert_ids))
        .values(status="sent", telegram_message_id=message_id, sent_at=now, last_error=None)
    )


async def mark_retry(
    session: AsyncSession,
    alert_ids: Sequence[int],
    *,
    error: str,
    next_attempt_at: datetime,
    park_after: int,
) -> None:
    """Count a failed try; an alert that failed `park_after` times is parked with its error."""
    await session.execute(
        update(Alert)
        .where(Alert.id.in_(alert_ids))
        .values(attempts=Alert.attempts + 1, last_error=error, next_attempt_at=next_attempt_at)
    )
    await session.execute(
        update(Alert)
        .where(Alert.id.in_(alert_ids), Alert.attempts >= park_after)
        .values(status="parked")
    )


async def mark_failed(session: AsyncSession, alert_ids: Sequence[int], *, error: str) -> None:
    """A permanent error (a 400 Telegram will never accept): recorded, not retried."""
    await session.execute(
        update(Alert)
        .where(Alert.id.in_(alert_ids))
        .values(status="failed", attempts=Alert.attempts + 1, last_error=error)
    )


async def postpone_chat(session: AsyncSession, chat_id: int, until: datetime) -> None:
    """Telegram asked us to wait for this chat: hold its queued alerts until then."""
    await session.execute(
        update(Alert)
        .where(Alert.chat_id == chat_id, Alert.status == "queued")
        .values(next_attempt_at=until)
    )
