"""The whole `newsbot run` process group at rest: the bot and its parser processes.

The bot runs as `newsbot run` runs it (the service, the fake Bot API, a loopback feed server
serving the test corpus, a temporary SQLite database), polls every feed once, then rests;
the resident memory of the bot and of each process it started is read from /proc, as
`/metrics` reports it (`newsbot_process_group_rss_bytes`).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

CORPUS_PLACES = (
    Path(__file__).parents[1] / "tests" / "data" / "feeds",
    Path(__file__).parents[2] / "shared" / "corpus" / "feeds",
)


FAKE_TOKEN = "123456:bench-token_for-the-fake-api"  # noqa: S105 - the fake Bot API's, not a secret


def _corpus() -> list[Path]:
    for place in CORPUS_PLACES:
        found = sorted(place.glob("*.xml"))
        if found:
            return found
    return []


def _processes(root: int) -> list[tuple[int, str, float]]:
    """(pid, name, RSS MiB) of root and its descendants."""
    page = os.sysconf("SC_PAGE_SIZE")
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    family, todo = [], [root]
    while todo:
        pid = todo.pop()
        family.append(pid)
        todo.extend(p for p, parent in parents.items() if parent == pid)
    rows = []
    for pid in family:
        try:
            pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        label = "the bot" if pid == root else f"child process ({name})"
        rows.append((pid, label, pages * page / 1024 / 1024))
    return rows


async def measure(rest: float = 5.0) -> list[tuple[int, str, float]]:
    """Run the bot, poll the corpus once, rest; the processes' RSS."""
    from bench.fakes import FakeBotAPI, FeedServer
    from bot.service import Service
    from bot.settings import Settings

    feeds = _corpus()
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeBotAPI(record_calls=False) as api,
        FeedServer() as server,
    ):
        urls = [server.set_feed(f"/{path.name}", path.read_bytes()) for path in feeds]
        feeds_file = Path(folder) / "feeds.txt"
        feeds_file.write_text("\n".join(urls) + "\n")
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
            TELEGRAM_API_URL=api.base_url,
            DATABASE_URL=f"sqlite:///{folder}/newsbot.db",
            FEEDS_FILE=feeds_file,
            POLL_INTERVAL=300,
            HTTP_LISTEN="127.0.0.1:0",
        )
        stop = asyncio.Event()
        service = Service(settings, stop)
        task = asyncio.create_task(service.run())
        try:
            metrics = service.metrics
            for _ in range(1500):  # the first poll of every feed, for up to 5 minutes
                polled = metrics.count("newsbot_feeds_polled_total", "newsbot_feeds_failed_total")
                if polled >= len(urls):
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(rest)
            return _processes(os.getpid())
        finally:
            stop.set()
            await task


def report(rest: float = 5.0) -> str:
    from bench.common import table

    rows = asyncio.run(measure(rest))
    total = sum(mb for _, _, mb in rows)
    lines = [(label, f"{mb:.0f} MB") for _, label, mb in rows]
    lines.append(("process group", f"{total:.0f} MB"))
    return (
        f"the bot at rest ({len(_corpus())} corpus feeds polled once, then {rest:g} s idle):\n"
        + table(("process", "RSS"), lines)
    )


if __name__ == "__main__":
    print(report())
