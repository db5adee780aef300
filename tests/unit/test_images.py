"""The picture an alert shows: found where feeds put it, never a tracking pixel or icon."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.fakes import rss
from feeds.images import IMAGE_URL_LIMIT, first_img_src, is_tracking_image
from feeds.parse import parse_feed

FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"


def _images(name: str, url: str = "https://example.com/feeds/feed.xml") -> list[str | None]:
    return [a.image for a in parse_feed((FEEDS / name).read_bytes(), url).articles]


def test_corpus_feeds_carry_pictures_in_every_place_feeds_put_them() -> None:
    counts = {p.name: sum(1 for i in _images(p.name) if i) for p in sorted(FEEDS.glob("*.xml"))}
    assert sum(1 for n in counts.values() if n) == 24
    assert sum(counts.values()) == 791
    # enclosure, media:content, media:thumbnail, <img> in the description
    assert counts["lemonde-fr-une-2017.xml"] == 18
    assert counts["nytimes-en-homepage-2017.xml"] == 27
    assert counts["bbc-en-news-2026.xml"] == 27
    assert counts["tagesschau-de-alle-meldungen-2026.xml"] == 40


def test_feeds_with_only_pixels_and_share_buttons_have_no_picture() -> None:
    assert set(_images("jn-pt-iso8859.xml")) == {None}  # feedburner ~r/ pixels
    assert set(_images("reuters-en-world.xml")) == {None}  # feedburner ~ff/ share buttons


def test_the_largest_media_content_wins() -> None:
    washington = _images("washingtonpost-en-world.xml")
    assert washington[0] is not None and "image_1024w" in washington[0]
    guardian = _images("guardian-en-2018.xml")
    assert guardian[0] is not None and "w=460" in guardian[0]


def test_a_tracking_pixel_before_the_picture_is_skipped() -> None:
    golem = _images("golem-de-iso8859.xml")
    assert golem[0] == "https://www.golem.de/1711/131200-149083-i_rc.jpg"
    # an author's avatar listed as media:content is not the story's picture
    assert all(i and "gravatar" not in i for i in _images("indianexpress-en-world.xml"))


def test_relative_img_resolves_against_the_article_link() -> None:
    images = _images("fcutrecht-nl-broken-prolog.xml")
    assert "https://www.fcutrecht.net/pictures/100/scheids.jpg" in images


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<img src="https://x.org/a.jpg">', "https://x.org/a.jpg"),
        ("<IMG SRC='//cdn.x.org/b.png' alt='a > b'>", "https://cdn.x.org/b.png"),
        ("<img width=1 height=1 src=https://x.org/p.gif><img src=/c.jpg>", "https://x.org/c.jpg"),
        ('<img src="https://x.org/i.jpg?a=1&amp;b=2">', "https://x.org/i.jpg?a=1&b=2"),
        ('<img src="https://vg04.met.vgwort.de/na/abc"><p>text</p>', None),
        ('<img src="http://feeds.feedburner.com/~r/X/~4/abc">', None),
        ('<img src="https://x.org/spacer.gif">', None),
        ('<img src="https://x.org/logo.svg">', None),
        ('<img src="javascript:alert(1)">', None),
        ('<img src="data:image/png;base64,AAAA">', None),
        ('<img src="https://x.org/a.jpg"', None),
        ("no pictures here", None),
    ],
)
def test_first_real_img(html: str, expected: str | None) -> None:
    assert first_img_src(html, "https://x.org/news/1") == expected


def test_an_overlong_image_url_is_dropped() -> None:
    long = "https://x.org/" + "a" * IMAGE_URL_LIMIT + ".jpg"
    assert first_img_src(f'<img src="{long}">', "https://x.org/") is None


def test_pixel_sizes_and_counters() -> None:
    assert is_tracking_image("https://x.org/a.jpg", "1", "1")
    assert is_tracking_image("https://x.org/a.jpg", "2px", None)
    assert is_tracking_image("https://pixel.wp.com/b.gif")
    assert is_tracking_image("https://x.org/track/open.gif?id=1")
    assert not is_tracking_image("https://x.org/a.jpg", "140", "140")
    assert not is_tracking_image("https://x.org/img/tracking-the-storm.jpg")


def test_an_item_without_picture_has_none() -> None:
    parsed = parse_feed(rss([{"title": "t", "link": "https://x.org/1"}]), "https://x.org/f")
    assert parsed.articles[0].image is None


@given(st.text(alphabet="<>img src=\"=/.:httpsjg '&;x", max_size=200))
def test_any_html_gives_an_absolute_http_url_or_nothing(html: str) -> None:
    found = first_img_src(html, "https://x.org/a/")
    assert found is None or (found.startswith(("http://", "https://")) and len(found) <= 2048)


def test_hostile_markup_is_scanned_in_linear_time() -> None:
    # the work is bounded by the text's length: this must return, and does so at once
    assert first_img_src("<img " + '"' * 100_000, "https://x.org/") is None
    assert first_img_src("<img src=a>" * 100_000, "https://x.org/") == "https://x.org/a"
