"""What every handler needs: the reader's chat row and language, and safe replies."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ContextTypes

from feeds.render import cut
from handlers.context import services
from handlers.i18n import (
    Translate,
    TranslatePlural,
    pick_language,
    plural_translator,
    translator,
)
from services import chats


@dataclass(frozen=True, slots=True)
class Reader:
    """The chat a command came from, as handlers need it.

    `_` translates a message; `ngettext(singular, plural, n)` one where a number meets a noun,
    in the form the language's plural rule picks for `n` ("1 новая статья", "5 новых статей").
    """

    chat_id: int
    chat_type: str
    language: str
    timezone: str
    paused: bool
    _: Translate
    ngettext: TranslatePlural


async def reader(
    update: Update, context: ContextTypes.DEFAULT_TYPE, *, reactivate: bool = False
) -> Reader:
    """Record the chat on first contact and return it with the reader's translator."""
    chat = update.effective_chat
    assert chat is not None
    user = update.effective_user
    svc = services(context)
    title = chat.title or chat.username or chat.first_name
    spoken = pick_language(user.language_code if user else None)
    found = await chats.record_chat(
        svc, chat.id, chat_type=chat.type, title=title, language=spoken, reactivate=reactivate
    )
    language = found.language or spoken
    return Reader(
        chat.id,
        found.type,
        language,
        found.timezone,
        found.paused,
        translator(language),
        plural_translator(language),
    )


ANSWER_LIMIT = 200
"""Characters Telegram shows in answerCallbackQuery; a longer text is refused with a 400."""
ECHO_LIMIT = 200
"""Characters of reader input repeated back in a reply (a query, a name, a command)."""


def echo(text: str, limit: int = ECHO_LIMIT) -> str:
    """Reader input cut short enough to repeat back inside a reply (not yet escaped)."""
    return cut(text, limit)


async def answer(callback: CallbackQuery, text: str | None = None, **kwargs: object) -> None:
    """Answer a button tap; the text is cut to what Telegram accepts."""
    await callback.answer(None if text is None else cut(text, ANSWER_LIMIT), **kwargs)  # type: ignore[arg-type]


def shows_buttons(message: object, prefix: str) -> bool:
    """Whether a message carries a button whose data starts with `prefix`.

    A tap may be forged onto any message of the chat (callback data is the reader's input);
    a handler edits a message only when it shows that handler's own buttons, so a forged
    page tap cannot replace, say, the /settings message.
    """
    if not isinstance(message, Message) or message.reply_markup is None:
        return False
    return any(
        isinstance(button.callback_data, str) and button.callback_data.startswith(prefix)
        for row in message.reply_markup.inline_keyboard
        for button in row
    )


async def reply(update: Update, text: str, **kwargs: object) -> None:
    """Answer the message a command came in."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(text, **kwargs)  # type: ignore[arg-type]


async def is_group_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """True in private chats, and in groups for the group's administrators."""
    chat = update.effective_chat
    message = update.effective_message
    if chat is None or chat.type == ChatType.PRIVATE:
        return True
    if message is not None and message.sender_chat is not None:
        # An anonymous admin writes as the group itself.
        return message.sender_chat.id == chat.id
    user = update.effective_user
    if user is None:
        return False
    member = await context.bot.get_chat_member(chat.id, user.id)
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


def command_args(context: ContextTypes.DEFAULT_TYPE, update: Update) -> str:
    """The raw text after the command, with the reader's spacing and quotes intact."""
    message = update.effective_message
    text = (message.text or "") if message else ""
    parts = text.split(maxsplit=1)
    if len(parts) == 2 and parts[0].startswith("/"):
        return parts[1].strip()
    return " ".join(context.args or []).strip()
