"""Alert edits: a sent alert re-rendered with the outlets and subscriptions that joined later.

The delivery loop calls `Editor.edit_due` once a pass with its own pacing, so edits share the
messages-per-second budget (and a chat's gap) with new alerts. An edit never becomes a new
message: "message is not modified" counts as done, "message to edit not found" (deleted by the
reader) drops it. Edits are read from the alerts table, so after a restart they resume.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import ExtBot

from bot.ratelimit import NO_RETRY, retry_seconds
from db import edits
from feeds.render import AlertView, render_alert
from handlers.i18n import time_formatter, translator
from services.core import Services

log = logging.getLogger(__name__)

Pace = Callable[[int, str], Awaitable[object]]
"""Waits for a message's turn in a chat (the deliverer's pacing)."""

RETRY_EDIT = timedelta(seconds=30)
EDITS_PER_PASS = 10
CHECK_EVERY = timedelta(seconds=1)
"""How often the alerts table is asked for due edits (the delivery loop may pass far more
often under load; an edit a second late is no loss)."""


def _view(edit: edits.DueEdit) -> AlertView:
    return AlertView(
        title=edit.title,
        teaser=edit.teaser,
        link=edit.link,
        source=edit.source,
        published=edit.published_at,
        query_text=edit.query_text,
        queries=edit.queries,
        outlets=edit.outlets,
    )


class Editor:
    """Sends the due edits of sent alerts."""

    def __init__(self, services: Services, bot: ExtBot[Any]) -> None:
        self._svc = services
        self._bot = bot
        self._checked: datetime | None = None

    async def edit_due(self, pace: Pace) -> int:
        """Edit the alerts whose edit is due (a few per call); how many were tried."""
        svc = self._svc
        now = svc.clock()
        if self._checked is not None and now - self._checked < CHECK_EVERY:
            return 0
        self._checked = now
        async with svc.read() as session:
            due = await edits.due_edits(session, now, limit=EDITS_PER_PASS)
        for edit in due:
            await self._edit(edit, pace)
        return len(due)

    async def _edit(self, edit: edits.DueEdit, pace: Pace) -> None:
        svc = self._svc
        if edit.in_digest:  # re-rendering one alert would wipe the digest's others
            async with svc.write() as session:
                await edits.edit_dropped(session, edit.id)
            return
        _ = translator(edit.chat_language)
        text = render_alert(
            _view(edit),
            timezone=edit.chat_timezone,
            _=_,
            time_format=time_formatter(edit.chat_language),
        )
        markup = None
        if edit.subscription_id is not None:  # an edit without it would remove the button
            mute = InlineKeyboardButton(_("🔕 Mute"), callback_data=f"mute:{edit.subscription_id}")
            markup = InlineKeyboardMarkup([[mute]])
        try:
            await pace(edit.chat_id, edit.chat_type)
            await self._bot.edit_message_text(
                text,
                chat_id=edit.chat_id,
                message_id=edit.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                rate_limit_args=NO_RETRY,
            )
        except RetryAfter as error:
            await self._later(edit, timedelta(seconds=retry_seconds(error)))
            return
        except BadRequest as error:
            if "not modified" in error.message.lower():
                pass  # the message already shows it: done
            else:
                log.info("edit of alert %s dropped: %s", edit.id, error.message)
                async with svc.write() as session:
                    await edits.edit_dropped(session, edit.id)
                return
        except Forbidden as error:
            log.info("edit of alert %s dropped, chat gone: %s", edit.id, error.message)
            async with svc.write() as session:
                await edits.edit_dropped(session, edit.id)
            return
        except NetworkError as error:
            log.warning("edit of alert %s failed (%s); retrying", edit.id, error.message)
            await self._later(edit, RETRY_EDIT)
            return
        async with svc.write() as session:
            await edits.edit_done(session, edit, now=svc.clock())

    async def _later(self, edit: edits.DueEdit, wait: timedelta) -> None:
        async with self._svc.write() as session:
            await edits.edit_later(session, edit.id, at=self._svc.clock() + wait)
