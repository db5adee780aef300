"""Use cases of a chat: first contact, pause and resume, settings, the bot leaving it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from db import chats
from db.models import Chat
from services.core import Services


@dataclass(frozen=True, slots=True)
class ChatView:
    """A chat as stored: who it is and how it wants its alerts."""

    chat_id: int
    type: str
    language: str | None
    timezone: str
    paused: bool
    alert_mode: str
    digest_hour: int | None
    quiet_start: int | None
    quiet_end: int | None
    article_languages: str | None
    pictures: bool = True


def _view(row: Chat) -> ChatView:
    return ChatView(
        chat_id=row.id,
        type=row.type,
        language=row.language,
        timezone=row.timezone or "UTC",
        paused=row.paused,
        alert_mode=row.alert_mode or "instant",
        digest_hour=row.digest_hour,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        article_languages=row.article_languages,
        pictures=row.pictures is not False,
    )


async def record_chat(
    svc: Services,
    chat_id: int,
    *,
    chat_type: str,
    title: str | None,
    language: str | None = None,
    reactivate: bool = False,
) -> ChatView:
    """The chat, created on first contact; `reactivate` undoes a block (on /start)."""
    async with svc.write() as tx:
        row = await chats.upsert_chat(
            tx,
            chat_id,
            now=svc.clock(),
            chat_type=chat_type,
            title=title,
            language=language,
            reactivate=reactivate,
        )
        return _view(row)


async def chat_settings(svc: Services, chat_id: int) -> ChatView | None:
    """The chat as stored; None when the bot never met it."""
    async with svc.read() as session:
        row = await chats.get_chat(session, chat_id)
        return _view(row) if row is not None else None


async def change_settings(
    svc: Services, chat_id: int, changes: Mapping[str, object]
) -> ChatView | None:
    """Store some of a chat's settings (names from `db.chats.CHAT_SETTINGS`)."""
    async with svc.write() as tx:
        row = await chats.update_chat_settings(tx, chat_id, **changes)
        return _view(row) if row is not None else None


async def pause(svc: Services, chat_id: int) -> None:
    """Stop alerts for the chat, keeping its subscriptions."""
    async with svc.write() as tx:
        await chats.set_paused(tx, chat_id, True)


async def resume(svc: Services, chat_id: int) -> int:
    """Alerts on again; returns how many that matched while paused were dropped."""
    async with svc.write() as tx:
        await chats.set_paused(tx, chat_id, False)
        return await chats.drop_held(tx, chat_id)


async def bot_removed(svc: Services, chat_id: int) -> int:
    """The bot was blocked or kicked: the chat is inactive; returns the alerts dropped."""
    async with svc.write() as tx:
        return await chats.deactivate_chat(tx, chat_id, now=svc.clock())


async def move_chat(svc: Services, old_id: int, new_id: int) -> None:
    """A group became a supergroup: its rows move (or merge) to the new id, and the matcher
    follows (subscriptions dropped as duplicates of the new chat's stop matching)."""
    async with svc.write() as tx:
        dropped = await chats.migrate_chat(tx, old_id, new_id)
    svc.index.move_chat(old_id, new_id)
    for subscription_id in dropped:
        svc.index.remove(subscription_id)
