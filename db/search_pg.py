"""Full-text search on PostgreSQL: the same query language and pages as FTS5, over `tsvector`.

The index (migration 0002, PostgreSQL branch) is the `search_docs` table FTS5 reads too, written
by the same `db.search.index_articles`, plus a generated column `doc`: the `simple`
configuration over the already normalized words (no second stemming), weighted A for the
headline, B for the teaser and D for the filter tokens, under a GIN index.

A parsed query becomes a `to_tsquery('simple', …)` text by the same walk that makes FTS5's
(`db.search_syntax`, in the `TSQUERY` spelling): every word is quoted and carries its weights
(`:AB`, `:A` for `title:`), a phrase is `<->`, a prefix `:*`, an exclusion `!`, and the
`source:` / `lang:` filters are the same `xf…` / `xl…` tokens as D-weighted words.

Results are stories, as on SQLite: newest first takes the newest matching articles (an
`ORDER BY sort_at DESC` the planner answers from the `(sort_at, id)` index for common words and
from the GIN index for rare ones) and keeps each story's newest with ROW_NUMBER() over the
story; relevance (`ts_rank`, headline weighted 4:1 as bm25 is on SQLite) keeps each story's
best among the newest `RELEVANCE_POOL` matches. `db.search.search` does the rest (filters,
paging, the page with its outlet counts) for both databases.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.search import RELEVANCE_POOL, Engine, Pick, collapsed
from db.search_syntax import Dialect, translate
from feeds.query import Query

__all__ = ["ENGINE", "TSQUERY", "newest_stories", "to_tsquery"]

TEXT_WEIGHTS = "AB"
TITLE_WEIGHTS = "A"
ALL = "'xa':D"
"""Matches every indexed article: the positive side for an exclusion standing alone."""
_NO_BOUND = 1 << 62

# Newest first, in two steps, because the planner cannot tell a rare word from a common one: it
# estimates about a thousand matches for nearly any tsquery (a phrase of common words: a thousand
# estimated, a hundred thousand true; a made-up name: a thousand estimated, twelve true). Left to
# choose, it walks the (sort_at, id) index for a small LIMIT, which reads the whole table for a
# rare word (0.7 s on a million articles), and sorts every match for a larger one, 0.7 s for a
# common phrase. So: first the newest `:window` articles of all, read from that index and then
# matched (a few ms, whatever the words); their newest matches are the newest there are. Only
# when they hold too few stories, the matches from the GIN index, sorted (`sort_at + 0` keeps
# the planner off the walk): a word that is rare of late has few matches. Each step takes the
# first `:top` matches and keeps each story's newest (see `db.search.collapsed`).
_EACH_STORY_NEWEST = (
    "), ranked AS ("
    " SELECT top.id, top.sort_at, a.story_id, count(*) OVER () AS pooled, row_number() OVER ("
    "  PARTITION BY coalesce(a.story_id, top.id) ORDER BY top.sort_at DESC, top.id DESC"
    " ) AS place"
    " FROM top JOIN articles AS a ON a.id = top.id"
    ") "
    "SELECT id, story_id, pooled FROM ranked WHERE place = 1 ORDER BY sort_at DESC, id DESC"
)
"""The end of both newest-first queries: each story once, by its newest match in `top`."""
_NEWEST_RECENT = text(
    "WITH recent AS ("  # noqa: S608 - constant strings only
    " SELECT id, sort_at, doc FROM search_docs ORDER BY sort_at DESC, id DESC LIMIT :window"
    "), top AS ("
    " SELECT id, sort_at FROM recent"
    " WHERE doc @@ to_tsquery('simple', :match) AND sort_at >= :since"
    " ORDER BY sort_at DESC, id DESC LIMIT :top" + _EACH_STORY_NEWEST
)
_NEWEST_ALL = text(
    "WITH top AS ("  # noqa: S608 - constant strings only
    " SELECT id, sort_at FROM search_docs"
    " WHERE doc @@ to_tsquery('simple', :match) AND sort_at >= :since"
    " ORDER BY sort_at + 0 DESC, id DESC LIMIT :top" + _EACH_STORY_NEWEST
)
RECENT_WINDOW = 4000
"""Newest articles searched first (about a day and a half at a million a year)."""
# The best `:top` of the newest `:pool` matches, then each story once by its best of them.
_BY_RELEVANCE = text(
    "WITH pool AS ("
    " SELECT id, sort_at, doc FROM search_docs WHERE doc @@ to_tsquery('simple', :match)"
    " ORDER BY id DESC LIMIT :pool"
    "), top AS ("
    # ts_rank's weights for D, C, B, A (within 0..1): filters nothing, the headline 4× the teaser.
    " SELECT id, sort_at, ts_rank('{0, 0, 0.25, 1.0}', doc, to_tsquery('simple', :match)) AS score"
    " FROM pool WHERE sort_at >= :since ORDER BY score DESC, sort_at DESC, id DESC LIMIT :top"
    "), ranked AS ("
    " SELECT top.id, top.sort_at, top.score, a.story_id, count(*) OVER () AS pooled,"
    "  row_number() OVER ("
    "   PARTITION BY coalesce(a.story_id, top.id)"
    "   ORDER BY top.score DESC, top.sort_at DESC, top.id DESC"
    "  ) AS place"
    " FROM top JOIN articles AS a ON a.id = top.id"
    ") "
    "SELECT id, story_id, pooled FROM ranked WHERE place = 1 "
    "ORDER BY score DESC, sort_at DESC, id DESC"
)


def _lexeme(word: str, weights: str, *, prefix: bool = False) -> str:
    """One quoted tsquery operand: inside quotes nothing is syntax (quote and backslash escaped)."""
    quoted = word.replace("\\", "\\\\").replace("'", "''")
    return f"'{quoted}':{'*' if prefix else ''}{weights}"


def _weights(title: bool) -> str:
    return TITLE_WEIGHTS if title else TEXT_WEIGHTS


TSQUERY = Dialect(
    all=ALL,
    and_=" & ",
    or_=" | ",
    # A tsquery limits an operand to columns by its weights: A headline, B teaser.
    word=lambda word, title, prefix: _lexeme(word, _weights(title), prefix=prefix),
    phrase=lambda words, title, prefix: (
        "("
        + " <-> ".join(
            _lexeme(word, _weights(title), prefix=prefix and i == len(words) - 1)
            for i, word in enumerate(words)
        )
        + ")"
    ),
    scope=lambda body, _title: body,
    exclude=lambda included, excluded: (
        "(" + " & ".join([*included, *(f"!({part})" for part in excluded)]) + ")"
    ),
    token=lambda token: _lexeme(token, "D"),  # D: the filter tokens' weight
    meta=lambda operands: operands,
)
"""PostgreSQL's `to_tsquery('simple', …)` spelling of the query language (`db.search_syntax`)."""


def to_tsquery(
    query: Query | None, *, feed_ids: Sequence[int] = (), languages: Sequence[str] = ()
) -> str | None:
    """The `to_tsquery('simple', …)` text of a parsed query plus filters; None: nothing matches.

    `query=None` matches every article (a search by filters only).
    """
    return translate(query, TSQUERY, feed_ids=feed_ids, languages=languages)


async def newest_stories(
    session: AsyncSession, match: str, *, since: int | None, count: int
) -> list[Pick]:
    """The `count` stories with the newest articles matching a tsquery, newest first, each
    by that newest matching article (as `db.search.newest_stories` on FTS5): among the
    newest `RECENT_WINDOW` articles first, else among all matches (see `_NEWEST_RECENT`)."""
    floor = -_NO_BOUND if since is None else since

    async def recent(top: int) -> Sequence[Row[Any]]:
        parameters = {"match": match, "since": floor, "window": RECENT_WINDOW, "top": top}
        return (await session.execute(_NEWEST_RECENT, parameters)).all()

    async def every(top: int) -> Sequence[Row[Any]]:
        parameters = {"match": match, "since": floor, "top": top}
        return (await session.execute(_NEWEST_ALL, parameters)).all()

    found = await collapsed(recent, count)
    return found if len(found) >= count else await collapsed(every, count)


async def _by_relevance(
    session: AsyncSession, match: str, *, since: int | None, offset: int, count: int
) -> list[Pick]:
    """Best stories first (`ts_rank`, headline weighted) among the newest `RELEVANCE_POOL`
    matches, each by its best article there, as on FTS5; from the `offset`-th story on."""

    async def best(top: int) -> Sequence[Row[Any]]:
        parameters = {
            "match": match,
            "since": -_NO_BOUND if since is None else since,
            "pool": RELEVANCE_POOL,
            "top": top,
        }
        return (await session.execute(_BY_RELEVANCE, parameters)).all()

    return (await collapsed(best, offset + count))[offset:]


ENGINE = Engine("postgresql", to_tsquery, newest_stories, _by_relevance)
"""PostgreSQL's query side for `db.search.search`."""
