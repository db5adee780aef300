"""Delivery pacing on fake time: Telegram's limits hold for a big outbox, in milliseconds."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import text
from telegram.ext import ExtBot

from bot.delivery import Deliverer, DeliveryLimits
from db.engine import make_engine, make_sessionmaker
from db.unit import Database
from services.core import Services
from tests.integration.seed import seed_outbox


class FakeTime:
    """A monotonic clock that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)  # let the other senders run


class RecordingBot:
    """Answers every sendMessage and notes when (in fake time) it arrived and for whom."""

    def __init__(self, time: FakeTime) -> None:
        self._time = time
        self.sent: list[tuple[float, int]] = []

    async def send_message(self, chat_id: int, text: str, **_kwargs: Any) -> SimpleNamespace:
        self.sent.append((self._time.now, chat_id))
        await asyncio.sleep(0)
        return SimpleNamespace(message_id=len(self.sent))


async def _deliver_everything(database_url: str, expected: int) -> tuple[RecordingBot, int]:
    engine = make_engine(database_url)
    time = FakeTime()
    bot = RecordingBot(time)
    try:
        svc = Services(Database(make_sessionmaker(engine)))
        deliverer = Deliverer(
            svc,
            cast(ExtBot[Any], bot),
            DeliveryLimits(),
            monotonic=time.monotonic,
            sleep=time.sleep,
        )
        for _ in range(20_000):
            if len(bot.sent) >= expected:
                break
            if not await deliverer.deliver_once():
                await time.sleep(0.05)
        await deliverer.drain()
        async with svc.read() as session:
            sent = (
                await session.execute(text("SELECT count(*) FROM alerts WHERE status = 'sent'"))
            ).scalar_one()
    finally:
        await engine.dispose()
    return bot, int(sent)


async def test_500_alerts_to_100_chats_keep_every_limit_on_fake_time(database_url: str) -> None:
    url = database_url
    chats = {10_000 + i: 5 for i in range(100)}
    assert await seed_outbox(url, chats) == 500
    bot, sent = await _deliver_everything(url, 500)
    limits = DeliveryLimits()
    assert sent == 500
    assert Counter(chat for _, chat in bot.sent) == Counter(chats)
    moments = sorted(when for when, _ in bot.sent)
    # No more than `per_second` sends start in any one-second window (measured as the
    # deliverer measures it, `start + 1.0 > when`: float sums of 1/28 s differ in the last bit).
    for first, start in enumerate(moments):
        in_window = sum(1 for when in moments[first:] if start + 1.0 > when)
        assert in_window <= limits.per_second
    # One private chat gets at most one message per `private_gap`.
    for chat in chats:
        times = [when for when, to in bot.sent if to == chat]
        assert all(b - a >= limits.private_gap - 1e-9 for a, b in itertools.pairwise(times))
