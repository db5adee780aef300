"""Storage of chats: their rows, settings, pause state and moves to a new id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Alert, Chat, Subscription
from db.sql import rowcount
from feeds.preferences import Preferences

CHAT_SETTINGS = frozenset(
    {
        "language",
        "timezone",
        "alert_mode",
        "digest_hour",
        "quiet_start",
        "quiet_end",
        "article_languages",
        "pictures",
    }
)
"""The chat columns a reader may change with /language, /timezone and /settings."""


async def upsert_chat(
    session: AsyncSession,
    chat_id: int,
    *,
    now: datetime,
    chat_type: str = "private",
    title: str | None = None,
    language: str | None = None,
    reactivate: bool = False,
) -> Chat:
    """The chat's row, created on first contact; `reactivate` undoes a block (on /start)."""
    chat = await session.get(Chat, chat_id)
    if chat is None:
        chat = Chat(
            id=chat_id,
            type=chat_type,
            title=title,
            language=language,
            created_at=now,
            timezone="UTC",
            active=True,
            paused=False,
            alert_mode="instant",
        )
        session.add(chat)
    else:
        chat.type = chat_type
        if title is not None:
            chat.title = title
        if reactivate and not chat.active:
            chat.active = True
            chat.deactivated_at = None
    await session.flush()
    return chat


async def get_chat(session: AsyncSession, chat_id: int) -> Chat | None:
    return await session.get(Chat, chat_id)


async def update_chat_settings(
    session: AsyncSession, chat_id: int, **changes: object
) -> Chat | None:
    """Change some of a chat's settings (names from CHAT_SETTINGS); None if the chat is unknown."""
    unknown = set(changes) - CHAT_SETTINGS
    if unknown:
        raise ValueError(f"not a chat setting: {sorted(unknown)}")
    chat = await session.get(Chat, chat_id)
    if chat is None:
        return None
    for name, value in changes.items():
        setattr(chat, name, value)
    await session.flush()
    return chat


def chat_preferences(chat: Chat) -> Preferences:
    """The delivery preferences stored on a chat row, as the pure value `release_at` takes."""
    return Preferences(
        timezone=chat.timezone or "UTC",
        alert_mode=chat.alert_mode or "instant",
        digest_hour=chat.digest_hour,
        quiet_start=chat.quiet_start,
        quiet_end=chat.quiet_end,
    )


async def deactivate_chat(session: AsyncSession, chat_id: int, *, now: datetime) -> int:
    """Mark a chat inactive (blocked/kicked) and drop its pending alerts; returns alerts dropped."""
    await session.execute(
        update(Chat)
        .where(Chat.id == chat_id, Chat.active.is_(True))
        .values(active=False, deactivated_at=now)
    )
    result = await session.execute(
        update(Alert)
        .where(Alert.chat_id == chat_id, Alert.status.in_(("queued", "held")))
        .values(status="dropped", last_error="chat inactive")
    )
    return rowcount(result)


async def set_paused(session: AsyncSession, chat_id: int, paused: bool) -> None:
    await session.execute(update(Chat).where(Chat.id == chat_id).values(paused=paused))


async def drop_held(session: AsyncSession, chat_id: int) -> int:
    """Alerts that matched while the chat was paused are dropped on /resume; how many."""
    result = await session.execute(
        update(Alert)
        .where(Alert.chat_id == chat_id, Alert.status == "held")
        .values(status="dropped", last_error="matched while paused")
    )
    return rowcount(result)


async def migrate_chat(session: AsyncSession, old_id: int, new_id: int) -> list[int]:
    """A group became a supergroup: move the chat and everything hanging off it to the new id.

    When the new id already has a row (someone used the bot in the supergroup first, or a
    second pass repeats the move), the two merge: the old group's settings win (they are the
    ones its administrators chose; the new row was made with defaults), a subscription both
    have is kept once, an alert for a story both have is kept once. Returns the ids of the
    subscriptions dropped as duplicates (the caller takes them out of the matcher index).
    """
    old = await session.get(Chat, old_id)
    if old is None:
        return []
    await _move_search_texts(session, old_id, new_id)
    existing = await session.get(Chat, new_id)
    if existing is None:
        # ON UPDATE CASCADE carries subscriptions and alerts along.
        await session.execute(
            update(Chat).where(Chat.id == old_id).values(id=new_id, type="supergroup")
        )
        return []
    for name in (*CHAT_SETTINGS, "paused"):
        setattr(existing, name, getattr(old, name))
    existing.type = "supergroup"
    dropped = await _merge_subscriptions(session, old_id, new_id)
    both = select(Alert.story_id).where(Alert.chat_id == new_id)
    await session.execute(delete(Alert).where(Alert.chat_id == old_id, Alert.story_id.in_(both)))
    await session.execute(update(Alert).where(Alert.chat_id == old_id).values(chat_id=new_id))
    await session.execute(
        update(Subscription).where(Subscription.chat_id == old_id).values(chat_id=new_id)
    )
    await session.execute(delete(Chat).where(Chat.id == old_id))
    await session.flush()
    return dropped


async def _merge_subscriptions(session: AsyncSession, old_id: int, new_id: int) -> list[int]:
    """Drop the old chat's subscriptions the new one has too; their alerts follow the kept one."""
    kept = {
        typed: sid
        for sid, typed in await session.execute(
            select(Subscription.id, Subscription.query_text).where(Subscription.chat_id == new_id)
        )
    }
    dropped: list[int] = []
    moving = await session.execute(
        select(Subscription.id, Subscription.query_text).where(Subscription.chat_id == old_id)
    )
    for sid, typed in moving.all():
        if typed in kept:
            await session.execute(
                update(Alert)
                .where(Alert.subscription_id == sid)
                .values(subscription_id=kept[typed])
            )
            dropped.append(sid)
    if dropped:
        await session.execute(delete(Subscription).where(Subscription.id.in_(dropped)))
    return dropped


async def _move_search_texts(session: AsyncSession, old_id: int, new_id: int) -> None:
    """Stored /search texts follow the chat (those the new id already has are kept once)."""
    params = {"old": old_id, "new": new_id}
    await session.execute(
        text(
            "DELETE FROM search_queries WHERE chat_id = :old AND text IN "
            "(SELECT text FROM search_queries WHERE chat_id = :new)"
        ),
        params,
    )
    await session.execute(
        text("UPDATE search_queries SET chat_id = :new WHERE chat_id = :old"), params
    )
