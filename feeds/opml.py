"""Feed lists: OPML (what every feed reader speaks) or plain text with one URL per line."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import quoteattr


@dataclass(frozen=True, slots=True)
class FeedEntry:
    url: str
    title: str | None = None


class FeedListError(ValueError):
    """The file is neither OPML nor a list of URLs."""


def read_feed_list(data: bytes) -> list[FeedEntry]:
    """The feeds named by an OPML document or a one-URL-per-line file, in order, once each."""
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    entries = _read_opml(stripped) if stripped.startswith(b"<") else _read_lines(stripped)
    seen: set[str] = set()
    unique = []
    for entry in entries:
        if entry.url not in seen:
            seen.add(entry.url)
            unique.append(entry)
    return unique


def _read_opml(data: bytes) -> list[FeedEntry]:
    if b"<!DOCTYPE" in data[:1024] or b"<!ENTITY" in data:
        raise FeedListError("OPML with a DOCTYPE or entities is refused")
    try:
        root = ET.fromstring(data)  # noqa: S314 - DOCTYPE/entities refused above
    except ET.ParseError as error:
        raise FeedListError(f"not valid OPML: {error}") from None
    entries = []
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url.startswith(("http://", "https://")):
            title = outline.get("title") or outline.get("text")
            entries.append(FeedEntry(url, title.strip() if title else None))
    return entries


def _read_lines(data: bytes) -> list[FeedEntry]:
    text = data.decode("utf-8", errors="replace")
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith(("http://", "https://")):
            raise FeedListError(f"line {number}: {line[:60]!r} is not an http(s) URL")
        entries.append(FeedEntry(line.split()[0]))
    return entries


def write_opml(feeds: Iterable[FeedEntry], title: str = "newsbot feeds") -> bytes:
    """An OPML 2.0 document listing the feeds."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{_text(title)}</title></head>",
        "  <body>",
    ]
    for feed in feeds:
        name = quoteattr(feed.title or feed.url)
        lines.append(
            f'    <outline type="rss" text={name} title={name} xmlUrl={quoteattr(feed.url)}/>'
        )
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines).encode("utf-8")


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
