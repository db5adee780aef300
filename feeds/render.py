"""Alert messages in Telegram's HTML subset: pure functions from plain values to text.

Everything that came from a feed is escaped; only `&lt; &gt; &amp; &quot;` are valid named
entities in Telegram HTML, so feed text must already be plain (entities decoded) when it
arrives here, and we escape it exactly once.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from feeds.text import cut

__all__ = [
    "MESSAGE_LIMIT",
    "TEASER_LIMIT",
    "AlertView",
    "cut",
    "escape",
    "format_time",
    "render_alert",
    "render_alert_plain",
    "render_digest",
]

MESSAGE_LIMIT = 4096
TEASER_LIMIT = 300

Translate = Callable[[str], str]
TimeFormat = Callable[[datetime, str], str]


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class AlertView:
    """What one alert message shows."""

    title: str
    teaser: str
    link: str
    source: str
    published: datetime
    query_text: str


def escape(text: str) -> str:
    """Plain text made safe for Telegram HTML."""
    return html.escape(text, quote=True)


def format_time(moment: datetime, timezone: str = "UTC") -> str:
    """A publication time for a reader, in their time zone (ISO-like, unambiguous)."""
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    local = moment.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "UTC")


def render_alert(
    alert: AlertView,
    *,
    timezone: str = "UTC",
    _: Translate = _identity,
    time_format: TimeFormat = format_time,
) -> str:
    """One alert: bold headline, teaser, source and time, the matching query, the link."""
    title = escape(cut(alert.title, 300)) or escape(_("(untitled)"))
    lines = [f"<b>{title}</b>"]
    teaser = cut(alert.teaser, TEASER_LIMIT)
    if teaser:
        lines.append(escape(teaser))
    lines.append("")
    lines.append(f"{escape(alert.source)} · {escape(time_format(alert.published, timezone))}")
    lines.append(escape(_("Matched: {query}").format(query=alert.query_text)))
    lines.append(escape(alert.link))
    return "\n".join(lines)


def render_alert_plain(
    alert: AlertView,
    *,
    timezone: str = "UTC",
    _: Translate = _identity,
    time_format: TimeFormat = format_time,
) -> str:
    """The same alert without markup, for when Telegram refuses our entities."""
    parts = [cut(alert.title, 300), cut(alert.teaser, TEASER_LIMIT), ""]
    parts.append(f"{alert.source} · {time_format(alert.published, timezone)}")
    parts.append(_("Matched: {query}").format(query=alert.query_text))
    parts.append(alert.link)
    return "\n".join(p for p in parts if p is not None)


def render_digest(
    alerts: Sequence[AlertView],
    *,
    timezone: str = "UTC",
    _: Translate = _identity,
    time_format: TimeFormat = format_time,
    limit: int = MESSAGE_LIMIT,
) -> list[tuple[str, list[int]]]:
    """Many alerts for one chat folded into as few messages as fit Telegram's length limit.

    Returns (message, indexes of the alerts it carries) pairs; every alert is in exactly one.
    """
    header = "<b>" + escape(_("{count} new articles").format(count=len(alerts))) + "</b>"
    messages: list[tuple[str, list[int]]] = []
    current: list[str] = [header]
    carried: list[int] = []
    size = len(header)
    for position, alert in enumerate(alerts):
        entry = (
            f'• <a href="{escape(alert.link)}">{escape(cut(alert.title, 200))}</a>\n'
            f"  {escape(alert.source)} · {escape(time_format(alert.published, timezone))}"
            f" · {escape(cut(alert.query_text, 60))}"
        )
        # Telegram counts the visible text; counting the markup too keeps us safely under.
        if carried and size + len(entry) + 2 > limit:
            messages.append(("\n\n".join(current), carried))
            current, carried, size = [], [], 0
        current.append(entry)
        carried.append(position)
        size += len(entry) + 2
    if carried:
        messages.append(("\n\n".join(current), carried))
    return messages
