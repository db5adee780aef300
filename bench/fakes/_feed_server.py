"""A local feed server over real HTTP on loopback, plus an RSS 2.0 builder for test feeds.

Serves configured paths with strong ETags and Last-Modified, answers conditional GETs with 304,
and can misbehave on demand (any status, redirects, per-path or global latency), recording
every request so tests can assert what the poller asked for.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from bench.fakes._loopback import BackgroundServer, QuietHandler

RSS_CONTENT_TYPE = "application/rss+xml; charset=utf-8"


@dataclass(frozen=True)
class FeedRequest:
    """One request the server answered."""

    method: str
    path: str  # as requested, including any query string
    headers: dict[str, str]  # header names lower-cased
    status: int
    time: float  # time.monotonic() when it arrived


@dataclass
class _Resource:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: datetime | None = None
    delay: float = 0.0


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def _strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _etag_matches(header: str, etag: str) -> bool:
    candidates = [c.strip() for c in header.split(",")]
    # A weak comparison, as RFC 9110 prescribes for If-None-Match.
    return "*" in candidates or etag in {c.removeprefix("W/") for c in candidates}


def _not_modified_since(header: str, last_modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= since


class _Handler(QuietHandler):
    server_version = "FakeFeedServer/1.0"

    def do_GET(self) -> None:
        self._serve(include_body=True)

    def do_HEAD(self) -> None:
        self._serve(include_body=False)

    def _serve(self, *, include_body: bool) -> None:
        feeds: FeedServer = self.server.owner
        self.read_body()
        arrived = time.monotonic()
        resource = feeds._lookup(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        if resource is None:
            status, body, out = 404, b"not found", {"Content-Type": "text/plain"}
            delay = 0.0
        else:
            status, body, out = feeds._answer(resource, headers)
            delay = resource.delay
        feeds._record(FeedRequest(self.command, self.path, headers, status, arrived))
        feeds.pause(delay + feeds.latency)
        self.send_body(status, body, out, include_body=include_body and status != 304)


class FeedServer(BackgroundServer):
    """Feeds on ``http://127.0.0.1:PORT/<path>``; ``with FeedServer() as feeds:``.

    ``latency`` (seconds) delays every answer, on top of a path's own ``delay``; requests are
    served concurrently, one thread per connection.
    """

    handler_class = _Handler

    def __init__(self, *, latency: float = 0.0) -> None:
        super().__init__()
        self.latency = latency
        self._lock = threading.Lock()
        self._resources: dict[str, _Resource] = {}
        self._requests: list[FeedRequest] = []

    def url(self, path: str) -> str:
        return self.origin + _normalize(path)

    def set_feed(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = RSS_CONTENT_TYPE,
        etag: bool | str = True,
        last_modified: bool | datetime = True,
        headers: Mapping[str, str] | None = None,
        status: int = 200,
        delay: float = 0.0,
    ) -> str:
        """Serve ``body`` at ``path``; returns its URL.

        ``etag=True`` derives a strong ETag from the body (a string is used as given, quotes
        included); ``last_modified=True`` stamps the current time (or pass a datetime).
        Conditional requests matching them get 304 with no body.
        """
        resource = _Resource(
            status=status,
            body=body,
            headers={"Content-Type": content_type, **(headers or {})},
            etag=_strong_etag(body) if etag is True else (etag or None),
            last_modified=(
                datetime.now(UTC)
                if last_modified is True
                else (last_modified if isinstance(last_modified, datetime) else None)
            ),
            delay=delay,
        )
        with self._lock:
            self._resources[_normalize(path)] = resource
        return self.url(path) if self.running else _normalize(path)

    def serve_file(
        self,
        path: str,
        file_path: str | Path,
        *,
        content_type: str | None = None,
        etag: bool | str = True,
        last_modified: bool | datetime = True,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> str:
        """Serve a file's bytes (read now) at ``path``; the type is guessed from its suffix."""
        source = Path(file_path)
        if content_type is None:
            feed_like = source.suffix.lower() in (".xml", ".rss", ".atom", ".rdf")
            guessed = mimetypes.guess_type(source.name)[0]
            content_type = "application/xml" if feed_like else guessed or "application/octet-stream"
        return self.set_feed(
            path,
            source.read_bytes(),
            content_type=content_type,
            etag=etag,
            last_modified=last_modified,
            headers=headers,
            delay=delay,
        )

    def set_response(
        self,
        path: str,
        status: int,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        *,
        delay: float = 0.0,
    ) -> str:
        """Answer ``path`` with exactly this (404, 500, 301 + Location, ...), no validators."""
        resource = _Resource(status=status, body=body, headers=dict(headers or {}), delay=delay)
        with self._lock:
            self._resources[_normalize(path)] = resource
        return self.url(path) if self.running else _normalize(path)

    def redirect(self, path: str, location: str, status: int = 301) -> str:
        """``path`` redirects to ``location`` (a path on this server or a full URL)."""
        target = self.url(location) if location.startswith("/") else location
        return self.set_response(path, status, headers={"Location": target})

    def remove(self, path: str) -> None:
        with self._lock:
            self._resources.pop(_normalize(path), None)

    @property
    def requests(self) -> list[FeedRequest]:
        with self._lock:
            return list(self._requests)

    def count(self, path: str | None = None, *, status: int | None = None) -> int:
        """Requests answered (for ``path``, with ``status``), query strings included."""
        with self._lock:
            return sum(
                1
                for r in self._requests
                if (path is None or r.path == _normalize(path))
                and (status is None or r.status == status)
            )

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def _record(self, request: FeedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _lookup(self, raw_path: str) -> _Resource | None:
        with self._lock:
            found = self._resources.get(raw_path)
            if found is None:
                found = self._resources.get(urlsplit(raw_path).path)
            return found

    @staticmethod
    def _answer(
        resource: _Resource, request_headers: Mapping[str, str]
    ) -> tuple[int, bytes, dict[str, str]]:
        headers = dict(resource.headers)
        if resource.etag:
            headers["ETag"] = resource.etag
        if resource.last_modified is not None:
            headers["Last-Modified"] = _http_date(resource.last_modified)
        if resource.status == 200:
            if_none_match = request_headers.get("if-none-match")
            if_modified_since = request_headers.get("if-modified-since")
            if if_none_match is not None:
                # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
                if resource.etag and _etag_matches(if_none_match, resource.etag):
                    return 304, b"", _validators_only(headers)
            elif (
                if_modified_since is not None
                and resource.last_modified is not None
                and _not_modified_since(if_modified_since, resource.last_modified)
            ):
                return 304, b"", _validators_only(headers)
        return resource.status, resource.body, headers


def _validators_only(headers: Mapping[str, str]) -> dict[str, str]:
    kept = ("etag", "last-modified", "cache-control", "expires")
    return {k: v for k, v in headers.items() if k.lower() in kept}


def _normalize(path: str) -> str:
    return path if path.startswith("/") else "/" + path


def rss(
    items: Iterable[Mapping[str, object]],
    *,
    title: str = "Test feed",
    link: str = "https://example.org/",
    description: str = "A feed served by the tests",
    language: str | None = "en",
    ttl: int | None = None,
) -> bytes:
    """A valid RSS 2.0 document (UTF-8) from item dicts.

    Item keys: ``title``, ``link``, ``guid`` (isPermaLink="false" unless it equals the link),
    ``description`` (may contain HTML: it is escaped, as RSS carries it), ``pubDate`` (a
    datetime or an RFC 822 string), ``author``, ``category`` (a string or a list of strings).
    """
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0">',
        "<channel>",
        f"<title>{escape(title)}</title>",
        f"<link>{escape(link)}</link>",
        f"<description>{escape(description)}</description>",
    ]
    if language:
        lines.append(f"<language>{escape(language)}</language>")
    if ttl is not None:
        lines.append(f"<ttl>{ttl}</ttl>")
    lines.extend(_rss_item(item) for item in items)
    lines += ["</channel>", "</rss>", ""]
    return "\n".join(lines).encode("utf-8")


def _rss_item(item: Mapping[str, object]) -> str:
    parts = ["<item>"]
    for key in ("title", "link", "description", "author"):
        value = item.get(key)
        if value is not None:
            parts.append(f"<{key}>{escape(str(value))}</{key}>")
    guid = item.get("guid")
    if guid is not None:
        permalink = "true" if guid == item.get("link") else "false"
        parts.append(f"<guid isPermaLink={quoteattr(permalink)}>{escape(str(guid))}</guid>")
    published = item.get("pubDate")
    if isinstance(published, datetime):
        published = format_datetime(
            published if published.tzinfo else published.replace(tzinfo=UTC)
        )
    if published is not None:
        parts.append(f"<pubDate>{escape(str(published))}</pubDate>")
    categories = item.get("category")
    if isinstance(categories, str):
        categories = [categories]
    if isinstance(categories, Iterable):
        parts.extend(f"<category>{escape(str(c))}</category>" for c in categories)
    parts.append("</item>")
    return "".join(parts)


__all__ = ["RSS_CONTENT_TYPE", "FeedRequest", "FeedServer", "rss"]
