"""Feed HTML becomes the plain text a reader sees; teasers are cut where a reader expects."""

from __future__ import annotations

import pytest

from feeds.text import cut, html_to_text, repair_mojibake


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("<p>Kim f&auml;hrt <strong>nach</strong> China</p>", "Kim fährt nach China"),
        ("Report on <b>Slack</b> market", "Report on Slack market"),
        ("Könnte Putin treffen &ndash; Für eine", "Könnte Putin treffen – Für eine"),
        ("Victorian &#x0024;4300 3bd 1930ft<sup>2</sup>", "Victorian $4300 3bd 1930ft2"),
        ("double &amp;#x0024;4300 and &amp;ndash; dash", "double $4300 and – dash"),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("a<script>alert('x')</script>b", "a b"),
        ("a<style>p { color: red }</style>b<noscript>enable js</noscript>", "a b"),
        ("one<br/>two</p><p>three", "one two three"),
        ('<img alt="a > b" src="x.jpg">caption', "caption"),
        ("<!-- hidden -->shown", "shown"),
        ("  lots \n\t of\u00a0 space  ", "lots of space"),
        ("&lt;b&gt;escaped twice&lt;/b&gt;", "escaped twice"),
        ("a <= b and 1<3", "a <= b and 1<3"),
        ("nbsp&nbsp;and&#160;numeric", "nbsp and numeric"),
        ("soft\u00adhyphen and zero\u200bwidth", "softhyphen and zerowidth"),
        ("", ""),
    ],
)
def test_html_to_text(fragment: str, expected: str) -> None:
    assert html_to_text(fragment) == expected


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("National â€º Publisher", "National › Publisher"),
        ("president-electâ€™s threats", "president-elect’s threats"),
        ("MÃ¤rz in KÃ¶ln", "März in Köln"),
        ("Ð’ ÐœÐ¾Ñ\x81ÐºÐ²Ðµ", "В Москве"),
    ],
)
def test_double_encoded_utf8_is_repaired(broken: str, fixed: str) -> None:
    assert repair_mojibake(broken) == fixed
    assert html_to_text(broken) == fixed


@pytest.mark.parametrize(
    "legit",
    ["Müller’s „Spaß“", "„ÄRGER“ im Bundestag", "Café ÉTÉ’s", "São Paulo NÃO”", "½ € ©"],
)
def test_correct_text_is_left_alone(legit: str) -> None:
    assert repair_mojibake(legit) == legit


def test_short_text_is_not_cut() -> None:
    assert cut("Short text.", 300) == "Short text."


def test_cut_prefers_a_sentence_boundary_late_in_the_window() -> None:
    text = "First sentence is here. " * 20
    shortened = cut(text, 100)
    assert len(shortened) <= 100
    assert shortened.endswith("here.")
    assert len(shortened) >= 60


def test_cut_falls_back_to_a_word_boundary_with_an_ellipsis() -> None:
    text = "Short. " + "word " * 100
    shortened = cut(text, 50)
    assert len(shortened) <= 50
    assert shortened.endswith("word…")
    assert not shortened.endswith(" …")


def test_cut_never_splits_a_word_when_it_can_avoid_it() -> None:
    text = "Nordkoreas Machthaber Kim Jong-un ist in Pjöngjang aufgebrochen " * 10
    shortened = cut(text, 70)
    stem = shortened.removesuffix("…")
    assert text.startswith(stem) and text[len(stem)] == " "


def test_one_giant_word_is_cut_hard() -> None:
    shortened = cut("x" * 500, 300)
    assert len(shortened) == 300 and shortened.endswith("…")


def test_cut_collapses_whitespace_before_measuring() -> None:
    assert cut("one\n\n two   three", 50) == "one two three"
    assert cut("one two three four five", 12) == "one two…"


def test_a_limit_on_html_to_text_bounds_the_text() -> None:
    text = html_to_text("<p>" + "word " * 10_000 + "</p>", limit=100)
    assert len(text) <= 100 and text.endswith("word…")
