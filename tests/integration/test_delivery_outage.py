"""The database goes away while the bot delivers: one line per retry, no traceback, nothing
lost and nothing sent twice when it is back. On fake time, through either database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import ExtBot

from bot.delivery import OUTAGE_RETRY_MAX, Deliverer, DeliveryLimits
from db.engine import make_engine, make_sessionmaker
from db.unit import Database
from services.core import Services
from tests.integration.seed import seed_outbox
from tests.integration.test_delivery_pacing import FakeTime, RecordingBot


class FlakyDatabase(Database):
    """A database that cannot be reached while `down` is set (reads and writes refuse)."""

    down = False

    def _refuse(self) -> None:
        if self.down:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError(111, "refused"))

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        self._refuse()
        async with super().read() as session:
            yield session

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        self._refuse()
        async with super().write() as session:
            yield session


class OutageBot(RecordingBot):
    """Takes the database down right after the `at`-th message went out."""

    def __init__(self, time: FakeTime, database: FlakyDatabase, at: int) -> None:
        super().__init__(time)
        self._database, self._at = database, at

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Any:
        sent = await super().send_message(chat_id, text, **kwargs)
        if len(self.sent) == self._at:
            self._database.down = True
        return sent


async def test_an_outage_mid_delivery_is_one_line_a_retry_and_loses_nothing(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    chats = {50_000 + i: 1 for i in range(40)}
    assert await seed_outbox(database_url, chats) == 40
    engine = make_engine(database_url)
    time = FakeTime()
    database = FlakyDatabase(make_sessionmaker(engine))
    bot = OutageBot(time, database, at=10)
    deliverer = Deliverer(
        Services(database),
        cast(ExtBot[Any], bot),
        DeliveryLimits(),
        monotonic=time.monotonic,
        sleep=time.sleep,
    )
    caplog.set_level(logging.INFO, logger="bot.delivery")

    def warnings() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "cannot reach the database" in r.getMessage()]

    try:
        loop = asyncio.create_task(deliverer.run())
        for _ in range(20_000):  # the loop's idle wait is real time: step both clocks
            await time.sleep(0.05)
            await asyncio.sleep(0.002)
            if len(warnings()) >= 5:
                break
        assert database.down and deliverer.database_problem is not None
        assert "cannot reach the database" in deliverer.database_problem
        down_for, sent_during_outage = time.now, len(bot.sent)
        database.down = False
        for _ in range(20_000):
            await time.sleep(0.05)
            await asyncio.sleep(0.002)
            if len(bot.sent) >= len(chats) and deliverer.database_problem is None:
                break
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop
        await deliverer.drain()
        async with database.read() as session:
            marked = (
                await session.execute(text("SELECT count(*) FROM alerts WHERE status = 'sent'"))
            ).scalar_one()
    finally:
        await engine.dispose()
    per_chat = Counter(chat for _when, chat in bot.sent)
    assert set(per_chat) == set(chats) and max(per_chat.values()) == 1  # none lost, none twice
    assert marked == len(chats)
    assert sent_during_outage <= 10 + DeliveryLimits().in_flight  # nothing new went out
    # Backoff: lines 1, 2, 4 … 30 s apart (the pass and the marks each), not one a pass.
    assert len(warnings()) <= 2 * (6 + down_for / OUTAGE_RETRY_MAX)
    assert all(r.exc_info is None for r in caplog.records)  # no traceback anywhere
    assert any("the database is back" in r.getMessage() for r in caplog.records)
