"""/pause, /resume and the bot's own membership: whether a chat receives alerts."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.ext import ContextTypes

from handlers.common import Reader, reply
from handlers.context import services
from handlers.guards import group_admin_only
from handlers.i18n import Translate
from services import chats


def _pause_refused(_: Translate) -> str:
    return _("Only the group's administrators can pause alerts here.")


def _resume_refused(_: Translate) -> str:
    return _("Only the group's administrators can resume alerts here.")


@group_admin_only(_pause_refused)
async def pause(update: Update, context: ContextTypes.DEFAULT_TYPE, me: Reader) -> None:
    """Stop alerts for this chat, keeping its subscriptions."""
    await chats.pause(services(context), me.chat_id)
    await reply(
        update,
        me._(
            "⏸ Alerts paused. Your subscriptions stay; articles found while paused are not "
            "sent later. /resume starts alerts again."
        ),
    )


@group_admin_only(
    lambda _: _("Only the group's administrators can resume alerts here."), reactivate=True
)
async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE, me: Reader) -> None:
    """Start alerts again; what matched while paused is dropped, as /help says."""
    skipped = await chats.resume(services(context), me.chat_id)
    text = me._("▶️ Alerts are on again.")
    if skipped:
        text += " " + me.ngettext(
            "{count} article matched while paused and was skipped.",
            "{count} articles matched while paused and were skipped.",
            skipped,
        ).format(count=skipped)
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


async def migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Telegram says a group became a supergroup: its subscriptions and settings follow."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id is not None:
        await chats.move_chat(services(context), message.chat.id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id is not None:
        await chats.move_chat(services(context), message.migrate_from_chat_id, message.chat.id)
