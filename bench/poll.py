"""`newsbot bench poll`: 1,000 feeds on loopback with 200 ms latency, two full poll cycles.

The feeds are spread over 25 local servers (hosts), 40 feeds each, 20 items per feed; the
full pipeline runs (fetch, parse, store, match against a few subscriptions, queue alerts).
The second cycle should be nearly all 304s. The baseline fetches a subset one feed after
another with plain httpx (no conditional GET), extrapolated to all feeds.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import tempfile
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

import httpx

from bench.common import fresh_postgres, peak_rss_mb, table
from bench.fakes import FeedServer, rss
from bot.poll import PollSummary
from bot.runtime import open_runtime
from bot.settings import Settings

WORDS = (
    "Kim",
    "Jong",
    "Un",
    "Nordkorea",
    "Rakete",
    "China",
    "Russland",
    "Putin",
    "Xi",
    "Jinping",
    "Regierung",
    "Wahl",
    "Parlament",
    "missile",
    "summit",
    "economy",
    "inflation",
    "election",
    "minister",
    "border",
    "talks",
    "Pyongyang",
    "Seoul",
    "Tokyo",
    "Berlin",
    "Wien",
    "Brüssel",
    "Gipfel",
    "Handel",
    "Zölle",
    "Sanktionen",
    "Energie",
    "Klima",
    "Fußball",
    "Weltmeisterschaft",
)


def _items(
    feed: int, count: int, cycle_seed: int = 0, now: datetime | None = None
) -> list[dict[str, object]]:
    # Published in the last hours of the run, as a poll of live feeds brings news (and the
    # story grouper reads it all).
    now = now or datetime.now(UTC).replace(second=0, microsecond=0)
    items = []
    for n in range(count):
        words = [WORDS[(feed * 7 + n * 3 + k) % len(WORDS)] for k in range(8)]
        items.append(
            {
                "title": " ".join(words[:6]).capitalize() + f" ({feed}-{n})",
                "link": f"https://news{feed % 25}.example.org/{feed}/{n}",
                "guid": f"bench-{feed}-{n}-{cycle_seed}",
                "description": "<p>" + " ".join(words) + " &amp; mehr.</p>",
                "pubDate": now - timedelta(minutes=n),
            }
        )
    return items


def _serve(pipe: Connection, feeds: int, items: int, hosts: int, latency: float) -> None:
    """The child process: `hosts` feed servers with `feeds` feeds; sends their URLs back."""
    servers = [FeedServer(latency=latency) for _ in range(hosts)]
    for server in servers:
        server.start()
    urls = []
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    for feed in range(feeds):
        body = rss(_items(feed, items, now=now), title=f"Bench feed {feed}", language="de")
        urls.append(servers[feed % hosts].set_feed(f"/feed/{feed}.xml", body))
    pipe.send(urls)
    pipe.recv()
    for server in servers:
        server.stop()


async def _cycle(settings: Settings) -> tuple[PollSummary, PollSummary, float]:
    async with open_runtime(settings) as runtime:
        first = await runtime.poller.poll(everything=True)
        second = await runtime.poller.poll(everything=True)
    assert first is not None and second is not None
    return first, second, peak_rss_mb()


async def _baseline(urls: list[str]) -> float:
    started = time.perf_counter()
    async with httpx.AsyncClient() as client:
        for url in urls:
            (await client.get(url)).raise_for_status()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="newsbot bench poll")
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--hosts", type=int, default=25)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--baseline", type=int, default=25, help="feeds fetched sequentially")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="store into this PostgreSQL database instead of SQLite (its contents are replaced)",
    )
    args = parser.parse_args(argv)
    # The feed servers run in a process of their own: in ours they would take the GIL (and
    # the CPU) that the poller is being measured on.
    parent, child = multiprocessing.Pipe()
    servers = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(child, args.feeds, args.items, args.hosts, args.latency)
    )
    servers.start()
    try:
        urls: list[str] = parent.recv()
        with tempfile.TemporaryDirectory() as tmp:
            feeds_file = Path(tmp) / "feeds.txt"
            feeds_file.write_text("\n".join(urls) + "\n")
            if args.postgres:
                asyncio.run(fresh_postgres(args.postgres))
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None,
                DATABASE_URL=args.postgres or f"sqlite:///{tmp}/bench.db",
                FEEDS_FILE=feeds_file,
                POLL_INTERVAL=300,
                LOG_LEVEL="WARNING",
            )
            first, second, peak = asyncio.run(_cycle(settings))
        subset = urls[: args.baseline]
        baseline = asyncio.run(_baseline(subset))
    finally:
        parent.send("stop")
        servers.join(10)

    sequential_all = baseline / len(subset) * args.feeds
    bytes_first = sum(o.bytes_read for o in first.outcomes)
    bytes_second = sum(o.bytes_read for o in second.outcomes)
    share_304 = second.count("not_modified") / max(len(second.outcomes), 1)
    print(
        f"poll: {args.feeds} feeds × {args.items} items on {args.hosts} local hosts, "
        f"{args.latency * 1000:.0f} ms latency per response, "
        f"on {'PostgreSQL' if args.postgres else 'SQLite'}"
    )
    print(
        table(
            ["run", "cycle time", "feeds/s", "bytes", "304s", "new articles", "failed"],
            [
                [
                    "newsbot cycle 1",
                    f"{first.seconds:.2f} s",
                    f"{args.feeds / first.seconds:.0f}",
                    f"{bytes_first / 1e6:.1f} MB",
                    f"{first.count('not_modified')}",
                    first.new_articles,
                    first.count("error"),
                ],
                [
                    "newsbot cycle 2",
                    f"{second.seconds:.2f} s",
                    f"{args.feeds / second.seconds:.0f}",
                    f"{bytes_second / 1e6:.2f} MB",
                    f"{share_304:.1%}",
                    second.new_articles,
                    second.count("error"),
                ],
                [
                    f"sequential baseline ({len(subset)} feeds, extrapolated)",
                    f"{sequential_all:.1f} s",
                    f"{len(subset) / baseline:.1f}",
                    "-",
                    "-",
                    "-",
                    "-",
                ],
            ],
        )
    )
    print(f"peak RSS {peak:.0f} MB; speed-up over sequential {sequential_all / first.seconds:.0f}×")


if __name__ == "__main__":
    main()
