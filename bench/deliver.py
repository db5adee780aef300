"""`newsbot bench deliver`: 10,000 alerts to 10,000 chats through a fake Bot API at 30/s.

The fake enforces Telegram's limits (30 messages/s overall, a short burst per chat) and
answers 429 with retry_after when they are broken. newsbot's real Application drains a real
outbox; the baseline is the naive bot: send every alert at once and drop what gets a 429.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import tempfile
import time
from pathlib import Path

from telegram import Bot
from telegram.error import RetryAfter

from bench.common import peak_rss_mb, table, use_test_fakes


async def _newsbot(api_url: str, tmp: Path, alerts: int) -> tuple[float, int]:
    from tests.integration.harness import db_count, make_settings, running
    from tests.integration.seed import seed_outbox

    settings = make_settings(api_url, tmp, [], LOG_LEVEL="WARNING")
    chats = {30_000 + i: 1 for i in range(alerts)}
    await seed_outbox(settings.DATABASE_URL, chats)
    sent = "SELECT count(*) FROM alerts WHERE status = 'sent'"
    started = time.perf_counter()
    async with running(settings):
        while db_count(settings, sent) < alerts:
            await asyncio.sleep(0.5)
            if time.perf_counter() - started > alerts:  # far beyond 1/s: something is stuck
                break
    return time.perf_counter() - started, db_count(settings, sent)


async def _naive(api_url: str, alerts: int) -> tuple[float, int, int]:
    """Everything at once, no pacing, no retry: what many feed-to-Telegram bots do."""
    from tests.integration.harness import TOKEN

    bot = Bot(TOKEN, base_url=api_url)
    delivered = throttled = 0
    started = time.perf_counter()
    async with bot:

        async def send(chat_id: int) -> None:
            nonlocal delivered, throttled
            try:
                await bot.send_message(chat_id, f"alert for {chat_id}")
                delivered += 1
            except RetryAfter:
                throttled += 1

        await asyncio.gather(*(send(40_000 + i) for i in range(alerts)))
    return time.perf_counter() - started, delivered, throttled


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="newsbot bench deliver")
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=300, help="alerts for the naive sender")
    args = parser.parse_args(argv)
    use_test_fakes()
    logging.basicConfig(level=logging.WARNING)
    from tests.fakes.telegram_api import FakeBotAPI

    with FakeBotAPI(record_calls=False) as api, tempfile.TemporaryDirectory() as tmp:
        api.set_limits()
        seconds, sent = asyncio.run(_newsbot(api.base_url, Path(tmp), args.alerts))
        ours_429 = api.count_429
        chats = len(api.delivered_chats())
        violations = api.limit_violations()
        api.clear_records()
        with contextlib.suppress(Exception):
            time.sleep(2)  # let the fake's windows empty before the baseline
        base_seconds, base_delivered, base_429 = asyncio.run(_naive(api.base_url, args.baseline))
    print(f"deliver: {args.alerts} alerts to {args.alerts} chats, fake Bot API enforcing 30/s")
    print(
        table(
            ["sender", "alerts", "messages/s", "429s", "per 1,000", "lost", "limit breaches"],
            [
                [
                    "newsbot outbox",
                    args.alerts,
                    f"{sent / seconds:.1f}",
                    ours_429,
                    f"{ours_429 * 1000 / max(sent, 1):.2f}",
                    args.alerts - chats,
                    len(violations),
                ],
                [
                    "naive: all at once, no retry",
                    args.baseline,
                    f"{base_delivered / base_seconds:.1f}",
                    base_429,
                    f"{base_429 * 1000 / args.baseline:.0f}",
                    args.baseline - base_delivered,
                    "-",
                ],
            ],
        )
    )
    print(f"newsbot took {seconds:.0f} s; peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
