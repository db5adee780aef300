"""Every real feed of the corpus goes through fetch → parse → store, over HTTP, in one poll."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench.fakes import FeedServer
from bot.runtime import open_runtime
from feeds.parse import parse_feed
from tests.integration.harness import db_count, make_settings

CORPUS = Path(__file__).parents[1] / "data" / "feeds"


def _expected_rows(path: Path) -> int:
    """What the store keeps of a file: one row per entry, minus repeats of a guid or link."""
    parsed = parse_feed(path.read_bytes(), f"http://127.0.0.1/{path.name}", {})
    guids: set[str] = set()
    links: set[str] = set()
    kept = 0
    for article in parsed.articles:
        if article.guid in guids or (article.link and article.link in links):
            continue
        guids.add(article.guid)
        if article.link:
            links.add(article.link)
        kept += 1
    return kept


def test_the_whole_corpus_is_polled_and_stored(tmp_path: Path) -> None:
    files = sorted(CORPUS.glob("*.xml"))
    assert len(files) == 56
    with FeedServer() as server:
        urls = {server.serve_file(f"/{f.name}", f): f for f in files}
        settings = make_settings("http://127.0.0.1:9/bot", tmp_path, list(urls))

        async def poll() -> object:
            async with open_runtime(settings) as runtime:
                return await runtime.poller.poll(everything=True)

        summary = asyncio.run(poll())
    outcomes = {o.url: o for o in summary.outcomes}  # type: ignore[attr-defined]
    assert set(outcomes) == set(urls)
    for url, path in urls.items():
        outcome = outcomes[url]
        assert outcome.error_kind in (None, "not_a_feed"), (path.name, outcome.error)
        stored = db_count(
            settings,
            "SELECT count(*) FROM articles JOIN feeds ON feeds.id = articles.feed_id "
            "WHERE feeds.url = ?",
            url,
        )
        assert stored == _expected_rows(path), path.name
        assert outcome.alerts_queued == 0  # a first poll is backlog
    total = db_count(settings, "SELECT count(*) FROM articles")
    assert total > 1300
    # Every stored article is searchable: the index and the table agree.
    assert db_count(settings, "SELECT count(*) FROM search_docs") == total
