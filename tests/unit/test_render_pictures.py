"""Alerts with pictures (photo with caption, or a large preview) and digests in numbered parts."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.fakes import parse_html
from feeds.render import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    MUTE_BUTTONS_LIMIT,
    AlertView,
    mute_choices,
    number_parts,
    present_alert,
    render_alert,
    render_caption,
    render_digest_parts,
    utf16_length,
)

WHEN = datetime(2025, 9, 2, 7, 30, tzinfo=UTC)
PICTURE = "https://images.krone.at/kim.jpg"


def _alert(**changes: object) -> AlertView:
    values: dict[str, object] = {
        "title": "Seltene Auslandsreise: Kim fährt nach China",
        "teaser": "Für eine seiner seltenen Auslandsreisen ist Nordkoreas Machthaber Kim Jong-un …",
        "link": "https://www.krone.at/3893021",
        "source": "krone.at",
        "published": WHEN,
        "query_text": '"Kim Jong Un"',
        "image": PICTURE,
    }
    values.update(changes)
    return AlertView(**values)  # type: ignore[arg-type]


def _caption_length(html: str) -> int:
    return utf16_length(parse_html(html).text.strip())


def test_an_alert_with_a_picture_is_a_photo_with_the_alert_as_caption() -> None:
    shown = present_alert(_alert())
    assert shown.kind == "photo" and shown.image == PICTURE
    assert shown.text == render_alert(_alert())  # the caption says all the message would
    assert _caption_length(shown.text) <= CAPTION_LIMIT


def test_an_alert_too_long_for_a_caption_shows_the_picture_as_a_large_preview() -> None:
    long = _alert(
        teaser="Nordkorea " * 30, query_text="kim " * 75, title="Kim " * 75, source="N " * 50
    )
    assert render_caption(long) is None
    shown = present_alert(long)
    assert shown.kind == "preview" and shown.image == PICTURE
    assert shown.text == render_alert(long)


def test_no_picture_or_pictures_off_is_the_text_alert() -> None:
    assert present_alert(_alert(image=None)).kind == "text"
    off = present_alert(_alert(), pictures=False)
    assert off.kind == "text" and off.image is None and off.text == render_alert(_alert())


def test_a_long_link_is_shortened_in_a_caption_but_keeps_its_target() -> None:
    link = "https://www.krone.at/" + "a" * 500
    caption = render_caption(_alert(link=link))
    assert caption is not None and f'href="{link}"' in caption
    assert _caption_length(caption) <= CAPTION_LIMIT


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=600), st.text(max_size=600), st.text(max_size=300))
def test_a_caption_always_fits_or_is_refused(title: str, teaser: str, query: str) -> None:
    caption = render_caption(_alert(title=title, teaser=teaser, query_text=query))
    if caption is not None:
        assert _caption_length(caption) <= CAPTION_LIMIT


def test_digest_parts_are_numbered_and_each_fits() -> None:
    alerts = [
        _alert(title=f"Headline {i} " + "x" * 150, link=f"https://x.org/{i}") for i in range(80)
    ]
    parts = render_digest_parts(alerts)
    assert len(parts) >= 3
    for number, (text, _carried) in enumerate(parts, start=1):
        assert parse_html(text).text.startswith(f"{number}/{len(parts)}")
        assert utf16_length(text) <= MESSAGE_LIMIT
    assert sorted(i for _, carried in parts for i in carried) == list(range(80))


def test_a_digest_in_one_part_is_not_numbered() -> None:
    parts = render_digest_parts([_alert(), _alert()])
    assert len(parts) == 1 and not parse_html(parts[0][0]).text.startswith("1/1")
    assert number_parts([("a", [0])]) == [("a", [0])]


def test_every_digest_part_can_mute_what_filled_it() -> None:
    choices = [(7, "Putin"), (3, "Nordkorea"), (7, "Putin")]
    assert [c.subscription_id for c in mute_choices(choices)] == [7, 3]
    assert mute_choices(choices)[0].label == "🔕 Putin"
    many = [(i, f"topic {i}") for i in range(MUTE_BUTTONS_LIMIT + 3)]
    buttons = mute_choices(many)
    assert len(buttons) == MUTE_BUTTONS_LIMIT
    assert buttons[-1].subscription_id is None  # opens the list of all of them
    assert all(len(b.label) <= 40 for b in buttons)
