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

Newest first is fast on a million rows without sorting every match of a common word: article
ids grow with fetch time, so the matches are read from FTS5 in descending rowid order, a
growing batch at a time, keeping the best K by `sort_at`; reading stops as soon as the index on
`sort_at` proves that no article with a smaller id is newer than the K-th best
(`_newer_exists`). Relevance order (bm25, headline weighted) ranks the newest
`RELEVANCE_POOL` matches.
"""

from __future__ import annotations

import heapq
import itertools
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Select, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Article, Feed
from feeds.normalize import MARKERS, fold, index_words, is_unspaced
from feeds.query import And, Node, Not, Or, Query, Term
from feeds.search_request import SearchRequest, SearchResult

__all__ = [
    "PER_PAGE",
    "Document",
    "Pick",
    "SearchPage",
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
MAX_PHRASE_VARIANTS = 16
"""A phrase is searched under each combination of its words' forms, up to this many."""
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


def token(value: str) -> str:
    """A value made into one FTS5 token (unicode61 splits at anything but letters and digits)."""
    return "".join(char for char in value.casefold() if char.isascii() and char.isalnum())


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


def _is_sqlite(session: AsyncSession) -> bool:
    return session.bind.dialect.name == "sqlite"


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


def _any_of(alternatives: Sequence[str]) -> str:
    return alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")"


def _indexed(forms: Iterable[str], word: str) -> list[str]:
    """The forms the index can hold: marked keys (compound parts, word ends, transliterations)
    exist for the matcher only."""
    return sorted(form for form in forms if form[:1] not in MARKERS) or [word]


def _term(term: Term) -> str:
    columns = TITLE_COLUMN if term.title_only else TEXT_COLUMNS
    last = len(term.words) - 1
    if len(term.words) == 1 or any(is_unspaced(word) for word in term.words):
        # One word: any of its forms. Unspaced scripts are indexed as character bigrams whose
        # positions are not consecutive keys, so their words are required, not adjacent.
        parts = []
        for i, word in enumerate(term.words):
            if term.prefix and i == last:
                parts.append(_quote(word) + " *")
            else:
                parts.append(_any_of([_quote(form) for form in _indexed(term.forms[i], word)]))
        body = parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"
        return f"{columns} : {body}"
    options: list[Sequence[str]] = [
        (word,) if term.prefix and i == last else _indexed(term.forms[i] | {word}, word)
        for i, word in enumerate(term.words)
    ]
    variants = list(itertools.islice(itertools.product(*options), MAX_PHRASE_VARIANTS + 1))
    if len(variants) > MAX_PHRASE_VARIANTS:
        variants = [term.words]
    star = " *" if term.prefix else ""
    return f"{columns} : " + _any_of([_quote(" ".join(v)) + star for v in variants])


def _expr(node: Node) -> str | None:
    """FTS5 syntax for a node; None when nothing can match."""
    if isinstance(node, Term):
        return _term(node)
    if isinstance(node, Not):
        inner = _expr(node.child)
        # FTS5's NOT needs a positive left side: alone, it excludes from every article.
        return ALL if inner is None else f"({ALL} NOT ({inner}))"
    if isinstance(node, Or):
        parts = [part for part in map(_expr, node.children) if part is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"
    return _and(node)


def _and(node: And) -> str | None:
    included: list[str] = []
    excluded: list[str] = []
    for child in node.children:
        if isinstance(child, Not):
            inner = _expr(child.child)
            if inner is not None:
                excluded.append(inner)
            continue
        part = _expr(child)
        if part is None:
            return None
        included.append(part)
    positive = "(" + " AND ".join(included or [ALL]) + ")"
    return positive + "".join(f" NOT ({part})" for part in excluded)


def to_fts(
    query: Query | None, *, feed_ids: Sequence[int] = (), languages: Sequence[str] = ()
) -> str | None:
    """The FTS5 MATCH expression of a parsed query plus filters; None when nothing can match.

    Every word is quoted, so no reader input can be FTS5 syntax; `query=None` matches every
    article (a search by filters only).
    """
    parts: list[str] = []
    if query is not None:
        expr = _expr(query.root)
        if expr is None:
            return None
        parts.append(expr)
    if feed_ids:
        parts.append("{meta} : " + _any_of([_quote(f"xf{int(i)}") for i in sorted(set(feed_ids))]))
    if languages:
        parts.append(
            "{meta} : " + _any_of([_quote("xl" + token(code)) for code in sorted(set(languages))])
        )
    if not parts:
        return ALL
    return parts[0] if len(parts) == 1 else " AND ".join(f"({part})" for part in parts)


# --- searching -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of results and whether more follow."""

    results: tuple[SearchResult, ...]
    more: bool
    page: int


Pick = tuple[int, int | None]
"""A story on a result page: (its newest matching article's id, the article's `story_id`).
An article without a story (stored before stories existed) is a story of its own."""

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
# Each story once: its best-ranked matching article (bm25, then newest), the stories in that
# order. bm25() is only defined next to the MATCH, so it is computed in the first step.
_BY_RELEVANCE = text(
    "WITH matched AS ("
    " SELECT d.id, d.sort_at, a.story_id, bm25(search_fts, 4.0, 1.0, 0.0) AS score"
    " FROM search_fts JOIN search_docs AS d ON d.id = search_fts.rowid"
    " JOIN articles AS a ON a.id = d.id"
    " WHERE search_fts MATCH :match AND search_fts.rowid >= :bound AND d.sort_at >= :since"
    "), ranked AS ("
    " SELECT id, sort_at, story_id, score, row_number() OVER ("
    "  PARTITION BY coalesce(story_id, id) ORDER BY score, sort_at DESC, id DESC) AS place"
    " FROM matched"
    ") "
    "SELECT id, story_id FROM ranked WHERE place = 1 "
    "ORDER BY score, sort_at DESC, id DESC LIMIT :limit OFFSET :offset"
)
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


async def _by_relevance(
    session: AsyncSession, match: str, *, since: int | None, offset: int, count: int
) -> list[Pick]:
    """Best stories first (bm25, headline weighted) among the newest `RELEVANCE_POOL` matches.

    Ranking every match of a common word costs a second on a million articles; the pool keeps
    a ranked page within milliseconds, and the best of the recent news is what a reader wants.
    """
    bound = (
        await session.execute(_POOL_BOUND, {"match": match, "offset": RELEVANCE_POOL - 1})
    ).scalar_one_or_none()
    rows = await session.execute(
        _BY_RELEVANCE,
        {
            "match": match,
            "bound": 0 if bound is None else int(bound),
            "since": -_NO_BOUND if since is None else since,
            "limit": count,
            "offset": offset,
        },
    )
    return [(int(article_id), story_id) for article_id, story_id in rows]


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


async def search(
    session: AsyncSession,
    request: SearchRequest,
    query: Query | None,
    *,
    page: int = 0,
    per_page: int = PER_PAGE,
) -> SearchPage:
    """A page of the stories whose articles match a parsed query and the request's filters:
    each story once, by its newest matching article (or its best, by relevance)."""
    page = max(page, 0)
    feed_ids: list[int] = []
    if request.sources:
        feed_ids = await feeds_named(session, request.sources)
        if not feed_ids:
            return SearchPage((), False, page)
    if not _is_sqlite(session):
        # search_backend() gives PostgreSQL db.search_pg; reaching here is our bug.
        raise NotImplementedError("FTS5 search needs SQLite")
    match = to_fts(query, feed_ids=feed_ids, languages=request.languages)
    if match is None:
        return SearchPage((), False, page)
    since = None if request.since is None else int(request.since.timestamp())
    offset = page * per_page
    if request.sort == "relevance":
        picks = await _by_relevance(session, match, since=since, offset=offset, count=per_page + 1)
    else:
        newest = await newest_stories(session, match, since=since, count=offset + per_page + 1)
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
