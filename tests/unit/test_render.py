"""Alert rendering: Telegram HTML that no feed text can break."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.fakes import parse_html
from feeds.render import (
    HREF_LIMIT,
    MESSAGE_LIMIT,
    AlertView,
    cut,
    fit,
    render_alert,
    render_alert_plain,
    render_digest,
    utf16_length,
)

WHEN = datetime(2025, 9, 2, 7, 30, tzinfo=UTC)


def _alert(**changes: str) -> AlertView:
    values = {
        "title": "Seltene Auslandsreise: Kim fährt nach China",
        "teaser": "Für eine seiner seltenen Auslandsreisen ist Nordkoreas Machthaber Kim Jong-un …",
        "link": "https://www.krone.at/3893021?a=1&b=2",
        "source": "krone.at",
        "query_text": '"Kim Jong Un"',
    }
    values.update(changes)
    return AlertView(
        title=values["title"],
        teaser=values["teaser"],
        link=values["link"],
        source=values["source"],
        published=WHEN,
        query_text=values["query_text"],
    )


def _visible(html: str) -> str:
    text = re.sub(r"<[^>]+>", "", html)
    return (
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    )


def test_alert_has_bold_headline_teaser_source_time_query_and_link() -> None:
    html = render_alert(_alert())
    assert html.startswith(
        '<a href="https://www.krone.at/3893021?a=1&amp;b=2">'
        "<b>Seltene Auslandsreise: Kim fährt nach China</b></a>\n"
    )
    visible = _visible(html)
    assert "Nordkoreas Machthaber Kim Jong-un" in visible
    assert "krone.at · 2025-09-02 07:30 UTC" in visible
    assert 'Matched: "Kim Jong Un"' in visible
    assert "https://www.krone.at/3893021?a=1&b=2" in visible


def test_feed_text_is_escaped_so_it_cannot_inject_markup() -> None:
    html = render_alert(_alert(title="<script>alert(1)</script> AT&T – news", teaser="a < b & c"))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; AT&amp;T – news" in html
    assert "a &lt; b &amp; c" in html
    # Only the four entities Telegram knows may appear.
    assert set(re.findall(r"&(\w+);", html)) <= {"lt", "gt", "amp", "quot"}


def test_time_is_shown_in_the_readers_time_zone() -> None:
    assert "2025-09-02 09:30 CEST" in render_alert(_alert(), timezone="Europe/Vienna")
    assert "07:30 UTC" in render_alert(_alert(), timezone="Not/AZone")


def test_teaser_is_cut_at_a_word_boundary() -> None:
    words = "Wort " * 200
    html = render_alert(_alert(teaser=words))
    teaser_line = html.split("\n")[1]
    assert len(teaser_line) <= 300
    assert teaser_line.endswith("Wort…")


def test_cut_keeps_short_text_and_shortens_long_text() -> None:
    assert cut("short text", 50) == "short text"
    assert cut("one two three four five", 12) == "one two…"


def test_plain_alert_has_no_markup() -> None:
    text = render_alert_plain(_alert(title="<b>Bold</b> & co"))
    assert text.startswith("<b>Bold</b> & co\n")  # shown literally, parse_mode None


def test_digest_keeps_every_headline_and_splits_under_the_limit() -> None:
    alerts = [_alert(title=f"Headline number {i} " + "x" * 150) for i in range(40)]
    messages = render_digest(alerts)
    carried = [i for _, indexes in messages for i in indexes]
    assert sorted(carried) == list(range(40))
    assert len(messages) >= 2
    for text, indexes in messages:
        assert len(text) <= 4096
        for i in indexes:
            assert f"Headline number {i} " in text


# --- every field cut to fit, whatever it holds (issue 11, item 4) -----------------------

EMOJI = "\U0001f600"  # one character, two UTF-16 code units
HOSTILE = {
    "title": (EMOJI + " Headline ") * 120,  # 1 kB+ of headline, half of it astral
    "teaser": "Nordkorea " * 2_000,
    "link": "https://example.org/" + "a" * 4_500,
    "source": "Feed title " * 400,  # a feed whose own title is 4.2k characters
    "query_text": "kim " * 750,
}


def _telegram_length(html: str | None = None, *, plain: str | None = None) -> int:
    """What Telegram measures: the text after entity parsing, in UTF-16 code units."""
    text = parse_html(html).text if html is not None else plain or ""
    return utf16_length(text.strip())


def test_an_alert_with_every_field_oversized_fits_in_each_rendering() -> None:
    alert = _alert(**HOSTILE)
    for compact in (False, True):
        assert _telegram_length(render_alert(alert, compact=compact)) <= MESSAGE_LIMIT
        plain = render_alert_plain(alert, compact=compact)
        assert _telegram_length(plain=plain) <= MESSAGE_LIMIT


def test_the_compact_rendering_is_the_headline_and_the_link() -> None:
    html = render_alert(_alert(), compact=True)
    assert html == (
        '<a href="https://www.krone.at/3893021?a=1&amp;b=2">'
        "<b>Seltene Auslandsreise: Kim fährt nach China</b></a>\n"
        "https://www.krone.at/3893021?a=1&amp;b=2"
    )


def test_a_long_link_is_shown_short_and_keeps_its_whole_target_when_usable() -> None:
    usable = "https://example.org/" + "a" * 1_500
    html = render_alert(_alert(link=usable))
    assert f'<a href="{usable}">' in html
    assert usable not in parse_html(html).text  # shown shortened
    assert "https://example.org/aaa" in parse_html(html).text
    assert usable in render_alert_plain(_alert(link=usable))  # plain text: shown whole

    unusable = "https://example.org/" + "a" * (HREF_LIMIT + 1)
    html = render_alert(_alert(link=unusable))
    assert "href" not in html and "https://example.org/aaa" in html


def test_a_digest_of_oversized_alerts_splits_into_parts_that_fit() -> None:
    alerts = [_alert(**HOSTILE) for _ in range(7)]
    alerts += [
        _alert(**{**HOSTILE, "link": f"https://example.org/{i}" + "b" * 1_900}) for i in range(7)
    ]
    messages = render_digest(alerts)
    assert sorted(i for _, carried in messages for i in carried) == list(range(len(alerts)))
    for text, _carried in messages:
        assert _telegram_length(text) <= MESSAGE_LIMIT


def test_fit_counts_utf16_code_units() -> None:
    text = (EMOJI + " ") * 100
    shortened = fit(text, 51)
    assert utf16_length(shortened) <= 51 and shortened.startswith(EMOJI)
    assert fit("plain words here", 100) == "plain words here"
    assert fit(EMOJI * 10, 1) in ("", "…")


@settings(max_examples=60, deadline=None)
@given(
    st.text(max_size=5_000),
    st.text(max_size=5_000),
    st.text(max_size=5_000),
    st.text(max_size=500),
)
def test_any_field_contents_render_within_the_limit(
    title: str, teaser: str, link: str, source: str
) -> None:
    alert = _alert(title=title, teaser=teaser, link=link, source=source, query_text=title[:300])
    assert utf16_length(render_alert_plain(alert)) <= MESSAGE_LIMIT
    assert utf16_length(render_alert_plain(alert, compact=True)) <= MESSAGE_LIMIT
    # The HTML is measured on its markup, which is never shorter than what Telegram counts.
    assert utf16_length(_visible(render_alert(alert))) <= MESSAGE_LIMIT


def test_the_headline_is_a_link_to_the_article() -> None:
    parsed = parse_html(render_alert(_alert()))
    links = [e for e in parsed.entities if e["type"] == "text_link"]
    assert links and links[0]["offset"] == 0
    assert links[0]["url"] == "https://www.krone.at/3893021?a=1&b=2"
    assert links[0]["length"] == len("Seltene Auslandsreise: Kim fährt nach China")


def test_an_alert_names_every_subscription_that_matched() -> None:
    alert = replace(_alert(), queries=("Kim Jong Un", "Nordkorea", "Putin"))
    assert "Matched: Kim Jong Un · Nordkorea · Putin" in _visible(render_alert(alert))
    assert "Matched: Kim Jong Un · Nordkorea · Putin" in render_alert_plain(alert)
    assert "Kim Jong Un · Nordkorea · Putin" in _visible(render_digest([alert])[0][0])


def test_outlets_that_joined_later_are_named_as_links_under_the_source() -> None:
    alert = replace(
        _alert(),
        outlets=(("SPIEGEL", "https://spiegel.test/a"), ("ORF <news>", "https://orf.test/b")),
    )
    html = render_alert(alert)
    lines = _visible(html).split("\n")
    assert lines[lines.index("krone.at · 2025-09-02 07:30 UTC") + 1] == "also: SPIEGEL · ORF <news>"
    assert '<a href="https://spiegel.test/a">SPIEGEL</a>' in html
    assert '<a href="https://orf.test/b">ORF &lt;news&gt;</a>' in html
    assert "also: SPIEGEL · ORF <news>" in render_alert_plain(alert)
    assert parse_html(html).text  # Telegram accepts it


def test_many_long_outlets_still_fit_one_message() -> None:
    outlets = tuple((EMOJI * 300, "https://example.org/" + "a" * 400) for _ in range(40))
    alert = replace(_alert(**HOSTILE), outlets=outlets)
    assert _telegram_length(render_alert(alert)) <= MESSAGE_LIMIT
    assert _telegram_length(plain=render_alert_plain(alert)) <= MESSAGE_LIMIT


def test_a_digest_lists_a_story_once_with_its_outlets() -> None:
    story = replace(_alert(), outlets=(("SPIEGEL", "https://spiegel.test/a"),))
    other = _alert(title="Ein anderes Ereignis")
    ((text, carried),) = render_digest([story, other])
    assert carried == [0, 1]
    visible = _visible(text)
    assert visible.count("Seltene Auslandsreise") == 1
    assert "also: SPIEGEL" in visible
    assert '<a href="https://spiegel.test/a">SPIEGEL</a>' in text
