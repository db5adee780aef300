"""The `newsbot` command line: run, poll --once, search, feeds, db copy, bench."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.core import Services
    from services.feeds import FeedView

from bot import redact
from bot.settings import Settings, SettingsError, load_settings


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.LOG_LEVEL,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # The token is in every Bot API URL; no log line or traceback may show it.
    redact.install([settings.TELEGRAM_BOT_TOKEN, settings.WEBHOOK_SECRET])
    # httpx logs every request at INFO; that drowns the bot's own lines.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


async def _run(settings: Settings) -> int:
    from bot.service import Service

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return await Service(settings, stop).run()


def cmd_run(settings: Settings, _args: argparse.Namespace) -> int:
    """The bot until SIGINT/SIGTERM; what retrying cannot fix is one line and exit code 2."""
    from bot.leader import AnotherInstance
    from bot.service import CannotStart

    try:
        return asyncio.run(_run(settings))
    except (AnotherInstance, CannotStart) as error:
        print(f"newsbot: {error}", file=sys.stderr)
        return 2


async def _poll_once(settings: Settings) -> int:
    from bot.runtime import open_runtime

    async with open_runtime(settings) as runtime:
        summary = await runtime.poller.poll(everything=True)
    if summary is None:
        return 1
    for outcome in summary.outcomes:
        if outcome.status == "error":
            print(f"FAILED  {outcome.url}: {outcome.error_kind}: {outcome.error}")
        else:
            print(
                f"{outcome.status:<12}{outcome.url}: {outcome.new_articles} new, "
                f"{outcome.alerts_queued} alerts"
            )
    print(summary.describe())
    return 0


def _age(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = (moment - now).total_seconds()
    word = "in " if seconds > 0 else ""
    suffix = "" if seconds > 0 else " ago"
    seconds = abs(seconds)
    if seconds < 120:
        span = f"{seconds:.0f}s"
    elif seconds < 7200:
        span = f"{seconds / 60:.0f}min"
    elif seconds < 172800:
        span = f"{seconds / 3600:.0f}h"
    else:
        span = f"{seconds / 86400:.0f}d"
    return f"{word}{span}{suffix}"


@contextlib.asynccontextmanager
async def _services(settings: Settings) -> AsyncIterator[Services]:
    """The use cases over the database, its schema brought up to date (no Telegram, no feeds)."""
    from db.engine import make_engine, make_sessionmaker, migrate
    from db.search_backend import search_backend
    from db.unit import Database
    from services.core import Services

    await asyncio.to_thread(migrate, settings.DATABASE_URL)
    engine = make_engine(settings.DATABASE_URL)
    try:
        yield Services(Database(make_sessionmaker(engine)), search_backend(settings.DATABASE_URL))
    finally:
        await engine.dispose()


async def _stored_feeds(settings: Settings) -> list[FeedView]:
    """The feeds table, read after bringing the schema up to date."""
    from services.feeds import sources

    async with _services(settings) as svc:
        return await sources(svc)


async def _list_feeds(settings: Settings) -> int:
    from feeds.clock import utc_now

    feeds = await _stored_feeds(settings)
    now = utc_now()
    if not feeds:
        print(f"no feeds stored yet; FEEDS_FILE is {settings.FEEDS_FILE} (read by run / poll)")
    for feed in feeds:
        state = "active" if feed.active else "INACTIVE"
        if feed.active and feed.consecutive_failures:
            state = f"FAILING x{feed.consecutive_failures}"
        print(f"{feed.url}")
        print(
            f"    {state}; {feed.title or '(no title yet)'}; origin {feed.origin}; "
            f"last success {_age(feed.last_success_at, now)}; "
            f"next poll {_age(feed.next_poll_at, now)}"
        )
        if feed.last_error:
            print(
                f"    last error {_age(feed.last_error_at, now)}: "
                f"{feed.last_error_kind}: {feed.last_error[:200]}"
            )
    return 0


async def _import_feeds(settings: Settings, file: str) -> int:
    """Merge an OPML file or URL list into the feeds table, trusted like FEEDS_FILE."""
    from pathlib import Path

    from feeds.opml import FeedListError, read_feed_list
    from services.feeds import import_feeds

    try:
        entries = read_feed_list(await asyncio.to_thread(Path(file).read_bytes))
    except (OSError, FeedListError) as error:
        print(f"newsbot feeds import: {file}: {error}", file=sys.stderr)
        return 1
    async with _services(settings) as svc:
        added = await import_feeds(svc, [(e.url, e.title) for e in entries])
    print(f"{file}: {len(entries)} feeds, {added} added, {len(entries) - added} already known")
    return 0


async def _export_feeds(settings: Settings) -> int:
    """The active feeds of the feeds table as OPML on stdout."""
    from feeds.opml import FeedEntry, write_opml

    feeds = await _stored_feeds(settings)
    document = write_opml(FeedEntry(f.url, f.title) for f in feeds if f.active)
    sys.stdout.buffer.write(document)
    sys.stdout.flush()
    return 0


async def _search(settings: Settings, query: str) -> int:
    """Print what /search would answer: the newest matches with their marked words."""
    from feeds.clock import utc_now
    from feeds.query import QueryError, parse_query
    from feeds.render_search import ANSI_BOLD, MARKDOWN_BOLD, highlight_of, render_terminal
    from feeds.search_request import parse_search

    try:
        request = parse_search(query, now=utc_now())
        parsed = None
        if request.query_text or not request.has_filters:
            parsed = parse_query(request.query_text)
    except QueryError as error:
        print(f"newsbot search: {error.message}", file=sys.stderr)
        return 2
    async with _services(settings) as svc, svc.read() as session:
        found = await svc.search.search(session, request, parsed, per_page=20)
    if not found.results:
        print(f"no stored article matches {query!r}")
        return 0
    bold = ANSI_BOLD if sys.stdout.isatty() else MARKDOWN_BOLD
    print(render_terminal(found.results, highlight=highlight_of(parsed), bold=bold))
    if found.more:
        print("\n(more results: narrow the query, or add since:/source:/lang:)")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsbot", description="Telegram news alerts.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot until SIGINT/SIGTERM")
    poll = commands.add_parser("poll", help="poll every feed once; no Telegram")
    poll.add_argument("--once", action="store_true", required=True, help="one poll, then exit")
    search = commands.add_parser("search", help="print the newest matching stored articles")
    search.add_argument("query", nargs="+")
    feeds = commands.add_parser(
        "feeds", help="list feeds with their health; import an OPML/URL list; export OPML"
    )
    feeds.add_argument("action", nargs="?", choices=["list", "import", "export"], default="list")
    feeds.add_argument("file", nargs="?", help="import: an OPML file or one URL per line")
    database = commands.add_parser("db", help="database tools: copy SRC_URL DST_URL")
    database.add_argument("action", choices=["copy"])
    database.add_argument("source", metavar="SRC_URL", help="e.g. sqlite:///data/newsbot.db")
    database.add_argument("target", metavar="DST_URL", help="e.g. postgresql://bot@localhost/news")
    bench = commands.add_parser("bench", help="benchmarks (see README: Performance)")
    bench.add_argument(
        "name",
        choices=[
            "match",
            "poll",
            "deliver",
            "search",
            "memory",
            "latency",
            "stories",
            "topics",
            "all",
        ],
    )
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def _bench(name: str, rest: list[str]) -> int:
    import importlib

    names = ["match", "poll", "deliver", "search"] if name == "all" else [name]
    for each in names:
        module = importlib.import_module(f"bench.{each}")
        module.main(rest)
    return 0


def _copy_database(source: str, target: str) -> int:
    """`newsbot db copy`: resumable, prints the counts per table; 1 when any falls short."""
    from sqlalchemy.exc import SQLAlchemyError

    from db.copy import copy_database
    from db.engine import DatabaseURLError

    try:
        counts = asyncio.run(copy_database(source, target))
    except DatabaseURLError as error:
        print(f"newsbot db copy: {error}", file=sys.stderr)
        return 2
    except (OSError, SQLAlchemyError) as error:
        print(f"newsbot db copy: {type(error).__name__}: {error}".splitlines()[0], file=sys.stderr)
        print("newsbot db copy: nothing is lost; run it again to resume", file=sys.stderr)
        return 1
    for each in counts:
        state = "ok" if each.complete else "MISSING ROWS"
        print(
            f"{each.table:<15}{each.copied:>10,} copied {each.source:>10,} in source "
            f"{each.target:>10,} in target  {state}"
        )
    return 0 if all(each.complete for each in counts) else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "bench":
        return _bench(args.name, args.rest)
    if args.command == "db":
        return _copy_database(args.source, args.target)
    from db.engine import DatabaseURLError
    from db.search_backend import search_backend

    try:
        settings = load_settings()
        _configure_logging(settings)
        # A database we cannot search is refused before anything starts, never a silent
        # empty /search.
        search_backend(settings.DATABASE_URL)
        if args.command == "run":
            settings.require_token()
            return cmd_run(settings, args)
        if args.command == "poll":
            return asyncio.run(_poll_once(settings))
        if args.command == "search":
            return asyncio.run(_search(settings, " ".join(args.query)))
        if args.command == "feeds" and args.action == "import":
            if not args.file:
                print("newsbot feeds import: name the OPML or URL-list file", file=sys.stderr)
                return 2
            return asyncio.run(_import_feeds(settings, args.file))
        if args.command == "feeds" and args.action == "export":
            return asyncio.run(_export_feeds(settings))
        if args.command == "feeds":
            return asyncio.run(_list_feeds(settings))
    except (SettingsError, DatabaseURLError) as error:
        print(f"newsbot: {error}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
