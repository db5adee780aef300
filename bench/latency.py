"""`newsbot bench latency`: from a publisher's new item to the reader's alert, vs the interval.

One feed on loopback gains an item at a random moment of each poll interval; the real bot
(fake Bot API, one reader subscribed) polls it every POLL_INTERVAL seconds. Issue 11: the
latency (publish → alert arrives at the fake Telegram) stays within the interval + 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import table
from bench.deliver import TOKEN, running
from bench.fakes import FakeBotAPI, FeedServer, rss
from bot.settings import Settings

READER = 7_000_001
PATH = "/latency.xml"
WORDS = (
    "harbour", "glacier", "orchard", "violin", "compass", "lantern", "meadow", "quarry",
    "saddle", "thimble", "walnut", "beacon", "canyon", "dolphin", "ember", "falcon",
    "granite", "hammock", "iris", "juniper", "kettle", "lagoon", "marble", "nectar",
    "oyster", "pepper", "quartz", "raven", "saffron", "tundra", "umbrella", "velvet",
    "willow", "yarrow", "zephyr", "anchor", "bramble", "cobalt", "driftwood", "elm",
    "fjord", "garnet", "heron", "ivory", "jasmine", "kelp", "lichen", "mosaic",
    "nutmeg", "opal", "pebble", "quill", "reed", "sequoia", "thistle", "upland",
    "vapour", "wren", "yeast", "zinc",
)  # fmt: skip
"""Each item gets words no other item has: the story rules must not fold two into one."""


def _item(number: int) -> dict[str, object]:
    words = " ".join(WORDS[(3 * number + k) % len(WORDS)] for k in range(3))
    return {
        "title": f"Kim visits the {words} works, report {number}",
        "link": f"https://news.example.org/latency/{number}",
        "description": f"Item {number} of the latency benchmark.",
        "pubDate": datetime.now(UTC),
    }


def _count(database: Path, sql: str) -> int:
    with sqlite3.connect(database, timeout=10) as connection:
        return int(connection.execute(sql).fetchone()[0])


async def _arrival(api: FakeBotAPI, number: int, patience: float) -> float | None:
    """time.time() when the alert for item `number` was first seen at the fake Telegram."""
    marker = f"report {number}"
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if any(marker in m["text"] for m in api.sent_messages(READER)):
            return time.time()
        await asyncio.sleep(0.02)
    return None


async def _measure(interval: float, items: int, seed: int) -> list[float | None]:
    chance = random.Random(seed)  # a benchmark's schedule, not a secret
    with (
        FakeBotAPI(record_calls=False) as api,
        FeedServer() as feeds,
        tempfile.TemporaryDirectory() as tmp,
    ):
        served = [_item(0)]
        url = feeds.set_feed(PATH, rss(served, language="en"))
        feeds_file = Path(tmp) / "feeds.txt"
        feeds_file.write_text(url + "\n")
        database = Path(tmp) / "bench.db"
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=api.base_url,
            DATABASE_URL=f"sqlite:///{database}",
            FEEDS_FILE=feeds_file,
            POLL_INTERVAL=interval,
            LOG_LEVEL="WARNING",
        )
        latencies: list[float | None] = []
        async with running(settings):
            for _ in range(600):  # the first poll stores the backlog, alerting nothing
                if _count(database, "SELECT count(*) FROM articles") >= 1:
                    break
                await asyncio.sleep(0.1)
            api.push_message(READER, "/subscribe Kim")
            await api.wait_for_messages_async(READER, 1)
            for number in range(1, items + 1):
                await asyncio.sleep(chance.uniform(0, interval))
                served.append(_item(number))
                feeds.set_feed(PATH, rss(served, language="en"))
                published = time.time()
                arrived = await _arrival(api, number, interval + 30)
                latencies.append(None if arrived is None else arrived - published)
        return latencies


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="newsbot bench latency")
    parser.add_argument("--interval", type=float, default=3.0, help="POLL_INTERVAL, seconds")
    parser.add_argument("--items", type=int, default=15, help="items published (at most 20)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    latencies = asyncio.run(_measure(args.interval, min(args.items, 20), args.seed))
    arrived = [value for value in latencies if value is not None]
    budget = args.interval + 2.0
    print(
        f"latency: {len(latencies)} items published at random moments, "
        f"POLL_INTERVAL={args.interval:g} s (budget: interval + 2 s = {budget:g} s)"
    )
    if not arrived:
        print("no alert arrived")
        return
    print(
        table(
            ["alerts", "missing", "p50 s", "p95 s", "max s", "within budget"],
            [
                [
                    len(arrived),
                    len(latencies) - len(arrived),
                    f"{statistics.median(arrived):.2f}",
                    f"{_percentile(arrived, 0.95):.2f}",
                    f"{max(arrived):.2f}",
                    f"{sum(1 for v in arrived if v <= budget)}/{len(latencies)}",
                ]
            ],
        )
    )


if __name__ == "__main__":
    main()
