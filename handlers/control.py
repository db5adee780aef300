"""/pause, /resume and the bot's own membership: whether a chat receives alerts."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.ext import ContextTypes

from handlers.common import is_group_admin, reader, reply
from handlers.context import services
from services import chats


async def pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop alerts for this chat, keeping its subscriptions."""
    me = await reader(update, context)
    if not await is_group_admin(update, context):
        await reply(update, me._("Only the group's administrators can pause alerts here."))
        return
    await chats.pause(services(context), me.chat_id)
    await reply(
        update,
        me._(
            "⏸ Alerts paused. Your subscriptions stay; articles found while paused are not "
            "sent later. /resume starts alerts again."
        ),
    )


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start alerts again; what matched while paused is dropped, as /help says."""
    me = await reader(update, context, reactivate=True)
    if not await is_group_admin(update, context):
        await reply(update, me._("Only the group's administrators can resume alerts here."))
        return
    skipped = await chats.resume(services(context), me.chat_id)
    text = me._("▶️ Alerts are on again.")
    if skipped:
        text += " " + me._("{count} articles matched while paused and were skipped.").format(
            count=skipped
        )
    await reply(update, text)


async def membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot was blocked, kicked or re-added: mark the chat inactive or active."""
    change = update.my_chat_member
    if change is None:
        return
    svc = services(context)
    status = change.new_chat_member.status
    chat = change.chat
    if status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
        await chats.bot_removed(svc, chat.id)
    elif status in (
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.OWNER,
    ):
        await chats.record_chat(
            svc, chat.id, chat_type=chat.type, title=chat.title or chat.first_name, reactivate=True
        )
