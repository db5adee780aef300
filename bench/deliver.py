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
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Bot, Update
from telegram.error import RetryAfter
from telegram.ext import Application

from bench.common import fresh_postgres, peak_rss_mb, table
from bench.fakes import FakeBotAPIProcess
from bot.settings import Settings
from db.engine import make_engine, migrate, run_blocking
from db.models import Alert, Article, Chat, Feed, Subscription
from feeds.query import parse_query, query_to_json

TOKEN = "123456:bench-token_for-the-fake-api"  # noqa: S105 (only the fake Bot API sees it)
FIRST_CHAT = 30_000
SENT = "SELECT count(*) FROM alerts WHERE status = 'sent'"
HEAVY_CHAT = 20_000
"""The fairness case's heavy chat: a lower id than the light ones, its alerts queued first."""


def seed_outbox(
    url: str, alerts_per_chat: Mapping[int, int], *, now: datetime | None = None
) -> int:
    """Queue ``n`` alerts (distinct stories) for each private chat, chat by chat in order.

    Rows go straight into the tables: the benchmark measures draining the outbox, not filling
    it. The fake-time delivery tests seed with it too (the mapping's order is the id order).
    """
    return run_blocking(_seed(url, alerts_per_chat, now or datetime.now(UTC)))


async def _seed(url: str, alerts_per_chat: Mapping[int, int], now: datetime) -> int:
    migrate(url)
    most = max(alerts_per_chat.values(), default=0)
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            # Inactive: the articles are already here, the bot must not poll this feed.
            await connection.execute(
                insert(Feed).values(
                    id=1,
                    url="http://127.0.0.1:9/rss",
                    title="Test Source",
                    active=False,
                    created_at=now,
                )
            )
            await connection.execute(
                insert(Article),
                [
                    {
                        "id": n,
                        "feed_id": 1,
                        "story_id": n,
                        "guid": f"story-{n}",
                        "link": f"https://news.example.org/story/{n}",
                        "canonical_link": f"https://news.example.org/story/{n}",
                        "title": f"Headline {n}: Kim fährt nach China",
                        "title_key": f"kim fahrt nach china {n}",
                        "teaser": f"Teaser of story {n} & more <text>",
                        "language": "de",
                        "published_at": now,
                        "fetched_at": now,
                    }
                    for n in range(1, most + 1)
                ],
            )
            await connection.execute(
                insert(Chat),
                [{"id": c, "type": "private", "created_at": now} for c in alerts_per_chat],
            )
            stored_query = query_to_json(parse_query("Kim"))
            subscription = {c: n for n, c in enumerate(alerts_per_chat, 1)}
            await connection.execute(
                insert(Subscription),
                [
                    {
                        "id": n,
                        "chat_id": c,
                        "query_text": "Kim",
                        "query_json": stored_query,
                        "created_at": now,
                    }
                    for c, n in subscription.items()
                ],
            )
            rows = [
                {
                    "chat_id": c,
                    "article_id": n,
                    "story_id": n,
                    "subscription_id": subscription[c],
                    "query_text": "Kim",
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for c, count in alerts_per_chat.items()
                for n in range(1, count + 1)
            ]
            await connection.execute(insert(Alert), rows)
    finally:
        await engine.dispose()
    return len(rows)


async def _count_sent(engine: AsyncEngine, query: str = SENT) -> int:
    """Read from the bot's database while it runs (SQLite's WAL allows it)."""
    async with engine.connect() as connection:
        return int((await connection.execute(text(query))).scalar_one())


@contextlib.asynccontextmanager
async def running(
    settings: Settings, **build: Any
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """The bot started as `newsbot run` starts it, and stopped gracefully afterwards (the
    integration tests start it the same way)."""
    from bot.app import build_application

    app = build_application(settings, **build)
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
    await app.start()
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


async def _newsbot(
    api_url: str,
    tmp: Path,
    alerts_per_chat: Mapping[int, int],
    *,
    watch: tuple[int, int] | None = None,
    paid: bool = False,
    postgres: str | None = None,
) -> tuple[float, int, float]:
    """Seconds until every alert (or those of the chats in ``watch``, a range) was sent, how
    many were, and the CPU seconds this process used meanwhile."""
    run = Path(tempfile.mkdtemp(dir=tmp))  # each run its own database
    feeds_file = run / "feeds.txt"
    feeds_file.write_text("\n")
    if postgres:
        await fresh_postgres(postgres)
    database_url = postgres or f"sqlite:///{run / 'bench.db'}"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=api_url,
        DATABASE_URL=database_url,
        HTTP_LISTEN="127.0.0.1:0",
        FEEDS_FILE=feeds_file,
        POLL_INTERVAL=1,
        LOG_LEVEL="WARNING",
        PAID_BROADCAST=paid,
    )
    await _seed(database_url, alerts_per_chat, datetime.now(UTC))
    counter = make_engine(database_url)
    low, high = watch or (min(alerts_per_chat), max(alerts_per_chat))
    wanted = sum(n for chat, n in alerts_per_chat.items() if low <= chat <= high)
    query = f"{SENT} AND chat_id BETWEEN {low} AND {high}"
    started = time.perf_counter()
    async with running(settings):
        if paid:
            # Paid: the outbox's throughput, timed from the bot being up. Loading the matcher
            # takes seconds on a busy machine, a fifth of a 20-second run; sends started
            # meanwhile are left out of the count.
            started, before = time.perf_counter(), await _count_sent(counter, query)
            cpu = time.process_time()
            wanted -= before
        else:
            before, cpu = 0, time.process_time()
        while await _count_sent(counter, query) - before < wanted:
            await asyncio.sleep(0.2)
            if time.perf_counter() - started > wanted + 60:  # far beyond 1/s: stuck
                break
        seconds = time.perf_counter() - started
        sent = await _count_sent(counter, query) - before
        cpu = time.process_time() - cpu
    await counter.dispose()
    return seconds, sent, cpu


async def _naive(api_url: str, alerts: int) -> tuple[float, int, int]:
    """Everything at once, no pacing, no retry: what many feed-to-Telegram bots do."""
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


def _fairness(api: FakeBotAPIProcess, tmp: Path, light: int, heavy: int) -> None:
    """Issue 11: one chat with ``heavy`` queued must not slow ``light`` one-alert chats."""
    api.set_limits()
    light_chats = dict.fromkeys(range(FIRST_CHAT, FIRST_CHAT + light), 1)
    watch = (FIRST_CHAT, FIRST_CHAT + light - 1)
    alone, alone_sent, _cpu = asyncio.run(_newsbot(api.base_url, tmp, light_chats, watch=watch))
    api.clear_records()
    time.sleep(2)
    # The heavy chat's rows are the oldest: the old bot read them first and nothing else.
    mixed = {HEAVY_CHAT: heavy, **light_chats}
    beside, beside_sent, _cpu = asyncio.run(_newsbot(api.base_url, tmp, mixed, watch=watch))
    print(
        f"fairness: {light} chats with one alert each, alone and beside one chat with "
        f"{heavy} queued"
    )
    print(
        table(
            ["run", "light chats served", "seconds", "vs alone"],
            [
                ["alone", alone_sent, f"{alone:.1f}", "1.00"],
                [f"beside {heavy} queued", beside_sent, f"{beside:.1f}", f"{beside / alone:.2f}"],
            ],
        )
    )


def _paid(api: FakeBotAPIProcess, tmp: Path, alerts: int, postgres: str | None = None) -> None:
    """Issue 15: paid broadcasts, 1,000 messages/s allowed; the outbox must keep up."""
    limits = api.set_limits(paid_per_second=1000)
    chats = dict.fromkeys(range(FIRST_CHAT, FIRST_CHAT + alerts), 1)
    load_before = os.getloadavg()[0]
    fakes = api.cpu_seconds()
    seconds, sent, ours = asyncio.run(
        _newsbot(api.base_url, tmp, chats, paid=True, postgres=postgres)
    )
    fakes = api.cpu_seconds() - fakes
    load = os.getloadavg()[0]
    messages = api.sent_messages()
    paid = sum(1 for m in messages if m.get("allow_paid_broadcast"))
    scopes = Counter(r.scope for r in api.rejections)
    database = "PostgreSQL" if postgres else "SQLite"
    print(
        f"deliver --paid: {alerts} alerts to {alerts} chats, fake Bot API allowing 1,000/s, "
        f"on {database}"
    )
    print(
        table(
            ["alerts", "sent", "messages/s", "paid", "429s", "lost", "limit breaches"],
            [
                [
                    alerts,
                    sent,
                    f"{sent / seconds:.1f}",
                    paid,
                    ", ".join(f"{n} {scope}" for scope, n in sorted(scopes.items())) or "0",
                    alerts - len(api.delivered_chats()),
                    len(api.limit_violations(limits)),
                ]
            ],
        )
    )
    print(
        f"newsbot took {seconds:.1f} s from up to the last alert sent (sent before it was up "
        f"left out); peak RSS {peak_rss_mb():.0f} MB; load average {load_before:.1f} before, "
        f"{load:.1f} after, on {os.cpu_count()} CPUs"
    )
    # What each side needs, so a loaded machine's number can be judged: one message a
    # millisecond needs well under a millisecond of CPU per message on the bot's side.
    print(
        f"CPU per message while delivering: newsbot {ours * 1000 / max(sent, 1):.2f} ms, "
        f"fake Bot API {fakes * 1000 / max(sent, 1):.2f} ms (its start included)"
    )


async def _raw_client(port: int, requests: int, connections: int) -> None:
    """sendMessage over bare keep-alive sockets: what the fake answers with a client costing
    next to nothing."""

    async def one_connection(chats: range) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for chat in chats:
            body = f"chat_id={chat}&text=hello".encode()
            writer.write(
                f"POST /bot{TOKEN}/sendMessage HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
        writer.close()
        await writer.wait_closed()

    first = 50_000
    await asyncio.gather(
        *(
            one_connection(range(first + k, first + requests, connections))
            for k in range(connections)
        )
    )


async def _ptb_client(api_url: str, requests: int, connections: int, request: Any) -> None:
    """sendMessage through python-telegram-bot alone: no outbox, no pacing, no rendering."""
    bot = Bot(TOKEN, base_url=api_url, request=request)
    line = asyncio.Semaphore(connections)
    async with bot:

        async def send(chat_id: int) -> None:
            async with line:
                await bot.send_message(chat_id, "hello")

        await asyncio.gather(*(send(60_000 + i) for i in range(requests)))


def _ceiling(api: FakeBotAPIProcess, requests: int, connections: int) -> None:
    """Where messages/s run out on this machine: the fake alone, PTB alone (both transports)."""
    from telegram.request import HTTPXRequest

    from bot.telegram_request import AiohttpRequest

    api.set_limits(global_per_second=None, per_chat_per_second=None, per_group_per_minute=None)
    clients: list[tuple[str, Any]] = [
        ("bare sockets (the fake's ceiling)", lambda: _raw_client(api.port, requests, connections)),
        (
            "PTB over aiohttp (newsbot's sends)",
            lambda: _ptb_client(
                api.base_url, requests, connections, AiohttpRequest(pool_size=connections)
            ),
        ),
        (
            "PTB over httpx (PTB's default)",
            lambda: _ptb_client(
                api.base_url, requests, connections, HTTPXRequest(connection_pool_size=connections)
            ),
        ),
    ]
    rows = []
    for name, client in clients:
        fake_cpu, cpu, wall = api.cpu_seconds(), time.process_time(), time.perf_counter()
        asyncio.run(client())
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        fake_cpu = api.cpu_seconds() - fake_cpu
        rows.append(
            [
                name,
                requests,
                f"{requests / wall:.0f}",
                f"{cpu * 1000 / requests:.2f}",
                f"{fake_cpu * 1000 / requests:.2f}",
            ]
        )
    print(
        f"deliver --ceiling: {requests} sendMessage over {connections} connections, no limits; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(table(["client", "requests", "per second", "client CPU ms", "fake CPU ms"], rows))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="newsbot bench deliver")
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=300, help="alerts for the naive sender")
    parser.add_argument(
        "--fairness",
        action="store_true",
        help="only the fairness case: 1,000 one-alert chats alone and beside 2,000 queued",
    )
    parser.add_argument("--light", type=int, default=1000, help="fairness: one-alert chats")
    parser.add_argument("--heavy", type=int, default=2000, help="fairness: the heavy chat's")
    parser.add_argument(
        "--paid",
        action="store_true",
        help="paid broadcasts: 20,000 alerts (or --alerts) at up to 1,000 messages/s",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="the bot's database on this PostgreSQL (its contents are replaced)",
    )
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="only where messages/s run out here: the fake alone, PTB alone (--alerts requests)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    # The fake answers from its own process: in ours it would compete with the bot for the GIL.
    with FakeBotAPIProcess(record_calls=False) as api, tempfile.TemporaryDirectory() as tmp:
        if args.ceiling:
            requests = args.alerts if "--alerts" in (argv or sys.argv) else 3000
            _ceiling(api, requests, connections=32)
            return
        if args.paid:
            alerts = args.alerts if "--alerts" in (argv or sys.argv) else 20_000
            _paid(api, Path(tmp), alerts, args.postgres)
            return
        if args.fairness:
            _fairness(api, Path(tmp), args.light, args.heavy)
            return
        api.set_limits()
        chats = dict.fromkeys(range(FIRST_CHAT, FIRST_CHAT + args.alerts), 1)
        seconds, sent, _cpu = asyncio.run(
            _newsbot(api.base_url, Path(tmp), chats, postgres=args.postgres)
        )
        ours_429 = api.count_429
        delivered = len(api.delivered_chats())
        violations = api.limit_violations()
        api.clear_records()
        time.sleep(2)  # let the fake's windows empty before the baseline
        base_seconds, base_delivered, base_429 = asyncio.run(_naive(api.base_url, args.baseline))
        api.clear_records()
        time.sleep(2)
        _fairness(api, Path(tmp), args.light, args.heavy)
    print(
        f"deliver: {args.alerts} alerts to {args.alerts} chats, fake Bot API enforcing 30/s, "
        f"on {'PostgreSQL' if args.postgres else 'SQLite'}"
    )
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
                    args.alerts - delivered,
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
