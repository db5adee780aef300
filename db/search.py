"""Full-text search over stored articles: the FTS5 index, query translation, result pages.

The index (created by migration 0002; `db.search_pg` answers the same queries on PostgreSQL
from the same `search_docs` rows):

- `search_docs(id, sort_at, title_norm, teaser_norm, meta)`: one row per article, same id.
  `title_norm`/`teaser_norm` are `feeds.normalize.index_words` of the headline and teaser,
  space-joined: SQLite cannot call our Python normalization from a trigger, so the store path
  computes them (`index_articles`, called by `db.articles.store_batch` in the same transaction).
  `meta` holds filter tokens (`xa` on every row, `xf<feed id>`, `xl<language>`) so that
  `source:` and `lang:` are answered inside FTS5. `sort_at` is the article's "news time",
  min(published, fetched) as Unix seconds: a feed's bogus future date cannot pin an article
  to the top of every newest-first result.
- `search_fts`: an FTS5 external-content table over `search_docs`, kept in sync by triggers
  (its delete/update triggers pass the old values, as external content requires). A trigger on
  `articles` deletes the `search_docs` row, so retention pruning removes index rows too.

A result is a story (`articles.story_id`; an article without one is its own story), shown by
its newest matching article with the number of other outlets that carried it (all of the
story's articles count, matching or not: `story_page`, through the index of migration
0005_search_story), newest coverage first.

Newest first is fast on a million rows without sorting every match of a common word: article
ids grow with fetch time, so the matches are read from FTS5 in descending rowid order, a
growing batch at a time, keeping each story's newest match; reading stops as soon as the index
on `sort_at` proves that no article with a smaller id is newer than the K-th story's
(`_newer_exists`). Relevance order (bm25, headline weighted) ranks the stories of the newest
`RELEVANCE_POOL` matches, each by its best article (ROW_NUMBER() over the story).

The query text comes from `db.search_syntax` in the `FTS5` spelling; `search` (filters, paging,
the page) serves PostgreSQL too, with `db.search_pg.ENGINE`.
"""

from __future__ import annotations

import heapq
import secrets
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlalchemy import Row, Select, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Article, Feed
from db.search_syntax import Dialect, token, translate
from feeds.normalize import fold, index_words
from feeds.query import Query
from feeds.search_request import SearchRequest, SearchResult

__all__ = [
    "FTS5_ENGINE",
    "PER_PAGE",
    "Document",
    "Engine",
    "Pick",
    "SearchPage",
    "collapsed",
    "document",
    "index_articles",
    "load_query",
    "meta_tokens",
    "newest_stories",
    "results_in_order",
    "save_query",
    "search",
    "story_page",
    "story_sources",
    "to_fts",
    "token",
]

PER_PAGE = 5
TEXT_COLUMNS = "{title_norm teaser_norm}"
TITLE_COLUMN = "{title_norm}"
ALL = '{meta} : "xa"'
"""Matches every indexed article: the positive side for an exclusion standing alone."""
QUERY_KEEP_SECONDS = 180 * 86400
"""Stored search texts (for paging buttons) unused this long are forgotten."""
TOKEN_BYTES = 9
"""Random bytes of a paging token: 12 URL-safe characters, far beyond guessing."""
RELEVANCE_POOL = 5000
"""sort:relevance ranks the newest this many matches (see `_by_relevance`)."""
_FIRST_BATCH = 64
_MAX_BATCH = 8192

Document = tuple[int, int, str, str, str]
"""A `search_docs` row: (article id, sort_at, title_norm, teaser_norm, meta)."""

_INSERT_DOC = text(
    "INSERT INTO search_docs (id, sort_at, title_norm, teaser_norm, meta) "
    "VALUES (:id, :sort_at, :title_norm, :teaser_norm, :meta)"
)


# --- indexing --------------------------------------------------------------------------------


def meta_tokens(feed_id: int, language: str | None) -> str:
    """The filter tokens of an article: every row, its feed, its language."""
    tokens = ["xa", f"xf{feed_id}"]
    if language:
        tokens.append("xl" + token(language.split("-")[0]))
    return " ".join(tokens)


def document(
    article_id: int,
    feed_id: int,
    title: str,
    teaser: str,
    language: str | None,
    published: datetime,
    fetched: datetime,
) -> Document:
    """The index row of one article (normalization happens here, in Python)."""
    return (
        article_id,
        int(min(published, fetched).timestamp()),
        " ".join(index_words(title, language)),
        " ".join(index_words(teaser, language)),
        meta_tokens(feed_id, language),
    )


async def index_articles(session: AsyncSession, documents: Iterable[Document]) -> None:
    """Add articles to the full-text index, in the caller's transaction.

    The same rows on both backends: SQLite's triggers fill FTS5 from them, PostgreSQL derives
    its generated `tsvector` column.
    """
    rows = [
        {"id": d[0], "sort_at": d[1], "title_norm": d[2], "teaser_norm": d[3], "meta": d[4]}
        for d in documents
    ]
    if rows:
        await session.execute(_INSERT_DOC, rows)


# --- query translation -----------------------------------------------------------------------


def _quote(words: str) -> str:
    """An FTS5 string: inside double quotes nothing is syntax, and a quote is doubled."""
    return '"' + words.replace('"', '""') + '"'


FTS5 = Dialect(
    all=ALL,
    and_=" AND ",
    or_=" OR ",
    word=lambda word, _title, prefix: _quote(word) + (" *" if prefix else ""),
    phrase=lambda words, _title, prefix: _quote(" ".join(words)) + (" *" if prefix else ""),
    # FTS5 limits a term to columns with a filter in front of it.
    scope=lambda body, title: f"{TITLE_COLUMN if title else TEXT_COLUMNS} : {body}",
    # FTS5's NOT is binary: what the left side matches, less what the right side matches.
    exclude=lambda included, excluded: (
        "(" + " AND ".join(included) + ")" + "".join(f" NOT ({part})" for part in excluded)
    ),
    token=_quote,
    meta=lambda operands: "{meta} : " + operands,
)
"""FTS5's spelling of the query language (`db.search_syntax`)."""


def to_fts(
    query: Query | None, *, feed_ids: Sequence[int] = (), languages: Sequence[str] = ()
) -> str | None:
    """The FTS5 MATCH expression of a parsed query plus filters; None when nothing can match.

    Every word is quoted, so no reader input can be FTS5 syntax; `query=None` matches every
    article (a search by filters only).
    """
    return translate(query, FTS5, feed_ids=feed_ids, languages=languages)


# --- searching -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of results and whether more follow."""

    results: tuple[SearchResult, ...]
    more: bool
    page: int


Pick = tuple[int, int | None]
"""A story on a result page: (the id of the article that shows it, its newest matching one or,
by relevance, its best; that article's `story_id`). An article without a story (stored before
stories existed) is a story of its own."""

_BATCH_NEWEST = text(
    "SELECT d.id, d.sort_at, a.story_id FROM search_fts "
    "JOIN search_docs AS d ON d.id = search_fts.rowid JOIN articles AS a ON a.id = d.id "
    "WHERE search_fts MATCH :match AND search_fts.rowid < :before AND d.sort_at >= :since "
    "ORDER BY search_fts.rowid DESC LIMIT :limit"
)
_NEWER_EXISTS = text(
    "SELECT 1 FROM search_docs INDEXED BY ix_search_docs_sort_at "
    "WHERE sort_at > :threshold AND id < :before LIMIT 1"
)
_POOL_BOUND = text(
    "SELECT rowid FROM search_fts WHERE search_fts MATCH :match "
    "ORDER BY rowid DESC LIMIT 1 OFFSET :offset"
)
# The best `:top` matches among those after `:bound` (bm25 is only defined next to the MATCH),
# then each story once by its best of them (see `collapsed`).
_BY_RELEVANCE = text(
    "WITH top AS ("
    " SELECT d.id, d.sort_at, bm25(search_fts, 4.0, 1.0, 0.0) AS score"
    " FROM search_fts JOIN search_docs AS d ON d.id = search_fts.rowid"
    " WHERE search_fts MATCH :match AND search_fts.rowid >= :bound AND d.sort_at >= :since"
    " ORDER BY score, d.sort_at DESC, d.id DESC LIMIT :top"
    "), ranked AS ("
    " SELECT top.id, top.sort_at, top.score, a.story_id, count(*) OVER () AS pooled,"
    "  row_number() OVER ("
    "   PARTITION BY coalesce(a.story_id, top.id) ORDER BY top.score, top.sort_at DESC, top.id DESC"
    "  ) AS place"
    " FROM top JOIN articles AS a ON a.id = top.id"
    ") "
    "SELECT id, story_id, pooled FROM ranked WHERE place = 1 ORDER BY score, sort_at DESC, id DESC"
)
_FIRST_POOL = 64
"""Articles read for a first try at a page of stories; a page rarely needs more."""
_POOL_GROWTH = 4
_NO_BOUND = 1 << 62


async def _newer_exists(session: AsyncSession, threshold: int, before: int) -> bool:
    """Whether an article with an id below `before` has a news time after `threshold`."""
    found = await session.execute(_NEWER_EXISTS, {"threshold": threshold, "before": before})
    return found.first() is not None


async def newest_stories(
    session: AsyncSession, match: str, *, since: int | None, count: int
) -> list[Pick]:
    """The `count` stories with the newest articles matching an FTS5 expression, newest first,
    each with that newest matching article.

    Reads matches by descending id in growing batches, keeping each story's newest match, and
    stops when `_newer_exists` says no unread article is newer than the K-th story's: for a
    common word, one small batch; for a rare one, all of its few matches. An unread article
    no newer than that cannot bring in another story nor replace a kept story's article.
    """
    best: dict[int, tuple[int, int, int | None]] = {}  # story -> (sort_at, id, story_id)
    before = _NO_BOUND
    floor = -_NO_BOUND if since is None else since
    batch = _FIRST_BATCH
    while True:
        rows = (
            await session.execute(
                _BATCH_NEWEST, {"match": match, "before": before, "since": floor, "limit": batch}
            )
        ).all()
        for article_id, sort_at, story_id in rows:
            story = int(article_id) if story_id is None else int(story_id)
            entry = (int(sort_at), int(article_id), story_id)
            held = best.get(story)
            if held is None or entry[:2] > held[:2]:
                best[story] = entry
        if len(rows) < batch:
            break
        before = int(rows[-1][0])
        if len(best) >= count:
            kth = heapq.nlargest(count, (entry[:2] for entry in best.values()))[-1]
            if not await _newer_exists(session, kth[0], before):
                break
        elif since is not None and not await _newer_exists(session, since - 1, before):
            break
        batch = min(batch * 4, _MAX_BATCH)
    ranked = heapq.nlargest(count, best.values(), key=lambda entry: entry[:2])
    return [(article_id, story_id) for _sort_at, article_id, story_id in ranked]


async def collapsed(
    fetch: Callable[[int], Awaitable[Sequence[Row[Any]]]], count: int
) -> list[Pick]:
    """The first `count` stories of an order of articles, each by its first article there.

    `fetch(n)` collapses the first `n` articles of the order by story in SQL (ROW_NUMBER()
    over the story) and returns (article id, story id, n or fewer when the order had fewer
    articles). When `n` articles gave fewer than `count` stories (one story's many outlets can
    fill them) and more articles exist, it is asked again for four times as many.
    """
    pool = max(_FIRST_POOL, _POOL_GROWTH * count)
    while True:
        rows = await fetch(pool)
        if len(rows) >= count or not rows or int(rows[0][2]) < pool:
            return [(int(article_id), story_id) for article_id, story_id, _ in rows[:count]]
        pool *= _POOL_GROWTH


async def _by_relevance(
    session: AsyncSession, match: str, *, since: int | None, offset: int, count: int
) -> list[Pick]:
    """Best stories first (bm25, headline weighted) among the newest `RELEVANCE_POOL` matches,
    each by its best article there; from the `offset`-th story on.

    Ranking every match of a common word costs a second on a million articles; the pool keeps
    a ranked page within milliseconds, and the best of the recent news is what a reader wants.
    """
    bound = (
        await session.execute(_POOL_BOUND, {"match": match, "offset": RELEVANCE_POOL - 1})
    ).scalar_one_or_none()

    async def best(top: int) -> Sequence[Row[Any]]:
        parameters = {
            "match": match,
            "bound": 0 if bound is None else int(bound),
            "since": -_NO_BOUND if since is None else since,
            "top": top,
        }
        return (await session.execute(_BY_RELEVANCE, parameters)).all()

    return (await collapsed(best, offset + count))[offset:]


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").casefold()
    except ValueError:
        return ""


async def feeds_named(session: AsyncSession, needles: Sequence[str]) -> list[int]:
    """Feeds whose title or host contains one of the needles (case- and accent-insensitive)."""
    folded = [fold(needle) or needle.casefold() for needle in needles]
    raw = [needle.casefold() for needle in needles]
    found: list[int] = []
    for feed_id, title, url in await session.execute(select(Feed.id, Feed.title, Feed.url)):
        host = _host(url)
        name = fold(title or "")
        if any(n in name for n in folded) or any(n in host for n in raw):
            found.append(int(feed_id))
    return found


def source_name() -> Any:
    """A feed's name as results show it: its title, else its URL."""
    return func.coalesce(Feed.title, Feed.url)


def result_query() -> Select[tuple[int, str, str, str, str, datetime, str | None]]:
    """The columns of a `SearchResult`, articles joined with their feed's name."""
    return select(
        Article.id,
        Article.title,
        Article.teaser,
        Article.link,
        source_name(),
        Article.published_at,
        Article.language,
    ).join(Feed, Feed.id == Article.feed_id)


async def results_in_order(session: AsyncSession, ids: Sequence[int]) -> list[SearchResult]:
    """The articles with these ids, in the given order."""
    if not ids:
        return []
    rows = await session.execute(result_query().where(Article.id.in_(list(ids))))
    found = {row[0]: SearchResult(*row) for row in rows}
    return [found[i] for i in ids if i in found]


async def story_sources(session: AsyncSession, stories: Iterable[int]) -> dict[int, set[str]]:
    """The distinct sources (feed names) of every article of these stories, matching or not."""
    wanted = sorted(set(stories))
    if not wanted:
        return {}
    rows = await session.execute(
        select(Article.story_id, source_name())
        .join(Feed, Feed.id == Article.feed_id)
        .where(Article.story_id.in_(wanted))
        .group_by(Article.story_id, source_name())
    )
    sources: dict[int, set[str]] = {}
    for story_id, source in rows:
        sources.setdefault(int(story_id), set()).add(str(source))
    return sources


async def story_page(
    session: AsyncSession, picks: Sequence[Pick], *, page: int, per_page: int
) -> SearchPage:
    """A result page from the stories from this page's first on (one more than fits says
    another page follows): each story's article with the count of the story's other outlets.

    Both backends assemble their pages here, so a page looks the same on either.
    """
    shown = list(picks[:per_page])
    results = await results_in_order(session, [article_id for article_id, _story in shown])
    stories = dict(shown)
    sources = await story_sources(session, (s for s in stories.values() if s is not None))
    counted = []
    for result in results:
        story = stories[result.id]
        others = sources.get(story, set()) - {result.source} if story is not None else set()
        counted.append(replace(result, outlets=len(others)))
    return SearchPage(tuple(counted), len(picks) > per_page, page)


class Translate(Protocol):
    def __call__(
        self, query: Query | None, *, feed_ids: Sequence[int], languages: Sequence[str]
    ) -> str | None: ...


class Newest(Protocol):
    async def __call__(
        self, session: AsyncSession, match: str, *, since: int | None, count: int
    ) -> list[Pick]: ...


class Ranked(Protocol):
    async def __call__(
        self, session: AsyncSession, match: str, *, since: int | None, offset: int, count: int
    ) -> list[Pick]: ...


@dataclass(frozen=True, slots=True)
class Engine:
    """The query side of one database: its query text and its two orders of stories. The
    filters, the paging and the page itself are `search`'s, the same for every database."""

    dialect: str
    """The SQLAlchemy dialect it needs (a wrong one is our bug, caught before the SQL)."""
    translate: Translate
    newest: Newest
    ranked: Ranked


FTS5_ENGINE = Engine("sqlite", to_fts, newest_stories, _by_relevance)


async def search(
    session: AsyncSession,
    request: SearchRequest,
    query: Query | None,
    *,
    page: int = 0,
    per_page: int = PER_PAGE,
    engine: Engine = FTS5_ENGINE,
) -> SearchPage:
    """A page of the stories whose articles match a parsed query and the request's filters:
    each story once, by its newest matching article (or its best, by relevance)."""
    if session.bind.dialect.name != engine.dialect:
        # search_backend() picks the engine of the database; reaching here is our bug.
        raise NotImplementedError(f"this search needs {engine.dialect}")
    page = max(page, 0)
    feed_ids: list[int] = []
    if request.sources:
        feed_ids = await feeds_named(session, request.sources)
        if not feed_ids:
            return SearchPage((), False, page)
    match = engine.translate(query, feed_ids=feed_ids, languages=request.languages)
    if match is None:
        return SearchPage((), False, page)
    since = None if request.since is None else int(request.since.timestamp())
    offset = page * per_page
    if request.sort == "relevance":
        picks = await engine.ranked(session, match, since=since, offset=offset, count=per_page + 1)
    else:
        newest = await engine.newest(session, match, since=since, count=offset + per_page + 1)
        picks = newest[offset:]
    return await story_page(session, picks, page=page, per_page=per_page)


# --- stored search texts (paging buttons) ----------------------------------------------------


async def save_query(session: AsyncSession, chat_id: int, query_text: str, *, now: datetime) -> str:
    """The token under which a chat's search text is kept for its paging buttons.

    Telegram's callback data holds 64 bytes; a query may be 200 characters, so the buttons
    carry this token and survive restarts. The token is random (not guessable) and belongs to
    the chat that searched: another chat cannot page through it with a forged button. The same
    text searched again in the same chat keeps its token. Texts unused for half a year are
    forgotten here.
    """
    stamp = int(now.timestamp())
    await session.execute(
        text("DELETE FROM search_queries WHERE used_at < :old"),
        {"old": stamp - QUERY_KEEP_SECONDS},
    )
    row = await session.execute(
        text(
            "INSERT INTO search_queries (token, chat_id, text, created_at, used_at) "
            "VALUES (:token, :chat, :text, :now, :now) "
            "ON CONFLICT (chat_id, text) DO UPDATE SET used_at = excluded.used_at "
            "RETURNING token"
        ),
        {
            "token": secrets.token_urlsafe(TOKEN_BYTES),
            "chat": chat_id,
            "text": query_text,
            "now": stamp,
        },
    )
    return str(row.scalar_one())


async def load_query(session: AsyncSession, chat_id: int, token: str) -> str | None:
    """A chat's stored search text, or None when it was forgotten or is another chat's."""
    row = await session.execute(
        text("SELECT text FROM search_queries WHERE token = :token AND chat_id = :chat"),
        {"token": token, "chat": chat_id},
    )
    value: Any = row.scalar_one_or_none()
    return None if value is None else str(value)
