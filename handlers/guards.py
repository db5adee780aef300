"""Who may run a handler: group administrators for a chat's settings, ADMIN_IDS for operators.

A guarded handler takes the reader as a third argument; the guard records the chat, checks,
and answers a refusal itself (a reply to a command, an alert on a button tap).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from handlers.common import Reader, answer, is_group_admin, reader, reply
from handlers.context import services
from handlers.i18n import Translate

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
ReaderHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE, Reader], Coroutine[Any, Any, None]]
Refusal = Callable[[Translate], str]


async def refuse(update: Update, text: str) -> None:
    """Say no: as an alert under a tapped button, or as a reply to a command."""
    callback = update.callback_query
    if callback is not None:
        await answer(callback, text, show_alert=True)
    else:
        await reply(update, text)


def group_admin_only(
    refusal: Refusal, *, reactivate: bool = False
) -> Callable[[ReaderHandler], Handler]:
    """In groups only administrators pass; private chats always do."""

    def decorate(handler: ReaderHandler) -> Handler:
        @functools.wraps(handler)
        async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            me = await reader(update, context, reactivate=reactivate)
            if not await is_group_admin(update, context):
                await refuse(update, refusal(me._))
                return
            await handler(update, context, me)

        return guarded

    return decorate


def _operators_only(_: Translate) -> str:
    return _(
        "Sorry, only the bot's operators can do that. /sources shows the feeds I read; ask an "
        "operator if one is missing."
    )


def operator_only(handler: ReaderHandler) -> Handler:
    """Only the operators in ADMIN_IDS pass; everyone else gets a polite refusal."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        me = await reader(update, context)
        user = update.effective_user
        if not services(context).is_operator(user.id if user else None):
            await refuse(update, _operators_only(me._))
            return
        await handler(update, context, me)

    return guarded
