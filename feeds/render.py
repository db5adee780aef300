"""Alert messages in Telegram's HTML subset: pure functions from plain values to text.

Everything that came from a feed is escaped; only `&lt; &gt; &amp; &quot;` are valid named
entities in Telegram HTML, so feed text must already be plain (entities decoded) when it
arrives here, and we escape it exactly once.

Every message fits Telegram's limit whatever the fields hold (a 4.5k-character link, a feed
whose title is 4.2k characters, a 1 kB headline): each field is cut to its own share, counted
in UTF-16 code units of the visible text (the unit of Telegram's entity offsets, and never
fewer than the characters Telegram counts), so the sum of the shares stays far below 4,096.
A link is shown whole up to `LINK_SHOWN_LIMIT`; a longer one is shown shortened as the text
of a link whose target stays whole up to `HREF_LIMIT` (the parser's own cap on links); a
link longer still is shown shortened and not clickable (it cannot be a working address).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from feeds.text import cut
from feeds.translate import Translate, TranslatePlural, english_plural
from feeds.translate import identity as _identity

__all__ = [
    "CAPTION_LIMIT",
    "HREF_LIMIT",
    "LINK_SHOWN_LIMIT",
    "MESSAGE_LIMIT",
    "MUTE_BUTTONS_LIMIT",
    "PART_LABEL_RESERVE",
    "TEASER_LIMIT",
    "AlertView",
    "MuteChoice",
    "Presentation",
    "cut",
    "escape",
    "fit",
    "format_time",
    "mute_choices",
    "number_parts",
    "present_alert",
    "render_alert",
    "render_alert_plain",
    "render_caption",
    "render_digest",
    "render_digest_parts",
    "utf16_length",
]

MESSAGE_LIMIT = 4096
"""Telegram's limit on a message's text after entity parsing."""
CAPTION_LIMIT = 1024
"""Telegram's limit on a photo's caption after entity parsing."""
TEASER_LIMIT = 300
TITLE_LIMIT = 300
DIGEST_TITLE_LIMIT = 200
SOURCE_LIMIT = 100
TIME_LIMIT = 60
QUERY_LIMIT = 300
DIGEST_QUERY_LIMIT = 60
LINK_SHOWN_LIMIT = 1_000
"""A link up to this long is shown whole as text (Telegram makes it clickable)."""
LINK_TEXT_LIMIT = 80
"""A longer link is shown cut to this, as the text of a link to the whole address."""
HREF_LIMIT = 2_048
"""The longest address kept as a link target (as `feeds.parse.LINK_LIMIT`)."""
PART_LABEL_RESERVE = 16
"""Room kept free in each digest part for its "2/3" label."""
MUTE_BUTTONS_LIMIT = 5
"""At most this many 🔕 buttons under a digest part (the last may open the full list)."""
MUTE_LABEL_LIMIT = 30

TimeFormat = Callable[[datetime, str], str]


@dataclass(frozen=True, slots=True)
class AlertView:
    """What one alert message shows."""

    title: str
    teaser: str
    link: str
    source: str
    published: datetime
    query_text: str
    image: str | None = None
    """The article's picture (`Article.image`), shown when the chat wants pictures."""
    queries: tuple[str, ...] = ()
    """Every subscription of the chat that matched, oldest first; empty: `query_text` alone."""
    outlets: tuple[tuple[str, str], ...] = ()
    """Other outlets that reported the story after this article: (source, link) pairs."""

    @property
    def matched(self) -> str:
        """The subscriptions that matched, as the alert names them."""
        return " · ".join(self.queries) if self.queries else self.query_text


def escape(text: str) -> str:
    """Plain text made safe for Telegram HTML."""
    return html.escape(text, quote=True)


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units: characters outside the BMP (emoji) count twice."""
    if text.isascii():
        return len(text)
    # Two bytes a code unit; "surrogatepass" counts a stray surrogate as one, as Telegram does.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def fit(text: str, units: int) -> str:
    """`text` cut (see `cut`) to at most `units` UTF-16 code units."""
    limit = units
    shortened = cut(text, limit)
    while limit > 0 and utf16_length(shortened) > units:
        limit -= utf16_length(shortened) - units  # at least one character fewer each time
        shortened = cut(text, limit)
    return shortened if utf16_length(shortened) <= units else ""


def format_time(moment: datetime, timezone: str = "UTC") -> str:
    """A publication time for a reader, in their time zone (ISO-like, unambiguous)."""
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    local = moment.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "UTC")


@dataclass(frozen=True, slots=True)
class _Line:
    """One line of a message: its Telegram HTML and the text a reader sees."""

    html: str
    visible: str


def _text(plain: str) -> _Line:
    return _Line(escape(plain), plain)


def _link(link: str, *, plain: bool, shown_limit: int = LINK_SHOWN_LIMIT) -> _Line:
    """The article link: whole when short enough, else shortened (see the module doc).

    Plain text has no link targets, so there a link is shown whole up to `HREF_LIMIT`.
    """
    if utf16_length(link) <= (HREF_LIMIT if plain else shown_limit):
        return _text(link)
    shown = fit(link, LINK_TEXT_LIMIT)
    if not plain and len(link) <= HREF_LIMIT:
        return _Line(f'<a href="{escape(link)}">{escape(shown)}</a>', shown)
    return _text(shown)


def _alert_lines(
    alert: AlertView,
    timezone: str,
    _: Translate,
    time_format: TimeFormat,
    *,
    compact: bool,
    plain: bool,
    link_shown: int = LINK_SHOWN_LIMIT,
) -> tuple[str, list[_Line]]:
    """The headline (plain) and the lines below it; their shares add up to under 3,200."""
    title = fit(alert.title, TITLE_LIMIT) or _("(untitled)")
    if compact:
        return title, [_link(alert.link, plain=plain, shown_limit=link_shown)]
    lines: list[_Line] = []
    teaser = fit(alert.teaser, TEASER_LIMIT)
    if teaser:
        lines.append(_text(teaser))
    lines.append(_text(""))
    when = fit(time_format(alert.published, timezone), TIME_LIMIT)
    lines.append(_text(f"{fit(alert.source, SOURCE_LIMIT)} · {when}"))
    if alert.outlets:
        lines.append(_outlets(alert.outlets, _, plain=plain))
    matched = _("Matched: {query}").format(query=fit(alert.matched, QUERY_LIMIT))
    lines.append(_text(fit(matched, QUERY_LIMIT + 40)))
    lines.append(_link(alert.link, plain=plain, shown_limit=link_shown))
    return title, lines


DIGEST_OUTLETS = 3
"""Outlets named under a story in a digest (each entry stays far below a message)."""
OUTLET_LIMIT = 40
"""An outlet's name as the "also:" line shows it."""
OUTLETS_SHOWN = 12
OUTLET_HREF_LIMIT = 500
"""A longer link is left out of the "also:" line (twelve of them must fit one message)."""


def _outlets(outlets: Sequence[tuple[str, str]], _: Translate, *, plain: bool) -> _Line:
    """ "also: SPIEGEL · ORF · BBC": the outlets that reported the story later, each a link to
    its report."""
    shown = [(fit(source, OUTLET_LIMIT), link) for source, link in outlets[:OUTLETS_SHOWN]]
    template = _("also: {outlets}")
    visible = template.format(outlets=" · ".join(source for source, _link in shown))
    if plain:
        return _text(visible)
    parts = [
        f'<a href="{escape(link)}">{escape(source)}</a>'
        if link and len(link) <= OUTLET_HREF_LIMIT
        else escape(source)
        for source, link in shown
    ]
    return _Line(escape(template).format(outlets=" · ".join(parts)), visible)


def render_alert(
    alert: AlertView,
    *,
    timezone: str = "UTC",
    _: Translate = _identity,
    time_format: TimeFormat = format_time,
    compact: bool = False,
) -> str:
    """One alert: bold headline (a link to the article), teaser, source and time, the
    subscriptions that matched, the link.

    `compact` is the shorter fallback: the headline and the link only. Either fits
    `MESSAGE_LIMIT` whatever the fields hold.
    """
    title, lines = _alert_lines(alert, timezone, _, time_format, compact=compact, plain=False)
    return "\n".join([_headline(title, alert.link), *(line.html for line in lines)])


def _headline(title: str, link: str) -> str:
    """The bold headline, itself a link to the article when the address is usable."""
    bold = f"<b>{escape(title)}</b>"
    if link and len(link) <= HREF_LIMIT:
        return f'<a href="{escape(link)}">{bold}</a>'
    return bold


def render_alert_plain(
    alert: AlertView,
    *,
    timezone: str = "UTC",
    _: Translate = _identity,
    time_format: TimeFormat = format_time,
    compact: bool = False,
) -> str:
    """The same alert without markup, for when Telegram refuses our entities."""
    title, lines = _alert_lines(alert, timezone, _, time_format, compact=compact, plain=True)
    return "\n".join([title, *(line.visible for line in lines)])


def render_digest(
    alerts: Sequence[AlertView],
    *,
    timezone: str = "UTC",
    _: Translate = _identity,
    ngettext: TranslatePlural = english_plural,
    time_format: TimeFormat = format_time,
    limit: int = MESSAGE_LIMIT,
) -> list[tuple[str, list[int]]]:
    """Many alerts for one chat folded into as few messages as fit Telegram's length limit.

    Returns (message, indexes of the alerts it carries) pairs; every alert is in exactly one.
    Sizes are counted on the markup, not only the visible text, so each part also stays well
    within what Telegram accepts as a request; every entry is far below `limit` by itself.
    """
    count = len(alerts)
    heading = ngettext("{count} new article", "{count} new articles", count).format(count=count)
    header = "<b>" + escape(heading) + "</b>"
    messages: list[tuple[str, list[int]]] = []
    current: list[str] = [header]
    carried: list[int] = []
    size = utf16_length(header)
    for position, alert in enumerate(alerts):
        entry = _digest_entry(alert, timezone, _, time_format)
        entry_size = utf16_length(entry)
        if carried and size + entry_size + 2 > limit:
            messages.append(("\n\n".join(current), carried))
            current, carried, size = [], [], 0
        current.append(entry)
        carried.append(position)
        size += entry_size + 2
    if carried:
        messages.append(("\n\n".join(current), carried))
    return messages


def _digest_entry(alert: AlertView, timezone: str, _: Translate, time_format: TimeFormat) -> str:
    title = escape(fit(alert.title, DIGEST_TITLE_LIMIT) or _("(untitled)"))
    if alert.link and len(alert.link) <= HREF_LIMIT:
        title = f'<a href="{escape(alert.link)}">{title}</a>'
    when = fit(time_format(alert.published, timezone), TIME_LIMIT)
    entry = (
        f"• {title}\n"
        f"  {escape(fit(alert.source, SOURCE_LIMIT))} · {escape(when)}"
        f" · {escape(fit(alert.matched, DIGEST_QUERY_LIMIT))}"
    )
    if alert.outlets:  # a story is listed once, with every outlet that carried it
        entry += "\n  " + _outlets(alert.outlets[:DIGEST_OUTLETS], _, plain=False).html
    return entry


# --- pictures ------------------------------------------------------------------------------


def render_caption(
    alert: AlertView,
    *,
    timezone: str = "UTC",
    _: Translate = _identity,
    time_format: TimeFormat = format_time,
) -> str | None:
    """The alert as a photo caption, or None when it does not fit `CAPTION_LIMIT`.

    The same lines as `render_alert`, except that a link longer than `LINK_TEXT_LIMIT` is
    shown shortened (its target whole), since a caption has a quarter of a message's room.
    Counted as Telegram counts: the visible text after entity parsing, in UTF-16 units.
    """
    title, lines = _alert_lines(
        alert, timezone, _, time_format, compact=False, plain=False, link_shown=LINK_TEXT_LIMIT
    )
    visible = "\n".join([title, *(line.visible for line in lines)]).strip()
    if utf16_length(visible) > CAPTION_LIMIT:
        return None
    return "\n".join([_headline(title, alert.link), *(line.html for line in lines)])


@dataclass(frozen=True, slots=True)
class Presentation:
    """How one alert goes out.

    - `photo`: `sendPhoto(photo=image, caption=text)`; if Telegram cannot fetch the image,
      send `present_alert(alert, pictures=False)` at once instead;
    - `preview`: `sendMessage(text)` with `LinkPreviewOptions(url=image,
      prefer_large_media=True, show_above_text=True)`;
    - `text`: `sendMessage(text)` without a link preview.
    """

    kind: Literal["photo", "preview", "text"]
    text: str
    """The caption (photo) or the message text, Telegram HTML."""
    image: str | None = None
    """The photo's URL, or the URL the large link preview shows."""


def present_alert(
    alert: AlertView,
    *,
    pictures: bool = True,
    timezone: str = "UTC",
    _: Translate = _identity,
    time_format: TimeFormat = format_time,
) -> Presentation:
    """Photo with caption when the alert has a picture and fits a caption; else the text
    alert with the picture as a large preview above it; plain text when there is no picture
    or the chat turned pictures (and link previews) off."""
    if pictures and alert.image:
        caption = render_caption(alert, timezone=timezone, _=_, time_format=time_format)
        if caption is not None:
            return Presentation("photo", caption, alert.image)
        text = render_alert(alert, timezone=timezone, _=_, time_format=time_format)
        return Presentation("preview", text, alert.image)
    return Presentation(
        "text", render_alert(alert, timezone=timezone, _=_, time_format=time_format)
    )


# --- digests in parts --------------------------------------------------------------------


def number_parts(messages: Sequence[tuple[str, list[int]]]) -> list[tuple[str, list[int]]]:
    """Digest parts labelled "1/3", "2/3", … on their first line; a single part stays as is.

    Each label takes at most `PART_LABEL_RESERVE` characters of markup: split with that
    much room (as `render_digest_parts` does) and every part still fits.
    """
    total = len(messages)
    if total <= 1:
        return [(text, list(carried)) for text, carried in messages]
    return [
        (f"<b>{number}/{total}</b>\n{text}", list(carried))
        for number, (text, carried) in enumerate(messages, start=1)
    ]


def render_digest_parts(
    alerts: Sequence[AlertView],
    *,
    timezone: str = "UTC",
    _: Translate = _identity,
    ngettext: TranslatePlural = english_plural,
    time_format: TimeFormat = format_time,
    limit: int = MESSAGE_LIMIT,
) -> list[tuple[str, list[int]]]:
    """`render_digest` with its parts numbered ("2/3"), each still within `limit`."""
    messages = render_digest(
        alerts,
        timezone=timezone,
        _=_,
        ngettext=ngettext,
        time_format=time_format,
        limit=limit - PART_LABEL_RESERVE,
    )
    return number_parts(messages)


@dataclass(frozen=True, slots=True)
class MuteChoice:
    """One 🔕 button under a digest part."""

    subscription_id: int | None
    """The subscription it mutes; None: the button opens the list of all of them."""
    label: str


def mute_choices(
    subscriptions: Sequence[tuple[int, str]], _: Translate = _identity
) -> list[MuteChoice]:
    """The 🔕 buttons for the (subscription id, query text) pairs of a digest part's alerts.

    One per subscription, in order of first appearance, so that every part keeps a way to
    mute what filled it; beyond `MUTE_BUTTONS_LIMIT` subscriptions, the last button opens
    the full list instead.
    """
    seen: dict[int, str] = {}
    for subscription_id, query in subscriptions:
        seen.setdefault(subscription_id, query)
    pairs = list(seen.items())

    def button(subscription_id: int, query: str) -> MuteChoice:
        return MuteChoice(subscription_id, "🔕 " + fit(query, MUTE_LABEL_LIMIT))

    if len(pairs) <= MUTE_BUTTONS_LIMIT:
        return [button(i, q) for i, q in pairs]
    shown = [button(i, q) for i, q in pairs[: MUTE_BUTTONS_LIMIT - 1]]
    # The single alert's "🔕 Mute" label, so that no new message needs translating.
    return [*shown, MuteChoice(None, _("🔕 Mute"))]
