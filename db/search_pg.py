"""Full-text search on PostgreSQL: the same query language and pages as FTS5, over `tsvector`.

The index (migration 0002, PostgreSQL branch) is the `search_docs` table FTS5 reads too, written
by the same `db.search.index_articles`, plus a generated column `doc`: the `simple`
configuration over the already normalized words (no second stemming), weighted A for the
headline, B for the teaser and D for the filter tokens, under a GIN index.

A parsed query becomes a `to_tsquery('simple', …)` text the way `db.search.to_fts` makes an
FTS5 expression: every word is quoted and carries its weights (`:AB`, `:A` for `title:`), a
phrase is `<->`, a prefix `:*`, an exclusion `!`, and the `source:` / `lang:` filters are the
same `xf…` / `xl…` tokens as D-weighted words. Newest first is an `ORDER BY sort_at DESC` the
planner answers from the `(sort_at, id)` index for common words and from the GIN index for rare
ones. Relevance (`ts_rank`, headline weighted 4:1 as bm25 is on SQLite) ranks the newest
`RELEVANCE_POOL` matches, as on SQLite.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.search import (
    MAX_PHRASE_VARIANTS,
    PER_PAGE,
    RELEVANCE_POOL,
    Pick,
    SearchPage,
    feeds_named,
    story_page,
    token,
)
from feeds.normalize import is_unspaced
from feeds.query import And, Node, Not, Or, Query, Term
from feeds.search_request import SearchRequest

__all__ = ["newest_stories", "search", "to_tsquery"]

TEXT_WEIGHTS = "AB"
TITLE_WEIGHTS = "A"
ALL = "'xa':D"
"""Matches every indexed article: the positive side for an exclusion standing alone."""
_NO_BOUND = 1 << 62

# Each story once, by its newest matching article, over the newest `:pool` matching articles
# (the planner reads those from the (sort_at, id) index for common words, from the GIN index for
# rare ones); `pooled` says whether the pool was full, i.e. whether older matches were left out.
_NEWEST = text(
    "WITH pool AS ("
    " SELECT id, sort_at FROM search_docs"
    " WHERE doc @@ to_tsquery('simple', :match) AND sort_at >= :since"
    " ORDER BY sort_at DESC, id DESC LIMIT :pool"
    "), ranked AS ("
    " SELECT pool.id, pool.sort_at, a.story_id, count(*) OVER () AS pooled, row_number() OVER ("
    "  PARTITION BY coalesce(a.story_id, pool.id) ORDER BY pool.sort_at DESC, pool.id DESC"
    " ) AS place"
    " FROM pool JOIN articles AS a ON a.id = pool.id"
    ") "
    "SELECT id, story_id, pooled FROM ranked WHERE place = 1 ORDER BY sort_at DESC, id DESC"
)
# Each story once, by its best-ranked article among the newest `RELEVANCE_POOL` matches.
_BY_RELEVANCE = text(
    "WITH pool AS ("
    " SELECT id, sort_at, doc FROM search_docs WHERE doc @@ to_tsquery('simple', :match)"
    " ORDER BY id DESC LIMIT :pool"
    "), scored AS ("
    # ts_rank's weights for D, C, B, A (within 0..1): filters nothing, the headline 4× the teaser.
    " SELECT pool.id, pool.sort_at, a.story_id,"
    "  ts_rank('{0, 0, 0.25, 1.0}', doc, to_tsquery('simple', :match)) AS score"
    " FROM pool JOIN articles AS a ON a.id = pool.id WHERE pool.sort_at >= :since"
    "), ranked AS ("
    " SELECT id, sort_at, story_id, score, row_number() OVER ("
    "  PARTITION BY coalesce(story_id, id) ORDER BY score DESC, sort_at DESC, id DESC) AS place"
    " FROM scored"
    ") "
    "SELECT id, story_id FROM ranked WHERE place = 1 "
    "ORDER BY score DESC, sort_at DESC, id DESC LIMIT :limit OFFSET :offset"
)
_FIRST_POOL = 64
"""Matching articles read for the first try; a page of stories rarely needs more."""
_POOL_GROWTH = 4


def _lexeme(word: str, weights: str, *, prefix: bool = False) -> str:
    """One quoted tsquery operand: inside quotes nothing is syntax (quote and backslash escaped)."""
    quoted = word.replace("\\", "\\\\").replace("'", "''")
    return f"'{quoted}':{'*' if prefix else ''}{weights}"


def _any_of(alternatives: Sequence[str]) -> str:
    return alternatives[0] if len(alternatives) == 1 else "(" + " | ".join(alternatives) + ")"


def _term(term: Term) -> str:
    weights = TITLE_WEIGHTS if term.title_only else TEXT_WEIGHTS
    last = len(term.words) - 1
    if len(term.words) == 1 or any(is_unspaced(word) for word in term.words):
        # As on FTS5: one word is any of its forms; unspaced scripts' bigrams are required,
        # not adjacent.
        parts = []
        for i, word in enumerate(term.words):
            if term.prefix and i == last:
                parts.append(_lexeme(word, weights, prefix=True))
            else:
                parts.append(_any_of([_lexeme(form, weights) for form in sorted(term.forms[i])]))
        return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"
    options: list[Sequence[str]] = [
        (word,) if term.prefix and i == last else sorted(term.forms[i] | {word})
        for i, word in enumerate(term.words)
    ]
    variants = list(itertools.islice(itertools.product(*options), MAX_PHRASE_VARIANTS + 1))
    if len(variants) > MAX_PHRASE_VARIANTS:
        variants = [term.words]
    return _any_of(
        [
            "("
            + " <-> ".join(
                _lexeme(word, weights, prefix=term.prefix and i == last)
                for i, word in enumerate(variant)
            )
            + ")"
            for variant in variants
        ]
    )


def _expr(node: Node) -> str | None:
    """tsquery syntax for a node; None when nothing can match."""
    if isinstance(node, Term):
        return _term(node)
    if isinstance(node, Not):
        inner = _expr(node.child)
        return ALL if inner is None else f"({ALL} & !({inner}))"
    if isinstance(node, Or):
        parts = [part for part in map(_expr, node.children) if part is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"
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
    return "(" + " & ".join([*(included or [ALL]), *(f"!({part})" for part in excluded)]) + ")"


def to_tsquery(
    query: Query | None, *, feed_ids: Sequence[int] = (), languages: Sequence[str] = ()
) -> str | None:
    """The `to_tsquery('simple', …)` text of a parsed query plus filters; None: nothing matches.

    `query=None` matches every article (a search by filters only).
    """
    parts: list[str] = []
    if query is not None:
        expr = _expr(query.root)
        if expr is None:
            return None
        parts.append(expr)
    if feed_ids:
        parts.append(_any_of([_lexeme(f"xf{int(i)}", "D") for i in sorted(set(feed_ids))]))
    if languages:
        parts.append(_any_of([_lexeme("xl" + token(code), "D") for code in sorted(set(languages))]))
    if not parts:
        return ALL
    return parts[0] if len(parts) == 1 else " & ".join(f"({part})" for part in parts)


async def newest_stories(
    session: AsyncSession, match: str, *, since: int | None, count: int
) -> list[Pick]:
    """The `count` stories with the newest articles matching a tsquery, newest first, each
    with that newest matching article (as `db.search.newest_stories` on FTS5).

    Collapses the newest matching articles by story in SQL; when the pool of articles was
    full and gave fewer than `count` stories (one story's many outlets can fill it), asks
    again with a pool four times larger.
    """
    pool = max(_FIRST_POOL, _POOL_GROWTH * count)
    while True:
        rows = (
            await session.execute(
                _NEWEST,
                {
                    "match": match,
                    "since": -_NO_BOUND if since is None else since,
                    "pool": pool,
                },
            )
        ).all()
        if len(rows) >= count or not rows or int(rows[0][2]) < pool:
            return [(int(article_id), story_id) for article_id, story_id, _ in rows[:count]]
        pool *= _POOL_GROWTH


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
    match = to_tsquery(query, feed_ids=feed_ids, languages=request.languages)
    if match is None:
        return SearchPage((), False, page)
    since = None if request.since is None else int(request.since.timestamp())
    offset = page * per_page
    if request.sort == "relevance":
        rows = await session.execute(
            _BY_RELEVANCE,
            {
                "match": match,
                "since": -_NO_BOUND if since is None else since,
                "pool": RELEVANCE_POOL,
                "limit": per_page + 1,
                "offset": offset,
            },
        )
        picks = [(int(article_id), story_id) for article_id, story_id in rows]
    else:
        newest = await newest_stories(session, match, since=since, count=offset + per_page + 1)
        picks = newest[offset:]
    return await story_page(session, picks, page=page, per_page=per_page)
