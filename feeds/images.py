"""The picture of a feed item: which URL an alert may show, and which it must not.

A feed names its item's picture in one of four places, tried in this order: an enclosure
with an image type, `media:content` (the largest image), `media:thumbnail` (the largest),
else the first real `<img>` of the description or content. "Real" excludes what publishers
put there that is not the story's picture: tracking pixels (1×1 images, counters such as
VG WORT's `met.vgwort.de`, feedburner's `~r/` pixels and `~ff/` share buttons, WordPress's
`pixel.wp.com`), spacers, author avatars, forum file-type icons, and SVG (Telegram cannot
send it as a photo). Only absolute http(s) URLs of at most `IMAGE_URL_LIMIT` characters come
out; relative ones are resolved against the entry's link, else the feed's URL.

Feed text is hostile input: `<img>` tags are found by a forward scan with possessive patterns
(linear in the text, as `feeds.text` does), never by `html.parser`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

__all__ = ["IMAGE_URL_LIMIT", "entry_image", "first_img_src", "is_tracking_image"]

IMAGE_URL_LIMIT = 2_048
"""Longer image URLs are dropped (as `feeds.parse.LINK_LIMIT` for links)."""

_MAX_IMG_TAGS = 20
"""`<img>` tags looked at per text: a real picture comes before the twentieth."""
_PIXEL_SIZE = 2
"""An image declared this wide or high (or smaller) is a pixel, not a picture."""

_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".bmp")
_IMG_TAG = re.compile(r"<img\b", re.IGNORECASE)
# The attributes of one tag up to its `>`, quoted values skipped whole; possessive, so a tag
# that never ends fails after one scan.
_TAG_REST = re.compile(r"(?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+>")
_ATTRIBUTE = re.compile(r"([^\s\"'>/=]++)(?:\s*+=\s*+(?:\"([^\"]*+)\"|'([^']*+)'|([^\s\"'>]++)))?+")
_NUMBER = re.compile(r"\s*(\d{1,6})")
# Hosts that only count readers or show avatars (a suffix match: `vg07.met.vgwort.de`).
_TRACKING_HOSTS = (
    "met.vgwort.de",
    "pixel.wp.com",
    "stats.wordpress.com",
    "gravatar.com",
    "google-analytics.com",
    "doubleclick.net",
    "feedsportal.com",
    "pixel.quantserve.com",
    "cpx.golem.de",
)
# Path pieces of counters, spacers and icons (lower-cased path, query included).
_TRACKING_PATHS = re.compile(
    r"/~(?:r|ff|a|f)/|/(?:pixel|track|tracking|beacon|counter)(?:[/.?]|$)"
    r"|(?:spacer|blank|transparent|clear)\.gif|1x1\.|/skins?/|/icons?/|/emoticons?/"
    r"|/smil(?:ies|eys)/|/filetype/"
)


def is_tracking_image(url: str, width: object = None, height: object = None) -> bool:
    """Whether `url` (absolute) with these declared sizes is a pixel, counter or icon."""
    if _declared(width, default=_PIXEL_SIZE + 1) <= _PIXEL_SIZE:
        return True
    if _declared(height, default=_PIXEL_SIZE + 1) <= _PIXEL_SIZE:
        return True
    try:
        parts = urlsplit(url)
    except ValueError:
        return True
    host = (parts.hostname or "").lower()
    if host.startswith("pixel.") or any(
        host == h or host.endswith("." + h) for h in _TRACKING_HOSTS
    ):
        return True
    path = (parts.path + ("?" + parts.query if parts.query else "")).lower()
    return bool(_TRACKING_PATHS.search(path)) or parts.path.lower().endswith(".svg")


def _declared(value: object, *, default: int) -> int:
    """A declared width/height (`"140"`, `"140px"`, 140) as a number; `default` when absent."""
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        found = _NUMBER.match(value)
        if found:
            return int(found.group(1))
    return default


def _absolute(value: object, base: str) -> str | None:
    """`value` as an absolute http(s) URL resolved against `base`, within the length cap."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 2 * IMAGE_URL_LIMIT:
        return None
    try:
        # Most feeds give absolute URLs: joining them would change nothing and costs as much
        # as the rest of this function.
        absolute = text if text.startswith(("http://", "https://")) else urljoin(base, text)
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if any(c.isspace() for c in absolute):
        return None
    return absolute if len(absolute) <= IMAGE_URL_LIMIT else None


def _looks_like_image_file(url: str) -> bool:
    try:
        path = urlsplit(url).path.lower()
    except ValueError:
        return False
    return path.endswith(_IMAGE_EXTENSIONS)


def _enclosure(entry: Mapping[str, Any], base: str) -> str | None:
    """The first enclosure typed as an image (or untyped with an image file name)."""
    for link in entry.get("links", []) or []:
        if not isinstance(link, Mapping) or link.get("rel") != "enclosure":
            continue
        url = _absolute(link.get("href"), base)
        if url is None or is_tracking_image(url):
            continue
        kind = str(link.get("type") or "").lower()
        if kind.startswith("image/") or (not kind and _looks_like_image_file(url)):
            return url
    return None


def _area(item: Mapping[str, Any]) -> int:
    width = _declared(item.get("width"), default=0)
    height = _declared(item.get("height"), default=0)
    return width * height if width and height else max(width, height)


def _largest(items: Iterable[Mapping[str, Any]], base: str, *, typed: bool) -> str | None:
    """The largest usable image among `media:content`/`media:thumbnail` items; ties: first.

    `typed` (media:content) requires `medium="image"`, an `image/` type, or, when neither is
    given, an image file name; thumbnails are images by definition. Candidates are tried
    largest first, so that usually one URL is resolved, not all of them.
    """
    candidates = [item for item in items if isinstance(item, Mapping)]
    candidates.sort(key=_area, reverse=True)  # stable: equal sizes keep document order
    for item in candidates:
        url = _absolute(item.get("url"), base)
        if url is None or is_tracking_image(url, item.get("width"), item.get("height")):
            continue
        if typed:
            medium = str(item.get("medium") or "").lower()
            kind = str(item.get("type") or "").lower()
            if medium or kind:
                if medium != "image" and not kind.startswith("image/"):
                    continue
            elif not _looks_like_image_file(url):
                continue
        return url
    return None


def _attributes(tag: str) -> dict[str, str]:
    """The attributes of one tag's text (after `<img`), names lower-cased, values unescaped."""
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(tag):
        name = match.group(1).lower()
        value = next((g for g in match.groups()[1:] if g is not None), "")
        found.setdefault(name, html.unescape(value))
    return found


def first_img_src(fragment: str, base: str) -> str | None:
    """The `src` of the first real `<img>` in an HTML fragment, absolute; None if none."""
    position = 0
    for _ in range(_MAX_IMG_TAGS):
        start = _IMG_TAG.search(fragment, position)
        if start is None:
            return None
        rest = _TAG_REST.match(fragment, start.end())
        if rest is None:
            return None  # an unterminated tag hides the rest, as in a browser
        position = rest.end()
        attributes = _attributes(fragment[start.end() : rest.end() - 1])
        url = _absolute(attributes.get("src"), base)
        if url is not None and not is_tracking_image(
            url, attributes.get("width"), attributes.get("height")
        ):
            return url
    return None


def entry_image(entry: Mapping[str, Any], base: str) -> str | None:
    """The picture of one feedparser entry (see the module doc); `base` resolves relative
    URLs (the entry's own link, else the feed's URL)."""
    found = (
        _enclosure(entry, base)
        or _largest(entry.get("media_content") or [], base, typed=True)
        or _largest(entry.get("media_thumbnail") or [], base, typed=False)
    )
    if found:
        return found
    texts: list[object] = [entry.get("summary")]
    texts += [c.get("value") for c in entry.get("content", []) or [] if isinstance(c, Mapping)]
    for text in texts:
        if isinstance(text, str) and "<" in text:
            src = first_img_src(text, base)
            if src:
                return src
    return None
