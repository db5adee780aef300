"""Which chat a subscription command acts for: this one, or a channel or group it names.

`/subscribe @channel QUERY`, `/list @channel` and `/unsubscribe @channel` typed in the private
chat manage that chat's subscriptions. The Bot API calls, in order: `getChat` (the name's id
and type; a chat the bot cannot see answers 400), `getChatMember` of the reader (an
administrator?) and `getChatMember` of the bot (may it post?). A refusal is one reply saying
which of the two is missing, and nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import ChatMember, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from feeds.render import escape
from handlers.common import Reader, command_args, reply
from handlers.context import services
from handlers.i18n import Translate
from handlers.targets import (
    MalformedTarget,
    Missing,
    Target,
    malformed_target_text,
    missing_right,
    parse_target,
    refusal_text,
)
from services import chats


@dataclass(frozen=True, slots=True)
class Acting:
    """The chat a command acts for, and the rest of its arguments."""

    chat_id: int
    rest: str
    label: str | None = None
    """How replies name another chat (`@channel` or its title); None for the chat itself."""
    paused: bool = False
    chat_type: str = ChatType.PRIVATE
    thread_id: int | None = None
    """The forum topic the command was written in (its subscriptions deliver there)."""


async def acting_chat(
    update: Update, context: ContextTypes.DEFAULT_TYPE, me: Reader, *, reactivate: bool = False
) -> Acting | None:
    """The chat the command's first word names (in the private chat only), else this chat;
    None when the reader may not manage the named chat (the reply has said why).

    `reactivate`: a subscription made for a chat the bot had been removed from turns its
    alerts back on (the rights were just checked, so the bot is back there).
    """
    text = command_args(context, update)
    if me.chat_type != ChatType.PRIVATE:
        message = update.effective_message
        topic = message.message_thread_id if message and message.is_topic_message else None
        return Acting(me.chat_id, text, paused=me.paused, chat_type=me.chat_type, thread_id=topic)
    try:
        target, rest = parse_target(text)
    except MalformedTarget as error:
        await reply(update, escape(malformed_target_text(error.typed, me._)))
        return None
    if target is None:
        return Acting(me.chat_id, text, paused=me.paused, chat_type=me.chat_type)
    return await _checked(update, context, me, target, rest, reactivate=reactivate)


async def _checked(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    me: Reader,
    target: Target,
    rest: str,
    *,
    reactivate: bool,
) -> Acting | None:
    user = update.effective_user
    found = await managed(context, user.id if user else 0, target, me._, rest=rest)
    if isinstance(found, str):
        await reply(update, escape(found))
        return None
    if reactivate:
        await chats.record_chat(
            services(context),
            found.chat_id,
            chat_type=found.chat_type,
            title=None,
            reactivate=True,
        )
    return found


async def managed(
    context: ContextTypes.DEFAULT_TYPE,
    user_id: int,
    target: Target,
    _: Translate,
    *,
    rest: str = "",
) -> Acting | str:
    """The chat `target` names when the user may manage it there, else the refusal (plain
    text: which of the two rights is missing). The chat is recorded on first contact."""
    bot = context.bot
    label = str(target)
    try:
        chat = await bot.get_chat(target)
    except (BadRequest, Forbidden):
        return refusal_text("bot_cannot_post", label, _)
    label = f"@{chat.username}" if chat.username else (chat.title or label)
    user_status = await _status(context, chat.id, user_id)
    bot_member = await _member(context, chat.id, bot.id)
    bot_status = str(bot_member.status) if bot_member is not None else "left"
    rights = {
        "bot_can_post_messages": getattr(bot_member, "can_post_messages", None),
        "bot_can_send_messages": getattr(bot_member, "can_send_messages", None),
    }
    missing: Missing | None
    if user_status is None:
        # Telegram hides a channel's members from a bot that is no administrator there: the
        # bot cannot post, and that is what the reader can fix.
        missing = missing_right(chat.type, "administrator", bot_status, **rights) or "not_admin"
    else:
        missing = missing_right(chat.type, user_status, bot_status, **rights)
    if missing is not None:
        return refusal_text(missing, label, _)
    found = await chats.record_chat(
        services(context), chat.id, chat_type=chat.type, title=chat.title or chat.username
    )
    return Acting(chat.id, rest, label, found.paused, chat.type)


async def _member(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int
) -> ChatMember | None:
    try:
        return await context.bot.get_chat_member(chat_id, user_id)
    except (BadRequest, Forbidden):
        return None


async def _status(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int) -> str | None:
    """The reader's status there; None when Telegram would not say."""
    member = await _member(context, chat_id, user_id)
    return str(member.status) if member is not None else None
