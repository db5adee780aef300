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
    SearchPage,
    feeds_named,
    results_in_order,
    token,
)
from feeds.normalize import is_unspaced
from feeds.query import And, Node, Not, Or, Query, Term
from feeds.search_request import SearchRequest

__all__ = ["search", "to_tsquery"]

TEXT_WEIGHTS = "AB"
TITLE_WEIGHTS = "A"
ALL = "'xa':D"
"""Matches every indexed article: the positive side for an exclusion standing alone."""
_NO_BOUND = 1 << 62

_NEWEST = text(
    "SELECT id FROM search_docs "
    "WHERE doc @@ to_tsquery('simple', :match) AND sort_at >= :since "
    "ORDER BY sort_at DESC, id DESC LIMIT :limit OFFSET :offset"
)
_BY_RELEVANCE = text(
    "WITH pool AS ("
    " SELECT id, sort_at, doc FROM search_docs WHERE doc @@ to_tsquery('simple', :match)"
    " ORDER BY id DESC LIMIT :pool"
    ") "
    "SELECT id FROM pool WHERE sort_at >= :since "
    # ts_rank's weights for D, C, B, A (within 0..1): filters nothing, the headline 4× the teaser.
    "ORDER BY ts_rank('{0, 0, 0.25, 1.0}', doc, to_tsquery('simple', :match)) DESC, "
    "sort_at DESC, id DESC LIMIT :limit OFFSET :offset"
)


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


async def search(
    session: AsyncSession,
    request: SearchRequest,
    query: Query | None,
    *,
    page: int = 0,
    per_page: int = PER_PAGE,
) -> SearchPage:
    """A page of the articles matching a parsed query and the request's filters."""
    page = max(page, 0)
    feed_ids: list[int] = []
    if request.sources:
        feed_ids = await feeds_named(session, request.sources)
        if not feed_ids:
            return SearchPage((), False, page)
    match = to_tsquery(query, feed_ids=feed_ids, languages=request.languages)
    if match is None:
        return SearchPage((), False, page)
    parameters = {
        "match": match,
        "since": -_NO_BOUND if request.since is None else int(request.since.timestamp()),
        "limit": per_page + 1,
        "offset": page * per_page,
    }
    if request.sort == "relevance":
        rows = await session.execute(_BY_RELEVANCE, {**parameters, "pool": RELEVANCE_POOL})
    else:
        rows = await session.execute(_NEWEST, parameters)
    ids = [int(row[0]) for row in rows]
    results = await results_in_order(session, ids[:per_page])
    return SearchPage(tuple(results), len(ids) > per_page, page)
