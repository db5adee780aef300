"""Alert rendering: Telegram HTML that no feed text can break."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from feeds.render import AlertView, cut, render_alert, render_alert_plain, render_digest

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
    return AlertView(published=WHEN, **values)


def _visible(html: str) -> str:
    text = re.sub(r"<[^>]+>", "", html)
    return (
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    )


def test_alert_has_bold_headline_teaser_source_time_query_and_link() -> None:
    html = render_alert(_alert())
    assert html.startswith("<b>Seltene Auslandsreise: Kim fährt nach China</b>\n")
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
