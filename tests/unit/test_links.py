"""One story, one canonical link, whatever tracking each channel adds to it."""

from __future__ import annotations

import pytest

from feeds.links import canonical_link


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        (
            "https://www.bbc.com/news/articles/cq59xvdzjv7o?at_medium=RSS&at_campaign=rss",
            "https://www.bbc.com/news/articles/cq59xvdzjv7o",
        ),
        (
            "http://derstandard.at/2000049985169/Arabisch-Angst-vor-Sprache?ref=rss",
            "http://derstandard.at/2000049985169/Arabisch-Angst-vor-Sprache",
        ),
        (
            "http://www.spiegel.de/panorama/a-1128896.html#ref=rss",
            "http://www.spiegel.de/panorama/a-1128896.html",
        ),
        ("HTTP://WWW.Example.COM:80/Path?q=1", "http://www.example.com/Path?q=1"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        (
            "https://x.org/a?id=7&utm_source=tw&utm_medium=social&fbclid=abc&page=2",
            "https://x.org/a?id=7&page=2",
        ),
        (
            "https://x.org/a?gclid=1&mc_cid=2&mc_eid=3&ocid=4&cmpid=5&wt_mc=rss.ho",
            "https://x.org/a",
        ),
        (
            "http://www.nytimes.com/2017/01/06/us/hack.html?partner=rss&emc=rss",
            "http://www.nytimes.com/2017/01/06/us/hack.html",
        ),
        ("https://x.org/search?q=a+b%20c&Ref=x", "https://x.org/search?q=a+b%20c"),
        (
            "https://news.yandex.ru/y?cl4url=ria.ru%2Fs",
            "https://news.yandex.ru/y?cl4url=ria.ru%2Fs",
        ),
        ("  https://Example.com./a  ", "https://example.com/a"),
    ],
)
def test_canonical_link(url: str, canonical: str) -> None:
    assert canonical_link(url) == canonical


def test_variants_of_one_story_collapse() -> None:
    variants = [
        "https://www.bbc.com/news/articles/cq59xvdzjv7o?at_medium=RSS&at_campaign=rss",
        "https://WWW.BBC.COM/news/articles/cq59xvdzjv7o#comments",
        "https://www.bbc.com:443/news/articles/cq59xvdzjv7o?utm_source=twitter",
    ]
    assert len({canonical_link(v) for v in variants}) == 1


@pytest.mark.parametrize("odd", ["", "/relative/path", "mailto:a@b.c", "not a url", "http://[::1"])
def test_non_http_urls_come_back_unchanged(odd: str) -> None:
    assert canonical_link(odd) == odd
