"""What a reader asks `/search` for: the filters split off the query text, and result values.

`/search kim jong un since:7d source:krone lang:de sort:relevance` becomes a `SearchRequest`
whose `query_text` (`kim jong un`) goes to `feeds.query.parse_query`, the filters to the
database. Filters are recognized only as whole words outside quoted phrases, so
`"since:7d"` in quotes is searched as text. German spellings work too (`seit:`, `quelle:`,
`sprache:`, `sortierung:`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from feeds.query import QueryError

__all__ = [
    "MAX_FILTER_VALUES",
    "SearchRequest",
    "SearchResult",
    "Sort",
    "parse_search",
]

Translate = Callable[[str], str]
Sort = Literal["newest", "relevance"]

MAX_FILTER_VALUES = 5
"""At most this many `source:` or `lang:` values (each one widens the search)."""

_KEYS = {
    "since": "since",
    "seit": "since",
    "source": "source",
    "quelle": "source",
    "lang": "lang",
    "language": "lang",
    "sprache": "lang",
    "sort": "sort",
    "sortierung": "sort",
}
_SORTS: dict[str, Sort] = {
    "relevance": "relevance",
    "relevant": "relevance",
    "rank": "relevance",
    "best": "relevance",
    "relevanz": "relevance",
    "newest": "newest",
    "new": "newest",
    "date": "newest",
    "neueste": "newest",
    "datum": "newest",
}
_QUOTES = '"“”„‟«»＂〝〞'
# A filter is a whole word `key:value` (value quoted or up to the next space) ...
_FILTER = re.compile(
    r"(?<!\S)(?P<key>[A-Za-z]+):(?:["
    + _QUOTES
    + r"](?P<quoted>[^"
    + _QUOTES
    + r"]*)["
    + _QUOTES
    + r"]|(?P<plain>[^\s"
    + _QUOTES
    + r"]+))(?!\S)"
)
# ... unless it sits inside a quoted phrase.
_PHRASE = re.compile(r"[" + _QUOTES + r"][^" + _QUOTES + r"]*[" + _QUOTES + r"]")
_SPAN = re.compile(r"^(?P<count>\d{1,4})\s*(?P<unit>h|d|t|w|m|y|j)$", re.IGNORECASE)
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_UNIT_DAYS = {"d": 1.0, "t": 1.0, "w": 7.0, "m": 30.0, "y": 365.0, "j": 365.0}
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A `/search` as typed: the query for the parser and the filters for the database."""

    text: str
    """Everything the reader typed, filters included (stored for the paging buttons)."""
    query_text: str
    """The query language part, without the filters; empty when only filters were given."""
    since: datetime | None = None
    """Only articles published at or after this moment (aware UTC)."""
    sources: tuple[str, ...] = ()
    """Only articles from a feed whose title or host contains one of these (folded)."""
    languages: tuple[str, ...] = ()
    """Only articles in one of these languages (two- or three-letter codes)."""
    sort: Sort = "newest"

    @property
    def has_filters(self) -> bool:
        return self.since is not None or bool(self.sources) or bool(self.languages)


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One stored article found by a search, as the result page shows it: on /search, the
    newest matching article of its story."""

    id: int
    title: str
    teaser: str
    link: str
    source: str
    published: datetime
    language: str | None
    outlets: int = 0
    """Other outlets (distinct sources) that carried this article's story; 0 for a story of
    one outlet, and where results are not grouped by story."""


def _inside_phrase(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _PHRASE.finditer(text)]


def _since(value: str, now: datetime, _: Translate) -> datetime:
    span = _SPAN.match(value)
    if span is not None:
        count = int(span["count"])
        unit = span["unit"].lower()
        delta = timedelta(hours=count) if unit == "h" else timedelta(days=count * _UNIT_DAYS[unit])
        # since:9999y reaches back before year 1: it means "everything", not an error.
        return now - delta if delta < now - _EARLIEST else _EARLIEST
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise QueryError(
            _(
                "since:{value} is not a time I understand. Write since:7d (days), since:24h "
                "(hours), since:2w (weeks) or a date like since:2025-09-01."
            ).format(value=value)
        ) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _values(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def parse_search(text: str, *, now: datetime, _: Translate = _identity) -> SearchRequest:
    """Split the filters off what the reader typed; raise `QueryError` for a bad filter value.

    The query part is not parsed here: the caller hands `query_text` to `parse_query` (or
    searches everything when it is empty and a filter was given).
    """
    stripped = text.strip()
    phrases = _inside_phrase(stripped)
    since: datetime | None = None
    sources: list[str] = []
    languages: list[str] = []
    sort: Sort = "newest"
    kept: list[str] = []
    position = 0
    for match in _FILTER.finditer(stripped):
        key = _KEYS.get(match["key"].lower())
        if key is None or any(start <= match.start() < end for start, end in phrases):
            continue
        value = (match["quoted"] if match["quoted"] is not None else match["plain"]).strip()
        kept.append(stripped[position : match.start()])
        position = match.end()
        if key == "since":
            since = _since(value, now, _)
        elif key == "source":
            sources.extend(v.casefold() for v in _values(value))
        elif key == "lang":
            for code in _values(value):
                if not _LANGUAGE.match(code.lower()):
                    raise QueryError(
                        _("lang:{value} is not a language code. Write lang:de or lang:en.").format(
                            value=code
                        )
                    )
                languages.append(code.lower())
        else:
            chosen = _SORTS.get(value.lower())
            if chosen is None:
                raise QueryError(
                    _(
                        "sort:{value} is not an order I know. Write sort:relevance for the best "
                        "matches first (newest first is the default)."
                    ).format(value=value)
                )
            sort = chosen
    kept.append(stripped[position:])
    if len(sources) > MAX_FILTER_VALUES or len(languages) > MAX_FILTER_VALUES:
        raise QueryError(
            _("Too many source: or lang: values: use at most {limit} of each.").format(
                limit=MAX_FILTER_VALUES
            )
        )
    query_text = " ".join(" ".join(kept).split())
    return SearchRequest(
        text=stripped,
        query_text=query_text,
        since=since,
        sources=tuple(dict.fromkeys(sources)),
        languages=tuple(dict.fromkeys(languages)),
        sort=sort,
    )
