"""Splitting /search filters off the query text, and marking matched words in results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from feeds.query import QueryError, parse_query
from feeds.render_search import (
    MARKDOWN_BOLD,
    highlight_of,
    marked_spans,
    render_results,
    render_terminal,
    snippet,
)
from feeds.search_request import SearchResult, parse_search

NOW = datetime(2025, 9, 20, 12, 0, tzinfo=UTC)


def test_plain_query_has_no_filters() -> None:
    request = parse_search('  "kim jong un" OR Putin -sport ', now=NOW)
    assert request.query_text == '"kim jong un" OR Putin -sport'
    assert request.text == '"kim jong un" OR Putin -sport'
    assert not request.has_filters and request.sort == "newest"


def test_filters_are_split_off() -> None:
    request = parse_search("Kim since:7d source:krone lang:DE sort:relevance Jong-un", now=NOW)
    assert request.query_text == "Kim Jong-un"
    assert request.since == NOW - timedelta(days=7)
    assert request.sources == ("krone",)
    assert request.languages == ("de",)
    assert request.sort == "relevance"


@pytest.mark.parametrize(
    ("typed", "since"),
    [
        ("since:24h", NOW - timedelta(hours=24)),
        ("since:2w", NOW - timedelta(days=14)),
        ("seit:3t", NOW - timedelta(days=3)),
        ("since:2025-09-01", datetime(2025, 9, 1, tzinfo=UTC)),
    ],
)
def test_since_forms(typed: str, since: datetime) -> None:
    assert parse_search(f"Kim {typed}", now=NOW).since == since


def test_quoted_source_and_several_values() -> None:
    request = parse_search('Wahl source:"Der Standard" quelle:krone,orf', now=NOW)
    assert request.sources == ("der standard", "krone", "orf")
    assert request.query_text == "Wahl"


def test_filters_inside_a_phrase_are_text() -> None:
    request = parse_search('"since:7d is a filter" Kim', now=NOW)
    assert request.query_text == '"since:7d is a filter" Kim'
    assert request.since is None


def test_other_colon_words_stay_in_the_query() -> None:
    request = parse_search("title:Putin http://x.test Kim", now=NOW)
    assert request.query_text == "title:Putin http://x.test Kim"


def test_filters_alone_search_everything() -> None:
    request = parse_search("source:krone since:1d", now=NOW)
    assert request.query_text == "" and request.has_filters


@pytest.mark.parametrize(
    ("typed", "needle"),
    [
        ("Kim since:yesterday", "since:yesterday"),
        ("Kim since:2025-13-01", "since:2025-13-01"),
        ("Kim lang:deutsch", "lang:deutsch"),
        ("Kim sort:alphabet", "sort:alphabet"),
        ("Kim source:a,b,c,d,e,f", "at most 5"),
    ],
)
def test_bad_filter_values_are_explained(typed: str, needle: str) -> None:
    with pytest.raises(QueryError) as raised:
        parse_search(typed, now=NOW)
    assert needle in raised.value.message


# --- marking matched words -------------------------------------------------------------------


def _marked(text: str, query: str, language: str | None = None) -> list[str]:
    spans = marked_spans(text, highlight_of(parse_query(query)), language)
    return [text[a:b] for a, b in spans]


def test_marks_follow_the_matcher_normalization() -> None:
    text = "Für eine seiner Reisen ist Nordkoreas Machthaber Kim Jong-un in Köln"
    assert _marked(text, "Nordkorea", "de") == ["Nordkoreas"]
    assert _marked(text, "Kim Jong Un", "de") == ["Kim Jong-un"]
    assert _marked(text, "Koeln", "de") == ["Köln"]
    assert _marked("Kimberly Clark", "Kim") == []
    assert _marked("Kimberly Clark", "Kim*") == ["Kimberly"]
    assert _marked("South Korea and North Korea", "Korea -South") == ["Korea", "Korea"]


def test_snippet_keeps_the_first_match_in_view() -> None:
    text = " ".join(["Füllwort"] * 60) + " Kim Jong-un reist. " + " ".join(["Ende"] * 40)
    spans = marked_spans(text, highlight_of(parse_query("Kim")))
    window, moved = snippet(text, spans, limit=120)
    assert window.startswith("…") and window.endswith("…")
    assert len(window) <= 122
    assert [window[a:b] for a, b in moved] == ["Kim"]


RESULT = SearchResult(
    id=1,
    title="<script>alert(1)</script> Kim & Co",
    teaser="Tags <b>stay</b> text: Kim > all.",
    link="https://example.org/a?x=1&y=2",
    source="Feed <One>",
    published=NOW,
    language="en",
)


def test_html_is_escaped_before_marks_are_added() -> None:
    html = render_results(
        [RESULT], shown_query="Kim <b>", highlight=highlight_of(parse_query("Kim")), page=1
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <b>Kim</b> &amp; Co" in html
    assert "Tags &lt;b&gt;stay&lt;/b&gt; text: <b>Kim</b> &gt; all." in html
    assert 'href="https://example.org/a?x=1&amp;y=2"' in html
    assert "Feed &lt;One&gt;" in html and "Kim &lt;b&gt;" in html
    assert "6. <a" in html  # numbering continues across pages


def test_no_results_says_so() -> None:
    html = render_results([], shown_query="<x>", highlight=highlight_of(None), page=0)
    assert "&lt;x&gt;" in html and "<x>" not in html


def test_terminal_rendering_marks_with_the_given_bold() -> None:
    out = render_terminal([RESULT], highlight=highlight_of(parse_query("Kim")), bold=MARKDOWN_BOLD)
    assert "<script>alert(1)</script> **Kim** & Co" in out
    assert "https://example.org/a?x=1&y=2" in out
