"""Delivery: the outbox drained to Telegram at its speed limits, nothing lost, nothing twice.

An alert row is marked sent only after Telegram confirmed it with a message id, so a crash
re-sends at most the messages that were in flight. Pacing is ours (about 28 messages/s
overall, one per second per private chat, one per three seconds per group): a 429 for one
chat holds that chat only, and delivery to the others goes on. Many alerts due for one chat
at once are folded into a digest.

The due set is read per chat (db.outbox.due_alerts): a chat with thousands queued takes one
slot of a pass, never the whole pass. A 400 never loses an alert by itself: the alert is
re-rendered shorter, then as plain text, before it is marked failed (and counted for the
admins); a refused digest part falls back to its own alerts one by one. With paid broadcasts
on, messages beyond the free rate carry `allow_paid_broadcast`, up to `paid_per_second`.
Sent marks are written in batches (one transaction for whatever finished meanwhile), each
with its message id, and a chat is released only once its marks are stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import ExtBot

from bot.alert_api import AlertAPI, LeanBotAPI, Sent
from bot.faults import DATABASE_UNREACHABLE, one_line
from bot.ratelimit import NO_RETRY, retry_seconds
from bot.settings import Settings
from db import chats, outbox, subscriptions
from feeds.render import (
    AlertView,
    TimeFormat,
    escape,
    mute_choices,
    present_alert,
    render_alert,
    render_alert_plain,
    render_digest_parts,
)
from handlers.i18n import Translate, plural_translator, time_formatter, translator
from services.core import Services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryLimits:
    """Telegram's documented limits, with a margin."""

    per_second: float = 28.0
    private_gap: float = 1.1
    group_gap: float = 3.1
    digest_over: int = 5
    """More than this many alerts due for one chat at once become a digest."""
    park_after: int = 8
    """Failed tries (network, 5xx) before an alert is parked for the admins to see."""
    retry_base: float = 5.0
    """Seconds before the first retry after a network error or 5xx; doubles each try."""
    in_flight: int = 32
    chats_per_pass: int = 500
    """Chats read per pass; each brings at most `rows_per_chat` of its due alerts."""
    rows_per_chat: int = 100
    mark_wait: float = 0.0
    """Seconds the sent marks gather before they are written in one transaction (0: those
    that finish in the same loop turn). At 1,000 messages/s a commit per few sends costs more
    CPU than the sends; a send marked late is at worst sent again after a crash."""
    paid_per_second: float = 0.0
    """Above zero: paid broadcasts, up to this many messages/s; beyond `per_second` a
    message carries `allow_paid_broadcast` (Telegram charges for those)."""

    @classmethod
    def of(cls, settings: Settings) -> DeliveryLimits:
        """The limits the operator chose: PAID_BROADCAST pays for up to 1,000 messages/s."""
        if getattr(settings, "PAID_BROADCAST", False):
            # Free messages are judged when paced, counted by Telegram when they arrive: a
            # wider margin under the free 30/s keeps jittered arrivals from a 429.
            return cls(per_second=20.0, paid_per_second=950.0, in_flight=200, mark_wait=0.05)
        return cls()


OUTAGE_RETRY_MAX = 30.0


CATCH_UP = 0.02
"""Seconds of missed pacing slots that may be used at once (see `Deliverer._paced`)."""


def _view(alert: outbox.DueAlert) -> AlertView:
    return AlertView(
        title=alert.title,
        teaser=alert.teaser,
        # Shown and linked without tracking parameters.
        link=alert.canonical_link or alert.link,
        source=alert.source,
        published=alert.published_at,
        query_text=alert.query_text,
        queries=alert.queries,
        outlets=alert.outlets,
        image=alert.image,
    )


_Markup = dict[str, list[list[dict[str, str]]]]
"""An inline keyboard in the Bot API's JSON shape."""

_CHAT_PROBLEMS = (
    "chat not found",
    "user not found",
    "peer_id_invalid",
    "chat_id is empty",
    "not enough rights",
    "have no rights",
    "chat_write_forbidden",
    "need administrator rights",
)


def _mute_buttons(alerts: Sequence[outbox.DueAlert], _: Translate) -> InlineKeyboardMarkup | None:
    """A way to mute what filled a digest part: a 🔕 per subscription, or (beyond a few) one
    button that lists them all (`mutes:`, answered by the /list handlers)."""
    choices = mute_choices(
        [(a.subscription_id, a.query_text) for a in alerts if a.subscription_id is not None], _
    )
    rows = [
        [
            InlineKeyboardButton(
                choice.label,
                callback_data=(
                    "mutes:" if choice.subscription_id is None else f"mute:{choice.subscription_id}"
                ),
            )
        ]
        for choice in choices
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def _topic_of(alerts: Sequence[outbox.DueAlert]) -> int | None:
    """The forum topic a digest goes to: its alerts' own, or General when they differ."""
    topics = {alert.thread_id for alert in alerts}
    return topics.pop() if len(topics) == 1 else None


def _about_the_chat(message: str) -> bool:
    """A 400 about where the message goes, not what it says: re-rendering cannot help."""
    lowered = message.lower()
    return any(problem in lowered for problem in _CHAT_PROBLEMS)


class Deliverer:
    """Drains the outbox; `run()` is the long-lived loop, `wake()` says there is work."""

    def __init__(
        self,
        services: Services,
        bot: ExtBot[Any] | AlertAPI,
        limits: DeliveryLimits | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._svc = services
        # Pacing reads this clock and waits with this sleep, so tests can run it on fake time.
        self._monotonic = monotonic
        self._sleep = sleep
        # Alerts go out through the lean path (only the message id is read back); tests may
        # hand in their own AlertAPI.
        self._api: AlertAPI = LeanBotAPI(bot) if isinstance(bot, ExtBot) else bot
        self._limits = limits or DeliveryLimits()
        self._wakeup = services.delivery_due
        self._next_slot = 0.0
        self._recent: deque[float] = deque()
        self._recent_free: deque[float] = deque()
        self._marks: list[
            tuple[list[int], int, tuple[str | None, str | None] | None, asyncio.Future[None]]
        ] = []
        self._marker: asyncio.Task[None] | None = None
        self._paused_until = 0.0
        self._free_until = 0.0
        """Paid broadcasts: until then every message goes paid (a free one drew a 429)."""
        self._last_throttle = 0.0
        self._last_throttled_chat: int | None = None
        self._chat_ready: dict[int, float] = {}
        self._busy_chats: set[int] = set()
        self._chat_done: dict[int, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(self._limits.in_flight)
        self._pace_line = asyncio.Lock()
        self.database_problem: str | None = None
        """Why the last pass could not reach the database (for /healthz); None when it could."""
        self.edits: Callable[[Callable[[int, str], Awaitable[bool]]], Awaitable[int]] | None = None
        """Sends due edits of sent alerts with this loop's pacing (`bot.edits.Editor`)."""

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        """Deliver until cancelled; an error in one pass is logged and the loop goes on.

        A database that cannot be reached is one line per retry (1, 2, 4 … 30 s apart) and a
        reason for /healthz, never a traceback a second: the queue is in the database, so
        nothing is lost meanwhile."""
        outage = 0
        while True:
            self._wakeup.clear()
            try:
                dispatched = await self.deliver_once()
                if self.edits is not None:
                    dispatched += await self.edits(self._paced)
            except asyncio.CancelledError:
                raise
            except DATABASE_UNREACHABLE as error:
                delay = min(2.0**outage, OUTAGE_RETRY_MAX)
                self.database_problem = f"cannot reach the database: {one_line(error)}"
                log.warning("delivery: %s; retrying in %g s", self.database_problem, delay)
                outage += 1
                await self._sleep(delay)
                continue
            except Exception:
                log.exception("delivery pass failed")
                dispatched = 0
            if outage:
                log.info("delivery: the database is back")
                outage, self.database_problem = 0, None
            if not dispatched:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), timeout=self._idle_wait())

    async def drain(self) -> None:
        """Wait for the messages in flight (graceful shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def deliver_once(self) -> int:
        """Dispatch one message (or digest) to every chat that may receive now; how many."""
        svc = self._svc
        taken = self._monotonic()
        waiting = {chat for chat, ready in self._chat_ready.items() if ready > taken}
        if len(self._chat_ready) > 4 * len(waiting) + 1000:  # forget gaps long past
            self._chat_ready = {chat: self._chat_ready[chat] for chat in waiting}
        # Chats we cannot send to now are left out of the read, so they take no room in it.
        skip = self._busy_chats | waiting if len(waiting) < 5000 else set(self._busy_chats)
        async with svc.read() as session:
            due = await outbox.due_alerts(
                session,
                svc.clock(),
                chats=self._limits.chats_per_pass,
                per_chat=self._limits.rows_per_chat,
                skip=skip,
            )
        per_chat: dict[int, list[outbox.DueAlert]] = {}
        for alert in due:
            per_chat.setdefault(alert.chat_id, []).append(alert)
        dispatched = 0
        for chat_id, alerts in per_chat.items():
            if (
                chat_id in self._busy_chats
                or self._chat_ready.get(chat_id, 0) > self._monotonic()
                # A send to this chat finished after our snapshot: its rows here are stale
                # (perhaps already sent); the next pass reads them afresh.
                or self._chat_done.get(chat_id, -1.0) >= taken
            ):
                continue
            # The count covers all the chat's due alerts, not only the rows read.
            fold = alerts[0].due_in_chat > self._limits.digest_over or (
                len(alerts) > 1 and any(a.held for a in alerts)
            )
            batch = alerts if fold else alerts[:1]
            await self._slots.acquire()
            self._busy_chats.add(chat_id)
            task = asyncio.create_task(self._deliver(chat_id, batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            dispatched += 1
        if not dispatched and per_chat:
            # What is due waits on a per-chat gap: come back when the first opens.
            wait = min(self._chat_ready.get(c, 0) for c in per_chat) - self._monotonic()
            await self._sleep(min(max(wait, 0.01), 1.0))
            return 1
        return dispatched

    def _idle_wait(self) -> float:
        """How long the loop may wait for a wake-up: at most until the next chat gap opens.

        Chats waiting for their gap were left out of the read; one of them may have more due.
        """
        now = self._monotonic()
        opens = [ready for ready in self._chat_ready.values() if ready > now]
        return min(max(min(opens) - now, 0.01), 1.0) if opens else 1.0

    async def _paced(self, chat_id: int, chat_type: str) -> bool:
        """Wait for this message's turn: the overall rate, Telegram's pause, the chat's gap.

        Pacing happens right before the request (not at dispatch), so a stall of the event loop
        cannot release a burst: at most the allowed rate of sends start in any second. True when
        the message must go as a paid broadcast (the free `per_second` are used up).
        """
        limits = self._limits
        rate = max(limits.paid_per_second, limits.per_second)
        # The chat's own gap first, alone: it must not hold up the line for other chats.
        gap_opens = self._chat_ready.get(chat_id, 0.0) - self._monotonic()
        if gap_opens > 0:
            await self._sleep(gap_opens)
        # Then the overall rate, one message at a time in arrival order: only the first in
        # line sleeps. (With up to 200 in flight all sleeping until the same slot, each slot
        # woke them all to re-check, and all but one slept again.)
        async with self._pace_line:
            while True:
                now = self._monotonic()
                for recent in (self._recent, self._recent_free):
                    while recent and now - recent[0] >= 1.0:
                        recent.popleft()
                free = len(self._recent_free) < limits.per_second and now >= self._free_until
                if free and limits.paid_per_second > 0 and self._recent_free:
                    # Free messages spread over the second, one every 1/per_second: used up
                    # in a burst at its start, two bursts a second apart met within one
                    # second at Telegram whenever the first was answered later (429s).
                    free = now - self._recent_free[-1] >= 1.0 / limits.per_second
                ready = max(
                    self._next_slot,
                    self._paused_until,
                    self._chat_ready.get(chat_id, 0.0),
                    self._recent[0] + 1.0 if len(self._recent) >= rate else 0.0,
                    self._recent_free[0] + 1.0 if not free and rate <= limits.per_second else 0.0,
                )
                if ready <= now:
                    break
                await self._sleep(ready - now)
        self._recent.append(now)
        if free:
            self._recent_free.append(now)
        # Slots follow a timeline, not the moment we got here: when the loop woke late (a
        # busy turn is longer than the millisecond between paid slots), the messages that
        # missed their slot go now, up to CATCH_UP seconds' worth; the window above still caps
        # every second at `rate`. (Spacing from `now` allowed one message per loop turn.)
        # Only paid broadcasts need it: at 28/s a slot is 36 ms, longer than any loop turn,
        # and a catch-up pair would crowd the free limit that the fake's 30/s window checks.
        catch_up = CATCH_UP if limits.paid_per_second > 0 else 0.0
        self._next_slot = max(self._next_slot, now - catch_up) + 1.0 / rate
        gap = limits.private_gap if chat_type == "private" else limits.group_gap
        self._chat_ready[chat_id] = now + gap
        return not free and limits.paid_per_second > 0

    def _throttled(self, chat_id: int, seconds: float, *, paid: bool = False) -> None:
        """Telegram said wait: hold this chat; two chats in a second means everyone waits.

        With paid broadcasts on, a 429 for a free message says the free rate is used up: the
        next messages go paid until it has passed, and the paid ones are not held for it."""
        now = self._monotonic()
        self._chat_ready[chat_id] = now + seconds
        if self._limits.paid_per_second > 0 and not paid:
            self._free_until = max(self._free_until, now + seconds)
            return
        if now - self._last_throttle < 1.0 and self._last_throttled_chat != chat_id:
            self._paused_until = max(self._paused_until, now + seconds)
        self._last_throttle, self._last_throttled_chat = now, chat_id

    async def _send_message(self, chat_id: int, chat_type: str, text: str, **kwargs: Any) -> Sent:
        if await self._paced(chat_id, chat_type):
            kwargs["allow_paid_broadcast"] = True
        try:
            return await self._api.send_message(chat_id, text, rate_limit_args=NO_RETRY, **kwargs)
        except RetryAfter as error:
            self._throttled(
                chat_id, retry_seconds(error), paid=bool(kwargs.get("allow_paid_broadcast"))
            )
            raise

    async def _send_to_topic(
        self,
        chat_id: int,
        chat_type: str,
        thread_id: int | None,
        text: str,
        _: Translate,
        **kwargs: Any,
    ) -> Sent:
        """Send into a forum topic; a deleted topic ("message thread not found") moves its
        subscriptions to the General topic, says so there once, and the alert goes there."""
        if thread_id is not None:
            try:
                return await self._post(
                    chat_id, chat_type, text, message_thread_id=thread_id, **kwargs
                )
            except BadRequest as error:
                if "thread not found" not in error.message.lower():
                    raise
                await self._topic_gone(chat_id, chat_type, thread_id, _)
        return await self._post(chat_id, chat_type, text, **kwargs)

    async def _post(
        self, chat_id: int, chat_type: str, text: str, *, photo: str | None = None, **kwargs: Any
    ) -> Sent:
        """A message, or with `photo` a photo with `text` as its caption (paced alike)."""
        if photo is None:
            return await self._send_message(chat_id, chat_type, text, **kwargs)
        if await self._paced(chat_id, chat_type):
            kwargs["allow_paid_broadcast"] = True
        try:
            return await self._api.send_photo(
                chat_id, photo, caption=text, rate_limit_args=NO_RETRY, **kwargs
            )
        except RetryAfter as error:
            self._throttled(
                chat_id, retry_seconds(error), paid=bool(kwargs.get("allow_paid_broadcast"))
            )
            raise

    async def _topic_gone(self, chat_id: int, chat_type: str, thread_id: int, _: Translate) -> None:
        async with self._svc.write() as session:
            moved = await subscriptions.leave_topic(session, chat_id, thread_id)
        if not moved:
            return  # an earlier alert of the same batch moved them and said so
        log.info(
            "chat %s: topic %s is gone; %d subscriptions moved", chat_id, thread_id, len(moved)
        )
        notice = _(
            "The forum topic these subscriptions posted into was deleted, so their alerts now "
            "come here, to the General topic: {queries}. Subscribe again inside another topic "
            "to move them there."
        ).format(queries=", ".join(f"“{query}”" for query in moved))
        with contextlib.suppress(TelegramError):
            await self._send_message(chat_id, chat_type, escape(notice), parse_mode=ParseMode.HTML)

    async def _deliver(self, chat_id: int, alerts: Sequence[outbox.DueAlert]) -> None:
        try:
            await self._send(chat_id, alerts)
        except Exception:
            log.exception("delivery to chat %s failed unexpectedly", chat_id)
        finally:
            self._chat_done[chat_id] = self._monotonic()
            self._busy_chats.discard(chat_id)
            self._slots.release()

    async def _send(self, chat_id: int, alerts: Sequence[outbox.DueAlert]) -> None:
        # The outbox query already joined the chat: its language and zone come along.
        language, timezone = alerts[0].chat_language, alerts[0].chat_timezone
        _ = translator(language)
        when = time_formatter(language)
        ids = [a.id for a in alerts]
        try:
            if len(alerts) == 1:
                message = await self._send_alert(chat_id, alerts[0], timezone, _, when)
                await self._mark_sent(ids, message.message_id, alerts[0].shown)
            else:
                await self._send_digest(chat_id, alerts, timezone, _, when)
        except RetryAfter as error:
            wait = retry_seconds(error)
            log.info("chat %s throttled by Telegram for %.0fs", chat_id, wait)
            async with self._svc.write() as session:
                await outbox.postpone_chat(
                    session, chat_id, self._svc.clock() + timedelta(seconds=wait)
                )
        except Forbidden as error:
            log.info("chat %s is gone (%s): deactivated", chat_id, error.message)
            async with self._svc.write() as session:
                await chats.deactivate_chat(session, chat_id, now=self._svc.clock())
        except ChatMigrated as error:
            log.info("chat %s migrated to %s", chat_id, error.new_chat_id)
            async with self._svc.write() as session:
                await chats.migrate_chat(session, chat_id, error.new_chat_id)
            self._svc.index.move_chat(chat_id, error.new_chat_id)
            self._chat_ready.pop(chat_id, None)
            self.wake()
        except BadRequest as error:
            await self._give_up(ids, error)
        except NetworkError as error:
            await self._retry_later(ids, alerts, f"{type(error).__name__}: {error.message}")

    async def _send_digest(
        self,
        chat_id: int,
        alerts: Sequence[outbox.DueAlert],
        timezone: str,
        _: Translate,
        when: TimeFormat,
    ) -> None:
        """The digest, part by part ("2/3"), each with 🔕 buttons for what filled it; a refused
        part goes out as its alerts, one by one."""
        for text, carried in render_digest_parts(
            [_view(a) for a in alerts],
            timezone=timezone,
            _=_,
            ngettext=plural_translator(alerts[0].chat_language),
            time_format=when,
        ):
            try:
                message = await self._send_to_topic(
                    chat_id,
                    alerts[0].chat_type,
                    _topic_of(alerts),
                    text,
                    _,
                    parse_mode=ParseMode.HTML,
                    disable_notification=all(a.silent for a in alerts),
                    reply_markup=_mute_buttons([alerts[i] for i in carried], _),
                )
            except BadRequest as error:
                log.warning("Telegram refused a digest part for chat %s: %s", chat_id, error)
                for index in carried:
                    try:
                        single = await self._send_alert(chat_id, alerts[index], timezone, _, when)
                    except BadRequest as refused:
                        await self._give_up([alerts[index].id], refused)
                    else:
                        await self._mark_sent([alerts[index].id], single.message_id)
                continue
            # Marked part by part: a later failure never touches what was delivered.
            await self._mark_sent([alerts[i].id for i in carried], message.message_id)

    async def _send_alert(
        self,
        chat_id: int,
        alert: outbox.DueAlert,
        timezone: str,
        _: Translate,
        when: TimeFormat,
    ) -> Sent:
        """One alert; on a 400, shorter (headline and link), then plain text, then bare."""
        view = _view(alert)
        markup: _Markup | None = None
        if alert.subscription_id is not None:
            # The Bot API's JSON as is: an InlineKeyboardMarkup per alert cost more than its send.
            mute = {"text": _("🔕 Mute"), "callback_data": f"mute:{alert.subscription_id}"}
            markup = {"inline_keyboard": [[mute]]}
        shown = present_alert(
            view, pictures=alert.pictures, timezone=timezone, _=_, time_format=when
        )
        if shown.kind == "photo":
            try:
                return await self._send_to_topic(
                    chat_id,
                    alert.chat_type,
                    alert.thread_id,
                    shown.text,
                    _,
                    photo=shown.image,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    disable_notification=alert.silent,
                )
            except BadRequest as error:
                if _about_the_chat(error.message):
                    raise
                # Telegram could not fetch the picture (or refused it): the text alert, now.
                log.info("alert %s: photo refused (%s); sent as text", alert.id, error.message)
        preview = None
        if shown.kind == "preview":
            preview = LinkPreviewOptions(
                url=shown.image, prefer_large_media=True, show_above_text=True
            )
        # Rendered only when needed: the first form almost always goes through, and at
        # 1,000 messages/s rendering all four forms of every alert took an eighth of the CPU.
        tries: list[tuple[Callable[[], str], str | None, _Markup | None]] = [
            (
                # The text presentation is this form already: not rendered twice.
                (lambda: shown.text)
                if shown.kind != "photo"
                else (lambda: render_alert(view, timezone=timezone, _=_, time_format=when)),
                ParseMode.HTML,
                markup,
            ),
            (
                lambda: render_alert(view, timezone=timezone, _=_, time_format=when, compact=True),
                ParseMode.HTML,
                markup,
            ),
            (
                lambda: render_alert_plain(view, timezone=timezone, _=_, time_format=when),
                None,
                markup,
            ),
            # Last: the shortest plain text, without the button (a button can be refused too).
            (
                lambda: render_alert_plain(
                    view, timezone=timezone, _=_, time_format=when, compact=True
                ),
                None,
                None,
            ),
        ]
        refused: BadRequest | None = None
        plain_only = False
        seen: set[tuple[str, str | None, bool]] = set()
        for render, parse_mode, buttons in tries:
            if plain_only and parse_mode is not None:
                continue
            text = render()
            if (text, parse_mode, buttons is None) in seen:
                continue
            seen.add((text, parse_mode, buttons is None))
            try:
                return await self._send_to_topic(
                    chat_id,
                    alert.chat_type,
                    alert.thread_id,
                    text,
                    _,
                    parse_mode=parse_mode,
                    reply_markup=buttons,
                    disable_notification=alert.silent,
                    # The large preview goes with the full alert only; its fallbacks are bare text.
                    **({"link_preview_options": preview} if preview and len(seen) == 1 else {}),
                )
            except BadRequest as error:
                if _about_the_chat(error.message):
                    raise  # no other form of the message reaches a chat that is not there
                log.info("alert %s refused (%s); trying a simpler form", alert.id, error.message)
                refused = error
                if "entit" in error.message.lower():
                    plain_only = True  # our markup was refused: only plain text can do better
        assert refused is not None
        raise refused

    async def _give_up(self, ids: Sequence[int], error: BadRequest) -> None:
        """Telegram refused every form: failed, counted in /stats for the admins."""
        log.warning("Telegram refused alerts %s in every form: %s", list(ids), error.message)
        async with self._svc.write() as session:
            await outbox.mark_failed(session, ids, error=error.message)

    async def _mark_sent(
        self,
        ids: Sequence[int],
        message_id: int,
        shown: tuple[str | None, str | None] | None = None,
    ) -> None:
        """Queue the mark with its message id and wait until a batched write has stored it.
        `shown`: what a lone alert's message showed (a change meanwhile queues an edit)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._marks.append((list(ids), message_id, shown, done))
        if self._marker is None or self._marker.done():
            self._marker = asyncio.create_task(self._write_marks())
        await done

    async def _write_marks(self) -> None:
        """One transaction for every mark queued meanwhile (1,000 messages/s need it).

        While the database cannot be reached the marks wait here and are written when it is
        back; their chats stay busy meanwhile, so nothing they carried is sent again."""
        outage = 0
        while self._marks:
            # Let the sends that finish meanwhile join this one.
            await (
                self._sleep(self._limits.mark_wait) if self._limits.mark_wait else asyncio.sleep(0)
            )
            batch, self._marks = self._marks, []
            try:
                async with self._svc.write() as session:
                    await outbox.mark_sent_many(
                        session,
                        [(ids, message_id) for ids, message_id, _shown, _ in batch],
                        now=self._svc.clock(),
                        shown={
                            ids[0]: shown
                            for ids, _message_id, shown, _ in batch
                            if shown is not None and len(ids) == 1
                        },
                    )
            except DATABASE_UNREACHABLE as error:
                delay = min(2.0**outage, OUTAGE_RETRY_MAX)
                self.database_problem = f"cannot reach the database: {one_line(error)}"
                log.warning(
                    "delivery: %d sent alerts not marked yet, %s; retrying in %g s",
                    sum(len(ids) for ids, *_rest in batch),
                    self.database_problem,
                    delay,
                )
                outage += 1
                self._marks[:0] = batch
                await self._sleep(delay)
            except Exception as error:
                for *_mark, done in batch:
                    if not done.done():
                        done.set_exception(error)
            else:
                if outage:
                    log.info("delivery: the database is back; %d marks written", len(batch))
                    outage, self.database_problem = 0, None
                for *_mark, done in batch:
                    if not done.done():
                        done.set_result(None)

    async def _retry_later(
        self, ids: Sequence[int], alerts: Sequence[outbox.DueAlert], error: str
    ) -> None:
        attempts = max(a.attempts for a in alerts) + 1
        delay = min(self._limits.retry_base * 2 ** (attempts - 1), 3600.0)
        log.warning("alerts %s failed (%s); retry in %.0fs", ids, error, delay)
        async with self._svc.write() as session:
            await outbox.mark_retry(
                session,
                ids,
                error=error,
                next_attempt_at=self._svc.clock() + timedelta(seconds=delay),
                park_after=self._limits.park_after,
            )
