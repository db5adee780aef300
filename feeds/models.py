"""Plain values passed between the pipeline stages: fetch | parse | store | match | render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Article:
    """One news item as it leaves the parser: plain text, absolute link, aware UTC time."""

    guid: str
    """Identity of the entry within its feed: the guid, else the canonical link, else a hash."""
    link: str
    """Absolute URL as published (relative links resolved against the feed URL)."""
    canonical_link: str
    """`link` with scheme/host lower-cased, fragment and tracking parameters removed."""
    title: str
    """Plain text: no tags, entities decoded, whitespace collapsed."""
    teaser: str
    """Plain text from the summary (else the content), cut at a sentence or word boundary."""
    published: datetime | None
    """Publication (else update) time, timezone-aware UTC."""
    language: str | None = None
    """Two-letter language code (`de`, `en`), from the feed's declaration or a detector."""
    description: str = ""
    """The whole plain-text description (capped at parse time); matching and search read it,
    only the display is cut."""
    image: str | None = None
    """The item's picture (enclosure, `media:content`, `media:thumbnail`, else the first real
    `<img>` of its description): an absolute http(s) URL of at most 2,048 characters, never a
    tracking pixel; None when the item has none (see `feeds.images`)."""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What the parser made of one response body."""

    title: str
    link: str | None
    language: str | None
    ttl_seconds: int | None
    """The feed's `<ttl>` (minutes in RSS) converted to seconds, when declared."""
    articles: tuple[Article, ...]
    problem: str | None = None
    """feedparser's complaint (bozo exception) when the document was not well-formed."""
    is_feed: bool = True
    """False when the body did not look like RSS/Atom at all (an HTML page, garbage)."""


@dataclass(frozen=True, slots=True)
class Hit:
    """A reader's subscription that matched an article."""

    subscription_id: int
    chat_id: int
    query_text: str
