"""Feed HTML becomes the plain text a reader sees; teasers are cut where a reader expects."""

from __future__ import annotations

import pytest

from feeds.text import cut_teaser, html_to_text, repair_mojibake


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
    assert cut_teaser("Short text.", 300) == "Short text."


def test_cut_prefers_a_sentence_boundary_late_in_the_window() -> None:
    text = "First sentence is here. " * 20
    cut = cut_teaser(text, 100)
    assert len(cut) <= 100
    assert cut.endswith("here.")
    assert len(cut) >= 60


def test_cut_falls_back_to_a_word_boundary_with_an_ellipsis() -> None:
    text = "Short. " + "word " * 100
    cut = cut_teaser(text, 50)
    assert len(cut) <= 50
    assert cut.endswith("word…")
    assert not cut.endswith(" …")


def test_cut_never_splits_a_word_when_it_can_avoid_it() -> None:
    text = "Nordkoreas Machthaber Kim Jong-un ist in Pjöngjang aufgebrochen " * 10
    cut = cut_teaser(text, 70)
    stem = cut.removesuffix("…")
    assert text.startswith(stem) and text[len(stem)] == " "


def test_one_giant_word_is_cut_hard() -> None:
    cut = cut_teaser("x" * 500, 300)
    assert len(cut) == 300 and cut.endswith("…")
