"""/search shows a story once (issue 13, item 4), on SQLite FTS5 and on PostgreSQL alike: one
entry per story, by its newest matching article, with the count of the other outlets that
carried it; newest coverage first; pages that never split or repeat a story; filters and
exclusions applied per article."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bench.fakes import FakeBotAPI
from bot.__main__ import main
from db import feeds as feed_store
from db import search, search_pg
from db.search_backend import search_backend
from db.unit import Database
from feeds.models import Article
from feeds.query import parse_query
from feeds.render_search import highlight_of, render_results, render_terminal
from feeds.search_request import parse_search
from feeds.stories import Placement, Report
from tests import databases
from tests.integration.harness import make_settings, running
from tests.integration.seed import migrated, store_articles

NOW = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)
KRONE = ("https://www.krone.at/nachrichten/rss.xml", "Krone")
BBC = ("https://feeds.bbci.co.uk/news/world/rss.xml", "BBC News")
SPIEGEL = ("https://www.spiegel.de/schlagzeilen/index.rss", "SPIEGEL")
ORF = ("https://rss.orf.at/news.xml", "ORF")
GUARDIAN = ("https://www.theguardian.com/world/rss", "The Guardian")
FEEDS = [KRONE, BBC, SPIEGEL, ORF, GUARDIAN]


@dataclass(frozen=True)
class Item:
    """An article to store: its outlet, its event (None: a story of its own), its text."""

    feed: tuple[str, str]
    event: str | None
    title: str
    hours_ago: float
    teaser: str = ""
    language: str = "de"


class EventPlacer:
    """A story grouper that knows the answer: articles of one named event are one story."""

    def is_open(self, published: datetime) -> bool:
        return True

    def __init__(self, events: dict[str, str | None]) -> None:
        self._events = events  # canonical link -> event
        self._stories: dict[str, int] = {}

    def place(self, report: Report) -> Placement:
        event = self._events.get(report.link)
        story = None if event is None else self._stories.get(event)
        return Placement(story, 0.0 if story is None else 1.0)

    def remember(self, report: Report, story_id: int) -> None:
        event = self._events.get(report.link)
        if event is not None:
            self._stories.setdefault(event, story_id)


@asynccontextmanager
async def _with_feeds(database_url: str) -> AsyncIterator[Database]:
    """A migrated database with the test's feeds."""
    async with migrated(database_url) as database:
        async with database.write() as session:
            await feed_store.merge_feeds(session, FEEDS, now=NOW)
        yield database


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    async with _with_feeds(database_url) as database:
        yield database


async def _store(db: Database, items: Sequence[Item], *, url: str = "") -> None:
    """Store the items in their order, each feed's in one poll as it comes."""
    async with db.read() as session:
        feed_ids = {feed.url: feed.id for feed in await feed_store.all_feeds(session)}
    placer = EventPlacer({f"https://news.example/{i}": item.event for i, item in enumerate(items)})
    for index, item in enumerate(items):
        link = f"https://news.example/{index}"
        value = Article(
            guid=f"item-{index}",
            link=link,
            canonical_link=link,
            title=item.title,
            teaser=item.teaser,
            published=NOW - timedelta(hours=item.hours_ago),
            language=item.language,
        )
        async with db.write() as session:
            await store_articles(
                session,
                feed_ids[item.feed[0]],
                [value],
                now=NOW - timedelta(hours=max(item.hours_ago - 0.1, 0)),
                match=None,
                stories=placer,
            )


async def _search(db: Database, typed: str, page: int = 0, per_page: int = 20) -> search.SearchPage:
    request = parse_search(typed, now=NOW)
    query = parse_query(request.query_text) if request.query_text else None
    async with db.read() as session:
        backend = search_backend(
            "postgresql://" if session.bind.dialect.name == "postgresql" else "sqlite://"
        )
        return await backend.search(session, request, query, page=page, per_page=per_page)


async def _shown(db: Database, typed: str, **paging: int) -> list[tuple[str, str, int]]:
    """(headline, source, other outlets) of each result."""
    found = await _search(db, typed, **paging)
    return [(r.title, r.source, r.outlets) for r in found.results]


# Three outlets carry Kim's trip (Krone first, SPIEGEL last); ORF alone reports his factory
# visit, between them in time.
TRIP = [
    Item(KRONE, "trip", "Seltene Auslandsreise: Kim fährt nach China", 30),
    Item(BBC, "trip", "Kim Jong Un travels to Beijing by train", 20, language="en"),
    Item(ORF, None, "Kim besucht eine Raketenfabrik", 10),
    Item(SPIEGEL, "trip", "Kim Jong-un in Peking eingetroffen", 5),
]


async def test_a_story_of_three_outlets_is_one_entry_with_the_others_counted(
    db: Database,
) -> None:
    await _store(db, TRIP)
    assert await _shown(db, "Kim") == [
        ("Kim Jong-un in Peking eingetroffen", "SPIEGEL", 2),
        ("Kim besucht eine Raketenfabrik", "ORF", 0),
    ]
    found = await _search(db, "Kim")
    html = render_results(
        found.results, shown_query="Kim", highlight=highlight_of(parse_query("Kim")), page=0
    )
    assert "<i>SPIEGEL · " in html and " · +2 outlets</i>" in html
    assert html.count("outlet") == 1  # the single story says nothing about outlets
    terminal = render_terminal(found.results, highlight=highlight_of(parse_query("Kim")))
    assert "   SPIEGEL · " in terminal and "+2 outlets" in terminal


async def test_the_story_is_shown_by_its_newest_matching_article_and_counts_every_outlet(
    db: Database,
) -> None:
    # The Guardian's report is the story's newest, but does not name Kim.
    late = Item(GUARDIAN, "trip", "Xi hosts North Korean leader", 1, language="en")
    await _store(db, [*TRIP, late])
    assert await _shown(db, "Kim") == [
        ("Kim Jong-un in Peking eingetroffen", "SPIEGEL", 3),
        ("Kim besucht eine Raketenfabrik", "ORF", 0),
    ]
    assert await _shown(db, "Xi") == [("Xi hosts North Korean leader", "The Guardian", 3)]


async def test_the_story_with_the_newest_coverage_comes_first(db: Database) -> None:
    # A new outlet on the old trip story brings it back above the factory visit.
    await _store(db, [*TRIP[:3], Item(SPIEGEL, "trip", "Kim in Peking", 15)])
    assert [title for title, _s, _n in await _shown(db, "Kim")] == [
        "Kim besucht eine Raketenfabrik",
        "Kim in Peking",
    ]


async def test_filters_and_exclusions_choose_the_articles_and_the_story_keeps_its_outlets(
    db: Database,
) -> None:
    await _store(db, TRIP)
    assert await _shown(db, "Kim source:krone") == [
        ("Seltene Auslandsreise: Kim fährt nach China", "Krone", 2)
    ]
    assert await _shown(db, "Kim lang:en") == [
        ("Kim Jong Un travels to Beijing by train", "BBC News", 2)
    ]
    assert await _shown(db, "title:China") == [
        ("Seltene Auslandsreise: Kim fährt nach China", "Krone", 2)
    ]
    assert await _shown(db, "Kim -Peking -Beijing -Raketenfabrik") == [
        ("Seltene Auslandsreise: Kim fährt nach China", "Krone", 2)
    ]
    assert await _shown(db, "Kim since:12h") == [
        ("Kim Jong-un in Peking eingetroffen", "SPIEGEL", 2),
        ("Kim besucht eine Raketenfabrik", "ORF", 0),
    ]
    assert await _shown(db, "Kim since:8h") == [
        ("Kim Jong-un in Peking eingetroffen", "SPIEGEL", 2)
    ]


async def test_a_story_is_one_result_by_relevance_too(db: Database) -> None:
    await _store(db, TRIP)
    shown = await _shown(db, "Kim sort:relevance")
    assert len(shown) == 2
    assert {(source, outlets) for _t, source, outlets in shown} == {("ORF", 0), ("SPIEGEL", 2)}


async def test_an_article_without_a_story_is_a_story_of_its_own(db: Database) -> None:
    await _store(db, TRIP)
    async with db.write() as session:  # as stored before stories existed
        await session.execute(text("UPDATE articles SET story_id = NULL"))
    shown = await _shown(db, "Kim")
    assert [(source, outlets) for _t, source, outlets in shown] == [
        ("SPIEGEL", 0),
        ("ORF", 0),
        ("BBC News", 0),
        ("Krone", 0),
    ]


async def test_pages_never_split_or_repeat_a_story(db: Database) -> None:
    # Stories interleave in time: A (1 h, 9 h, 15 h), B, C (3 h, 4 h), D, E (6 h, 20 h), F.
    plan = [
        ("A", KRONE, 15),
        ("E", ORF, 20),
        ("A", BBC, 9),
        ("F", GUARDIAN, 7),
        ("E", KRONE, 6),
        ("D", BBC, 5),
        ("C", SPIEGEL, 4),
        ("C", ORF, 3),
        ("B", KRONE, 2),
        ("A", SPIEGEL, 1),
    ]
    await _store(
        db, [Item(feed, event, f"Wetter {event} {hours}", hours) for event, feed, hours in plan]
    )
    for per_page in (1, 2, 4, 5):
        pages = [await _search(db, "Wetter", page=p, per_page=per_page) for p in range(8)]
        shown = [r.title.split()[1] for p in pages for r in p.results]
        assert shown == ["A", "B", "C", "D", "E", "F"], per_page
        count = -(-6 // per_page)
        assert [p.more for p in pages[:count]] == [True] * (count - 1) + [False]
        assert all(not p.results for p in pages[count:])
    counted = [(r.title, r.outlets) for r in (await _search(db, "Wetter")).results]
    assert counted == [
        ("Wetter A 1", 2),
        ("Wetter B 2", 0),
        ("Wetter C 3", 1),
        ("Wetter D 5", 0),
        ("Wetter E 6", 1),
        ("Wetter F 7", 0),
    ]


async def test_a_story_with_more_matches_than_a_first_read_still_leaves_room_for_others(
    db: Database,
) -> None:
    # 120 reports of one story, stored last and newest: the five older stories must still
    # fill the first page (the first read of matches holds only the big story).
    singles = [Item(KRONE, None, f"Gipfel Nummer {i}", 200 - i) for i in range(5)]
    outlets = [KRONE, BBC, SPIEGEL, ORF, GUARDIAN]
    big = [Item(outlets[i % 5], "summit", f"Gipfel live {i}", 100 - i / 2) for i in range(120)]
    await _store(db, [*singles, *big])
    page = await _search(db, "Gipfel", per_page=5)
    assert [(r.title, r.outlets) for r in page.results] == [
        ("Gipfel live 119", 4),
        ("Gipfel Nummer 4", 0),
        ("Gipfel Nummer 3", 0),
        ("Gipfel Nummer 2", 0),
        ("Gipfel Nummer 1", 0),
    ]
    assert page.more
    second = await _search(db, "Gipfel", page=1, per_page=5)
    assert [(r.title, r.outlets) for r in second.results] == [("Gipfel Nummer 0", 0)]
    assert not second.more
    # By relevance too: six stories on two pages, each once.
    ranked = [await _search(db, "Gipfel sort:relevance", page=p, per_page=5) for p in (0, 1)]
    shown = [(r.title.split()[1], r.outlets) for p in ranked for r in p.results]
    assert sorted(shown) == [("Nummer", 0)] * 5 + [("live", 4)]
    assert [len(p.results) for p in ranked] == [5, 1] and [p.more for p in ranked] == [True, False]


@pytest.mark.parametrize("window", [search_pg.RECENT_WINDOW, 7])
async def test_random_stories_page_as_a_model_says(
    db: Database, window: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A small window makes PostgreSQL take both of its steps (the newest articles, then all
    # matches); SQLite has no window.
    monkeypatch.setattr(search_pg, "RECENT_WINDOW", window)
    rng = random.Random(13)
    items = []
    for index in range(60):
        event = rng.choice([None, None, "e1", "e2", "e3", "e4", "e5", "e6", "e7"])
        word = "Hochwasser" if rng.random() < 0.7 else "Wetter"
        items.append(Item(rng.choice(FEEDS), event, f"{word} {index}", rng.uniform(0, 90)))
    await _store(db, items)
    async with db.read() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT a.id, a.story_id, a.title, f.title, d.sort_at FROM articles a "
                    "JOIN feeds f ON f.id = a.feed_id JOIN search_docs d ON d.id = a.id"
                )
            )
        ).all()
    stories: dict[int, list[tuple[int, str, str, int]]] = {}
    for article_id, story_id, title, source, sort_at in rows:
        stories.setdefault(story_id, []).append((article_id, title, source, sort_at))
    expected = []
    for members in stories.values():
        matching = [m for m in members if m[1].startswith("Hochwasser")]
        if not matching:
            continue
        newest = max(matching, key=lambda m: (m[3], m[0]))
        others = {m[2] for m in members} - {newest[2]}
        expected.append(((newest[3], newest[0]), newest[1], len(others)))
    expected.sort(reverse=True)
    model = [(title, outlets) for _key, title, outlets in expected]
    pages = [await _search(db, "Hochwasser", page=p, per_page=4) for p in range(20)]
    assert [(r.title, r.outlets) for p in pages for r in p.results] == model


async def test_search_in_the_chat_names_the_other_outlets_and_explains_a_bad_query(
    tmp_path: Path,
) -> None:
    chat = 4343
    with FakeBotAPI() as api:
        settings = make_settings(api.base_url, tmp_path, [])
        async with _with_feeds(settings.DATABASE_URL) as database:
            await _store(database, TRIP)
        async with running(settings):
            api.push_message(chat, "/search Kim Jong-un")
            shown = (await api.wait_for_messages_async(chat, 1))[-1]
            assert "1. " in shown["text"] and "2. " not in shown["text"]
            assert "SPIEGEL · " in shown["text"] and "+2 outlets" in shown["text"]
            api.push_message(chat, '/search "Kim Jong')
            problem = (await api.wait_for_messages_async(chat, 2))[-1]
            assert problem["text"].startswith("⚠️") and "quote" in problem["text"].lower()


async def test_the_command_line_prints_each_story_once_with_its_outlets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    url = databases.new_database_url(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    async with _with_feeds(url) as database:
        await _store(database, TRIP)

    assert await asyncio.to_thread(main, ["search", "Kim"]) == 0
    out = capsys.readouterr().out
    assert "1. **Kim** Jong-un in Peking eingetroffen\n   SPIEGEL · " in out
    assert " · +2 outlets\n" in out
    assert "2. **Kim** besucht eine Raketenfabrik\n   ORF · " in out and "3." not in out

    assert await asyncio.to_thread(main, ["search", '"Kim Jong']) == 2
    assert "quote" in capsys.readouterr().err.lower()
