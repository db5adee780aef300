"""Search results as text: the matched words found in the original headline and teaser, marked.

Snippets show the text as published. The words to mark are located with the same
normalization as the index (`feeds.normalize.analyze`), so `Nordkorea` marks "Nordkoreas"
and `Kim Jong-un` marks "Kim Jong Un". For Telegram the text is escaped first and the `<b>`
added after, so nothing a feed contains can break the message; for a terminal the marks are
ANSI bold, or `**…**` when the output is not a terminal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from feeds.normalize import analyze
from feeds.query import And, Node, Not, Or, Query, Term
from feeds.render import escape, format_time
from feeds.search_request import SearchResult
from feeds.translate import TranslatePlural, english_plural

__all__ = [
    "ANSI_BOLD",
    "MARKDOWN_BOLD",
    "Highlight",
    "highlight_of",
    "marked_spans",
    "outlets_note",
    "render_results",
    "render_terminal",
    "snippet",
]

Translate = Callable[[str], str]
TimeFormat = Callable[[datetime, str], str]
Span = tuple[int, int]

ANSI_BOLD = ("\x1b[1m", "\x1b[0m")
MARKDOWN_BOLD = ("**", "**")
TITLE_LIMIT = 200
SNIPPET_LIMIT = 200
_CONTEXT_BEFORE = 60
# Words as the reader sees them: letters and digits, with the combining marks of vowelled
# scripts kept inside the word.
_WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f\u064b-\u065f\u0900-\u0dff])+")
# Marked words separated only by a space or hyphen are marked as one (`Kim Jong-un`).
_JOIN = re.compile(r"[ \-\u2010\u2011\u2013]{1,2}")


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class Highlight:
    """What to mark: words whose forms meet `keys`, or whose surface starts with a prefix."""

    keys: frozenset[str]
    prefixes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.keys or self.prefixes)


def _positive_terms(node: Node) -> list[Term]:
    """The terms whose presence made an article match (not the excluded ones)."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return []
    assert isinstance(node, And | Or)
    return [term for child in node.children for term in _positive_terms(child)]


def highlight_of(query: Query | None) -> Highlight:
    """The words a result page marks for a query (nothing for a search by filters only)."""
    if query is None:
        return Highlight(frozenset())
    keys: set[str] = set()
    prefixes: list[str] = []
    for term in _positive_terms(query.root):
        last = len(term.words) - 1
        for i, word in enumerate(term.words):
            if term.prefix and i == last:
                prefixes.append(word)
            else:
                keys.update(term.forms[i])
                keys.add(word)
    return Highlight(frozenset(keys), tuple(dict.fromkeys(prefixes)))


def _matches(word: str, highlight: Highlight, language: str | None) -> bool:
    for position in analyze(word, language):
        if highlight.keys.intersection(position):
            return True
        if any(form.startswith(p) for form in position for p in highlight.prefixes):
            return True
    return False


def marked_spans(text: str, highlight: Highlight, language: str | None = None) -> list[Span]:
    """(start, end) of the words to mark in `text`, neighbours joined, in order."""
    if not highlight:
        return []
    spans: list[Span] = []
    for match in _WORD.finditer(text):
        if not _matches(match.group(), highlight, language):
            continue
        start, end = match.span()
        if spans and _JOIN.fullmatch(text, spans[-1][1], start):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def _clip(text: str, spans: Sequence[Span], start: int, end: int) -> tuple[str, list[Span]]:
    return text[start:end], [
        (max(a, start) - start, min(b, end) - start) for a, b in spans if a < end and b > start
    ]


def snippet(text: str, spans: Sequence[Span], limit: int = SNIPPET_LIMIT) -> tuple[str, list[Span]]:
    """A window of at most about `limit` characters around the first marked word.

    Cut at word boundaries, with `…` where text was left out; spans moved along.
    """
    if len(text) <= limit:
        return text, list(spans)
    first = spans[0][0] if spans else 0
    start = max(0, min(first - _CONTEXT_BEFORE, len(text) - limit))
    if start > 0:
        space = text.find(" ", start, first if spans else start + 20)
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + limit)
    if end < len(text):
        space = text.rfind(" ", start + limit // 2, end)
        end = space if space > 0 else end
    window, moved = _clip(text, spans, start, end)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix)
    return prefix + window + suffix, [(a + shift, b + shift) for a, b in moved]


def _apply(
    text: str, spans: Sequence[Span], mark: Callable[[str], str], plain: Callable[[str], str]
) -> str:
    out: list[str] = []
    position = 0
    for start, end in spans:
        out.append(plain(text[position:start]))
        out.append(mark(text[start:end]))
        position = end
    out.append(plain(text[position:]))
    return "".join(out)


def _html_bold(text: str) -> str:
    return f"<b>{escape(text)}</b>"


def _html(text: str, spans: Sequence[Span]) -> str:
    return _apply(text, spans, _html_bold, escape)


def _parts(
    item: SearchResult, highlight: Highlight
) -> tuple[tuple[str, list[Span]], tuple[str, list[Span]]]:
    """The headline and the teaser window of a result, with the spans to mark in each."""
    title = " ".join(item.title.split())
    title_spans = marked_spans(title, highlight, item.language)
    title_part = snippet(title, title_spans, TITLE_LIMIT) if title else ("", [])
    teaser = " ".join(item.teaser.split())
    teaser_part = snippet(teaser, marked_spans(teaser, highlight, item.language))
    return title_part, teaser_part


def outlets_note(item: SearchResult, ngettext: TranslatePlural = english_plural) -> str:
    """ " · +3 outlets" after a result's source when other outlets carried its story (plain
    text: the caller escapes); empty for a story of one outlet."""
    if item.outlets <= 0:
        return ""
    return " · " + ngettext("+{count} outlet", "+{count} outlets", item.outlets).format(
        count=item.outlets
    )


def render_results(
    results: Sequence[SearchResult],
    *,
    shown_query: str,
    highlight: Highlight,
    page: int,
    per_page: int = 5,
    timezone: str = "UTC",
    _: Translate = _identity,
    ngettext: TranslatePlural = english_plural,
    time_format: TimeFormat = format_time,
) -> str:
    """One page of results in Telegram HTML: linked headline, source, date and how many other
    outlets carried the story, snippet. A result is a story, shown by its newest matching
    article.

    Results are numbered across pages (page 2 starts at 6) so a reader keeps their place.
    """
    if not results:
        return _("No stored article matches <b>{query}</b>.").format(query=escape(shown_query))
    first = page * per_page + 1
    lines = [
        _("Results for <b>{query}</b>, page {page}:").format(
            query=escape(shown_query), page=page + 1
        )
    ]
    for number, item in enumerate(results, start=first):
        (title, title_spans), (teaser, teaser_spans) = _parts(item, highlight)
        headline = _html(title, title_spans) or escape(_("(untitled)"))
        when = time_format(item.published, timezone)
        entry = f'\n{number}. <a href="{escape(item.link)}">{headline}</a>\n'
        entry += (
            f"<i>{escape(item.source)} · {escape(when)}{escape(outlets_note(item, ngettext))}</i>"
        )
        if teaser:
            entry += "\n" + _html(teaser, teaser_spans)
        lines.append(entry)
    return "\n".join(lines)


def render_terminal(
    results: Sequence[SearchResult],
    *,
    highlight: Highlight,
    bold: tuple[str, str] = MARKDOWN_BOLD,
    time_format: TimeFormat = format_time,
) -> str:
    """Results for a terminal: headline, source, date and other outlets, snippet, link; marks
    as `bold`."""
    opening, closing = bold

    def mark(text: str) -> str:
        return f"{opening}{text}{closing}"

    blocks = []
    for number, item in enumerate(results, start=1):
        (title, title_spans), (teaser, teaser_spans) = _parts(item, highlight)
        lines = [
            f"{number}. {_apply(title, title_spans, mark, _identity)}",
            f"   {item.source} · {time_format(item.published, 'UTC')}{outlets_note(item)}",
        ]
        if teaser:
            lines.append(f"   {_apply(teaser, teaser_spans, mark, _identity)}")
        lines.append(f"   {item.link}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
