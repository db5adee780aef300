"""Scoped subscriptions: `source:NAME` and `lang:xx` inside a subscription's text.

`/subscribe Nordkorea source:krone lang:de` alerts only on articles from a feed named (or
hosted) like "krone" and written in German. The filters are the `/search` filters, read by
`feeds.search_request.parse_search` itself (same keys, German spellings, quoting, commas and
limits), so a scope means in an alert what it means in a search:

- a source matches a feed whose title contains it (case-, accent- and punctuation-insensitive)
  or whose host contains it (as `db.search.feeds_named`);
- a language matches the article's detected language; an article of unknown language is
  outside a language scope (as `/search lang:de` leaves it out).

`since:` and `sort:` mean nothing for alerts and are refused with a reply that says so.
A scope is stored as JSON next to the query text (`to_json` / `from_json`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from feeds.normalize import fold
from feeds.query import QueryError
from feeds.search_request import parse_search

__all__ = ["Scope", "describe_scope", "split_scope"]

Translate = Callable[[str], str]
NameLanguage = Callable[[str], str]

# Any moment will do: `since:` is refused, so the clock never shows in the result.
_ANY_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class Scope:
    """Which feeds and article languages a subscription alerts on; empty: all of them."""

    sources: tuple[str, ...] = ()
    """Source names as typed, case-folded (`krone`, `spiegel.de`); any one may match."""
    languages: tuple[str, ...] = ()
    """Language codes, lower case (`de`, `en`); any one may match."""

    def __bool__(self) -> bool:
        return bool(self.sources or self.languages)

    def allows(self, source_name: str, feed_url: str, language: str | None) -> bool:
        """Whether an article from the feed `source_name` at `feed_url`, in `language`
        (None: unknown), is inside this scope."""
        if self.languages and language not in self.languages:
            return False
        if not self.sources:
            return True
        name = fold(source_name)
        host = _host(feed_url)
        return any((fold(needle) or needle) in name or needle in host for needle in self.sources)

    def to_json(self) -> str | None:
        """The stored form; None for the empty scope (nothing to store)."""
        if not self:
            return None
        data: dict[str, list[str]] = {}
        if self.sources:
            data["sources"] = list(self.sources)
        if self.languages:
            data["languages"] = list(self.languages)
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, stored: str | None) -> Scope:
        """The scope stored by `to_json`; None, "" or anything unreadable is the empty scope
        (a subscription never stops alerting because its stored scope was damaged)."""
        if not stored:
            return cls()
        try:
            data = json.loads(stored)
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        return cls(
            sources=_strings(data.get("sources"), lower=False),
            languages=_strings(data.get("languages"), lower=True),
        )


def _strings(value: object, *, lower: bool) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    items = (v.strip().casefold() if lower else v.strip() for v in value if isinstance(v, str))
    return tuple(dict.fromkeys(item for item in items if item))


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").casefold()
    except ValueError:
        return ""


def split_scope(text: str, _: Translate = _identity) -> tuple[str, Scope]:
    """The query text without its `source:` / `lang:` filters, and the scope they make.

    Raises `QueryError` (its message translated with `_`) for a malformed filter value, too
    many values, or a `since:` / `sort:` filter, which only `/search` understands.
    """
    request = parse_search(text, now=_ANY_MOMENT, _=_)
    if request.since is not None or request.sort != "newest":
        raise QueryError(
            _(
                "since: and sort: work in /search only. A subscription can be limited with "
                "source:NAME and lang:xx, e.g. /subscribe Nordkorea source:krone lang:de."
            )
        )
    return request.query_text, Scope(sources=request.sources, languages=request.languages)


def describe_scope(
    scope: Scope, _: Translate = _identity, name_language: NameLanguage = _identity
) -> str:
    """The scope in words for the `/subscribe` restatement and `/list`; "" when empty.

    `name_language` names a code in the reader's language (the handlers pass
    `handlers.i18n.language_name`); by default the code itself is shown.
    """
    parts: list[str] = []
    if scope.sources:
        parts.append(_("only from {sources}").format(sources=", ".join(scope.sources)))
    if scope.languages:
        names = ", ".join(name_language(code) for code in scope.languages)
        parts.append(_("only in {languages}").format(languages=names))
    return "; ".join(parts)
