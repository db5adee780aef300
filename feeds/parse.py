"""Turn a fetched response body into a `ParsedFeed` of clean `Article` values.

The pipeline stage `parse` of fetch | parse | store: feedparser does the heavy lifting, fed
the body bytes and the response headers (never a URL, so it does no I/O). Around it:

- the body is transcoded to UTF-8 first (feedparser's own charset rules: HTTP charset, BOM,
  XML declaration, chardet), so that what we clean is byte for byte what feedparser reads;
  NUL bytes (never legal in XML) are dropped, and every DTD declaration (`<!DOCTYPE`,
  `<!ENTITY`, …) is removed wherever it stands, because feedparser's fallback parser expands
  the "safe" internal entities of a DOCTYPE in the prolog without limit (a 67 kB feed with two
  DOCTYPEs became a 65-million-character title);
- text fields go through `feeds.text` (plain text, entities and mojibake repaired) and are
  capped here (`TITLE_LIMIT`, `DESCRIPTION_LIMIT`, `LINK_LIMIT`, `FEED_TITLE_LIMIT`, at most
  `MAX_ENTRIES` entries, the newest), so what a feed can make us store is bounded whatever it
  holds; links are made absolute and canonical, times become aware UTC datetimes;
- each entry gets a stable identity, a language and its picture, if any (`feeds.images`).

`parse_feed` never raises: whatever the bytes, the worst outcome is an empty `ParsedFeed`
with `is_feed=False` and the reason in `problem`.
"""

from __future__ import annotations

import calendar
import codecs
import functools
import hashlib
import logging
import re
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import pycountry
from feedparser.encodings import convert_to_utf8
from feedparser.sanitizer import replace_doctype

from feeds.images import entry_image
from feeds.links import canonical_link
from feeds.models import Article, ParsedFeed
from feeds.normalize import fold
from feeds.text import cut, html_to_text

__all__ = [
    "DESCRIPTION_LIMIT",
    "FEED_TITLE_LIMIT",
    "LANGUAGE_MIN_CONFIDENCE",
    "LINK_LIMIT",
    "MAX_ENTRIES",
    "TEASER_LIMIT",
    "TITLE_LIMIT",
    "declares_entities",
    "detect_language",
    "parse_feed",
    "strip_declarations",
]

log = logging.getLogger(__name__)

TEASER_LIMIT = 300
"""Teasers are cut to this many characters (DESIGN.md: "at most about 300 characters")."""

TITLE_LIMIT = 1_000
"""Headlines are cut to this many characters (the longest in the corpus has 250)."""

DESCRIPTION_LIMIT = 20_000
"""The whole description kept for matching and search is cut to this many characters."""

FEED_TITLE_LIMIT = 200
"""A feed's own title is cut to this many characters."""

LINK_LIMIT = 2_048
"""Links longer than this are unusable (browsers and servers stop near here): an entry's
link is then taken from its other `<link>` elements, else left empty."""

MAX_ENTRIES = 500
"""Entries read per document, the newest first (a feed of 100,000 entries is a dump, not
news; real feeds carry at most a few hundred)."""

LANGUAGE_MIN_CONFIDENCE = 0.7
"""py3langid's normalized probability below which a detection is discarded (short or mixed
text such as a bare name scores far lower). Measured on the corpus: at 0.7, 1,273 of 1,391
entries get the right language, 1 a wrong one (an English teaser under a German title), and
the rest None; at 0.5, 5 more are wrong ("pcm" for Indian English)."""

_LANGUAGE_MIN_TEXT = 12
"""Texts shorter than this are not worth a guess."""

_MAX_GUID_LENGTH = 512
"""Longer guids are replaced by their hash so that the database key stays bounded."""

_LATIN1_FAMILY = frozenset(
    {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii", "windows-1252", "cp1252"}
)
_XML_DECLARED_ENCODING = re.compile(rb"^<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")
# Every kind of markup declaration a DTD is made of; none has any business in a feed.
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
# Inside a declaration: quoted literals are skipped whole, brackets nest the internal subset.
_DECLARATION_TOKEN = re.compile(rb"\"[^\"]*\"|'[^']*'|[\[\]>]")
_HTTP_SCHEMES = ("http", "https")


def parse_feed(body: bytes, url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse one response body of the feed at `url` (its final URL after redirects).

    `headers` are the HTTP response headers (any case); `Content-Type`'s charset is honoured
    unless the body is demonstrably UTF-8, and relative links resolve against `url`.
    """
    try:
        return _parse(body, url, headers or {})
    except Exception as exc:  # a parser bug on hostile input must not stop the poll
        log.exception("feed parser failed on %s", url)
        return ParsedFeed(
            title="",
            link=None,
            language=None,
            ttl_seconds=None,
            articles=(),
            problem=f"parser failure: {type(exc).__name__}: {exc}",
            is_feed=False,
        )


def _parse(body: bytes, url: str, headers: Mapping[str, str]) -> ParsedFeed:
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    body = _skip_leading_whitespace(body)
    if not body.strip():
        return ParsedFeed(
            title="",
            link=None,
            language=None,
            ttl_seconds=None,
            articles=(),
            problem="empty document",
            is_feed=False,
        )
    utf8, encoding_problem = _to_utf8(body, lowered)
    # After transcoding, so that no encoding (UTF-16, UTF-32, a BOM) hides a declaration, and
    # what is cleaned is what feedparser reads: its own transcoding of these bytes (declared
    # UTF-8 below, and valid UTF-8) changes nothing but the XML declaration.
    utf8 = strip_declarations(utf8.replace(b"\x00", b""))
    if declares_entities(utf8):  # cannot happen after the strip; if it ever does, refuse
        return ParsedFeed(
            title="",
            link=None,
            language=None,
            ttl_seconds=None,
            articles=(),
            problem="entity declarations in the document",
            is_feed=False,
        )
    parser_headers = {"content-type": "application/xml; charset=utf-8", "content-location": url}
    # No sanitizing or link rewriting inside HTML: html_to_text drops all markup (scripts and
    # styles with their content) anyway, and skipping them makes feedparser about 20% faster.
    # Output over the whole corpus is identical either way.
    result = feedparser.parse(
        utf8, response_headers=parser_headers, sanitize_html=False, resolve_relative_uris=False
    )
    problem = _problem(encoding_problem, result)
    feed = result.get("feed", {})
    entries = result.get("entries", [])
    feed_title = html_to_text(str(feed.get("title", "")), FEED_TITLE_LIMIT)
    if not entries and not result.get("version"):
        return ParsedFeed(
            title=feed_title,
            link=None,
            language=None,
            ttl_seconds=None,
            articles=(),
            problem=problem or "not an RSS or Atom document",
            is_feed=False,
        )
    feed_link = _absolute_http(feed.get("link"), url)
    # The document's own declaration beats the server's Content-Language (often a site-wide
    # default), which in turn beats guessing.
    feed_language = _normalize_language(feed.get("language")) or _normalize_language(
        lowered.get("content-language")
    )
    if len(entries) > MAX_ENTRIES:
        note = f"only the newest {MAX_ENTRIES} of {len(entries)} entries read"
        problem = f"{problem}; {note}" if problem else note
        entries = _newest(entries, MAX_ENTRIES)
    unstable = _unstable_ids(entries, {url, feed_link or ""})
    articles = tuple(_article(entry, url, feed_language, unstable) for entry in entries)
    return ParsedFeed(
        title=feed_title,
        link=feed_link,
        language=feed_language,
        ttl_seconds=_ttl_seconds(feed.get("ttl")),
        articles=articles,
        problem=problem,
        is_feed=True,
    )


# --- bytes ------------------------------------------------------------------------------


def _skip_leading_whitespace(body: bytes) -> bytes:
    """Whitespace before `<?xml` makes the document ill-formed for no good reason."""
    stripped = body.lstrip(b" \t\r\n")
    return stripped if stripped.startswith(b"<") else body


def _effective_content_type(headers: Mapping[str, str], body: bytes) -> str:
    """The Content-Type handed to feedparser's charset detection.

    The media type is always reported as `application/xml` (RFC 7303: the charset parameter,
    else the BOM/XML declaration, decides; `text/xml` no longer means US-ASCII, and servers
    label feeds `text/html` all the time). The charset parameter is kept, except a Latin-1
    family label on a body that is valid UTF-8 with non-ASCII bytes: that label is wrong
    (Latin-1 prose is practically never valid UTF-8) and would produce "Ã¤" mojibake.
    """
    charset = ""
    for param in headers.get("content-type", "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'").lower()
    if charset in _LATIN1_FAMILY and not body.isascii():
        declared = _XML_DECLARED_ENCODING.match(body)
        declares_other = declared is not None and declared.group(1).lower() not in (
            b"utf-8",
            b"utf8",
        )
        if not declares_other and _is_utf8(body):
            charset = "utf-8"
    return f"application/xml; charset={charset}" if charset else "application/xml"


def _is_utf8(body: bytes) -> bool:
    try:
        codecs.decode(body, "utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _to_utf8(body: bytes, headers: Mapping[str, str]) -> tuple[bytes, str | None]:
    """The body as UTF-8 (feedparser's detection), and feedparser's complaint if any."""
    state: dict[str, Any] = {}
    data = convert_to_utf8({"content-type": _effective_content_type(headers, body)}, body, state)
    complaint = state.get("bozo_exception")
    return data, (str(complaint) if complaint is not None else None)


def strip_declarations(data: bytes) -> bytes:
    """Remove every DTD declaration (`<!DOCTYPE …>` with its internal subset, `<!ENTITY …>`,
    `<!ELEMENT`, `<!ATTLIST`, `<!NOTATION`) wherever it stands in the document.

    Feeds never need one, and it is how entity bombs (billion laughs, quadratic blowup) and
    external entities (XXE) get in. Not only the prolog's first DOCTYPE: a second one, one
    after comments or processing instructions, or one inside a CDATA section before the root
    element are all read by feedparser's fallback parser. Without declarations, undeclared
    entities merely make the document ill-formed, and the fallback parser resolves only the
    HTML ones (`&nbsp;`). One forward pass; an unterminated declaration swallows the rest of
    the document, since nothing after it is safe.
    """
    pieces: list[bytes] = []
    position = 0
    while (found := _DECLARATION.search(data, position)) is not None:
        pieces.append(data[position : found.start()])
        end = _declaration_end(data, found.end())
        if end is None:
            return b"".join(pieces)
        position = end
    pieces.append(data[position:])
    return b"".join(pieces) if len(pieces) > 1 else data


def declares_entities(data: bytes) -> bool:
    """Whether feedparser's fallback parser would expand entities declared in `data`.

    Asks the very function feedparser takes those entities from, as a second line behind
    `strip_declarations`: a future feedparser reading declarations elsewhere, or a gap in the
    strip, is refused instead of expanded.
    """
    return bool(replace_doctype(data)[2])


def _declaration_end(data: bytes, start: int) -> int | None:
    """The offset just past the `>` that closes the declaration begun before `start`."""
    depth = 0
    for token in _DECLARATION_TOKEN.finditer(data, start):
        kind = token.group(0)
        if kind == b"[":
            depth += 1
        elif kind == b"]":
            depth = max(depth - 1, 0)
        elif kind == b">" and depth == 0:
            return token.end()
    return None


def _problem(encoding_problem: str | None, result: Mapping[str, Any]) -> str | None:
    parts: list[str] = []
    if result.get("bozo"):
        exc = result.get("bozo_exception")
        if exc is not None:
            parts.append(f"{type(exc).__name__}: {exc}")
    if encoding_problem:
        parts.append(encoding_problem)
    return "; ".join(parts) or None


# --- feed-level fields -----------------------------------------------------------------


def _ttl_seconds(value: object) -> int | None:
    """RSS `<ttl>` is in minutes; nonsense (negative, not a number, absurdly large) is None."""
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    if minutes <= 0 or minutes > 60 * 24 * 365:
        return None
    return minutes * 60


@functools.lru_cache(maxsize=256)
def _normalize_language(value: object) -> str | None:
    """`en-US`, `en_us`, `DE`, `deu` → two-letter lower-case code; anything else → None."""
    if not isinstance(value, str):
        return None
    primary = re.split(r"[-_,;\s]", value.strip(), maxsplit=1)[0].lower()
    if len(primary) == 2 and primary.isascii() and primary.isalpha():
        return primary
    if len(primary) == 3 and primary.isascii() and primary.isalpha():
        found = pycountry.languages.get(alpha_3=primary)
        if found is None:  # bibliographic codes such as "ger", "fre"
            found = pycountry.languages.get(bibliographic=primary)
        code = getattr(found, "alpha_2", None) if found is not None else None
        return str(code) if code else None
    return None


@functools.cache
def _language_identifier() -> Any:
    """py3langid's model, loaded once per process on first use (about half a second)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """The language of `text` when py3langid is confident enough, else None."""
    if len(text) < _LANGUAGE_MIN_TEXT:
        return None
    language, confidence = _language_identifier().classify(text)
    if confidence < LANGUAGE_MIN_CONFIDENCE:
        return None
    return _normalize_language(language)


# --- entries ---------------------------------------------------------------------------


def _absolute_http(value: object, base: str) -> str | None:
    """`value` as an absolute http(s) URL (resolved against `base`), else None."""
    if not isinstance(value, str) or not value.strip() or len(value) > 2 * LINK_LIMIT:
        return None
    try:
        absolute = urljoin(base, value.strip())
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme.lower() not in _HTTP_SCHEMES or not parts.netloc:
        return None
    return absolute if len(absolute) <= LINK_LIMIT else None


def _unstable_ids(entries: Iterable[Mapping[str, Any]], feed_urls: set[str]) -> set[str]:
    """Entry ids that cannot identify an entry: shared by several entries, or the feed's own."""
    counts = Counter(str(e.get("id", "")).strip() for e in entries)
    unstable = {value for value, count in counts.items() if count > 1}
    unstable.update(feed_urls)
    unstable.add("")
    return unstable


# "2020/1/10 14:33:00" (kc0011.net): feedparser's ISO 8601 reader turns it into 1 November.
_SLASH_DATE = re.compile(
    r"^\s*(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$"
)


def _slash_date(value: object) -> datetime | None:
    """`YYYY/M/D[ H:M[:S]]` without a zone, read as UTC; None for anything else."""
    match = _SLASH_DATE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None


def _published(entry: Mapping[str, Any]) -> datetime | None:
    """Publication time, else update time, as an aware UTC datetime."""
    for key in ("published", "updated"):
        # dict.get: FeedParserDict would answer "updated" with "published" (and a warning).
        slashed = _slash_date(dict.get(entry, key))  # type: ignore[call-overload]
        if slashed is not None:
            return slashed
        value = dict.get(entry, f"{key}_parsed")  # type: ignore[call-overload]
        if isinstance(value, time.struct_time):
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, OSError, ValueError):
                continue
    return None


def _entry_language(entry: Mapping[str, Any]) -> str | None:
    """`xml:lang` on the entry's own title or summary (Atom), if declared there."""
    for key in ("title_detail", "summary_detail"):
        detail = entry.get(key)
        if isinstance(detail, Mapping):
            language = _normalize_language(detail.get("language"))
            if language:
                return language
    return None


def _description(entry: Mapping[str, Any], title: str) -> str:
    """Plain text of the summary, else the first content; "" when it only repeats the title."""
    candidates: list[object] = [entry.get("summary")]
    candidates += [c.get("value") for c in entry.get("content", []) if isinstance(c, Mapping)]
    for candidate in candidates:
        if isinstance(candidate, str):
            text = html_to_text(candidate, DESCRIPTION_LIMIT)
            if text and text.casefold() != title.casefold():
                return text
    return ""


def _newest(entries: list[Any], count: int) -> list[Any]:
    """The `count` newest entries in document order; undated ones rank by their position
    (feeds list the newest first), after every dated one."""
    ranked = sorted(
        range(len(entries)),
        key=lambda i: (_timestamp(entries[i]), -i),
        reverse=True,
    )
    return [entries[i] for i in sorted(ranked[:count])]


def _timestamp(entry: Mapping[str, Any]) -> float:
    published = _published(entry)
    return published.timestamp() if published is not None else float("-inf")


def _sha1(text: str) -> str:
    """A compact identity (not a security measure: collisions cost a missed duplicate)."""
    digest = hashlib.sha1(text.encode("utf-8", "replace"), usedforsecurity=False)
    return "sha1:" + digest.hexdigest()


def _guid(
    entry: Mapping[str, Any],
    feed_url: str,
    canonical: str,
    title: str,
    teaser: str,
    published: datetime | None,
    unstable: set[str],
) -> str:
    """Entry identity: its guid/id, else the canonical link, else a hash of its text and date."""
    raw = str(entry.get("id", "")).strip()
    if raw not in unstable:
        raw = _unresolved(raw, feed_url)
        if len(raw) > _MAX_GUID_LENGTH:
            return _sha1(raw)
        return raw
    if canonical:
        return canonical
    # Title and date identify a story; without a title the teaser has to stand in.
    basis = "\x1f".join(
        (fold(title), published.isoformat() if published else "", "" if title else fold(teaser))
    )
    return _sha1(basis)


def _unresolved(guid: str, feed_url: str) -> str:
    """Undo feedparser's resolution of a bare-token guid against the feed URL.

    A `<guid>` without `isPermaLink="false"` is taken for a URL, so tagesschau's UUID guids
    come out as `https://host/dir-of-the-feed/<uuid>`: an identity that would change whenever
    the feed URL does. Within one feed, the token alone is just as unique.
    """
    directory = urljoin(feed_url, ".")
    if guid.startswith(directory):
        token = guid[len(directory) :]
        if token and not any(c in token for c in "/?#"):
            return token
    return guid


def _article(
    entry: Mapping[str, Any],
    feed_url: str,
    feed_language: str | None,
    unstable: set[str],
) -> Article:
    title = html_to_text(str(entry.get("title", "")), TITLE_LIMIT)
    description = _description(entry, title)
    teaser = cut(description, TEASER_LIMIT)
    link = _absolute_http(entry.get("link"), feed_url)
    if link is None:
        link = _first_alternate_link(entry, feed_url) or ""
    canonical = canonical_link(link) if link else ""
    published = _published(entry)
    language = (
        _entry_language(entry) or feed_language or detect_language(f"{title}. {teaser}".strip())
    )
    return Article(
        guid=_guid(entry, feed_url, canonical, title, teaser, published, unstable),
        link=link,
        canonical_link=canonical,
        title=title,
        teaser=teaser,
        published=published,
        language=language,
        description=description,
        image=entry_image(entry, link or feed_url),
    )


def _first_alternate_link(entry: Mapping[str, Any], feed_url: str) -> str | None:
    """An http(s) link among the entry's `<link>` elements when `link` itself was unusable."""
    for candidate in entry.get("links", []):
        if isinstance(candidate, Mapping) and candidate.get("rel", "alternate") == "alternate":
            link = _absolute_http(candidate.get("href"), feed_url)
            if link:
                return link
    return None
