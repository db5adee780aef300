"""`newsbot bench memory`: the bot's resident memory with 100,000 subscriptions and an archive
of 1,000,000 articles, next to the same process with neither.

The subscriptions are generated like `bench match`'s, stored as the bot stores them (query JSON)
and loaded the way the bot loads them at start; the archive is `bench search`'s database
(built once under ./bench-data/, reused afterwards). Then the 200 queries of `bench search` run
against it, and a batch of articles is matched, as a running bot would do.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import random
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.common import current_rss_mb, peak_rss_mb, table


def _stored_subscriptions(count: int) -> list[tuple[int, int, str, str]]:
    """(id, chat, text, query JSON) rows of generated subscriptions."""
    from bench.match import generate_queries
    from feeds.query import parse_query, query_to_json

    texts = generate_queries(count, random.Random(0))
    return [
        (number, 10_000 + number % 20_000, text, query_to_json(parse_query(text)))
        for number, text in enumerate(texts)
    ]


async def _serve(database_url: str, queries: list[str]) -> None:
    from bench.search import NOW
    from db.engine import make_engine, make_sessionmaker
    from db.search_backend import search_backend
    from feeds.query import parse_query
    from feeds.search_request import parse_search

    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    index = search_backend(database_url)
    try:
        for text in queries:
            request = parse_search(text, now=NOW)
            query = parse_query(request.query_text) if request.query_text else None
            async with sessions() as session:
                await index.search(session, request, query, page=0)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="newsbot bench memory")
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument(
        "--at-rest-only", action="store_true", help="only the process group of the bot at rest"
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="search this PostgreSQL database (filled by `bench search --postgres`) instead",
    )
    args = parser.parse_args(argv)

    from bench.at_rest import report
    from bot.parsing import IDLE_EXIT

    # In a child: this process's own RSS below must not include what the bot loaded.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        print(pool.submit(report, IDLE_EXIT + 5).result())
    if args.at_rest_only:
        return

    import bot.app  # noqa: F401 - everything `newsbot run` imports
    from bench.match import generate_articles
    from bench.search import _build_in_child, _built_size, query_mix
    from bot.runtime import _build_index
    from feeds.models import Article

    gc.collect()
    base = current_rss_mb()
    path = Path("bench-data") / f"search-{args.articles}.db"
    if not args.postgres and _built_size(path) != args.articles:
        print(f"building {args.articles:,} articles in {path} (once; `bench search` reuses it)…")
        _build_in_child(path, args.articles, 2)
    # Generated and stored elsewhere, as the bot finds them in its database at start.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        rows = pool.submit(_stored_subscriptions, args.subscriptions).result()
    subscriptions = _build_index(rows)
    del rows
    gc.collect()
    with_index = current_rss_mb()
    asyncio.run(_serve(args.postgres or f"sqlite:///{path}", query_mix(args.articles)))
    hits = 0
    for title, teaser, language in generate_articles(2_000, random.Random(1)):
        article = Article("g", "l", "l", title, teaser, None, language)
        hits += len(subscriptions.match(article))
    gc.collect()
    serving = current_rss_mb()
    print(
        f"memory: {len(subscriptions):,} subscriptions, {args.articles:,} stored articles "
        f"({'PostgreSQL' if args.postgres else 'SQLite'}), "
        f"200 searches, 2,000 articles matched ({hits:,} hits)"
    )
    print(
        table(
            ("process", "RSS"),
            [
                ("baseline: the bot's code loaded, nothing else", f"{base:.0f} MB"),
                ("+ subscription index loaded", f"{with_index:.0f} MB"),
                ("+ searching the archive and matching articles", f"{serving:.0f} MB"),
                ("peak", f"{peak_rss_mb():.0f} MB"),
            ],
        )
    )


if __name__ == "__main__":
    main()
