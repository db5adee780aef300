"""Feed lists: OPML and one URL per line, and the OPML round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.opml import FeedEntry, FeedListError, read_feed_list, write_opml

ROOT = Path(__file__).parents[2]


def test_default_feeds_file_lists_german_and_english_world_news() -> None:
    feeds = read_feed_list((ROOT / "feeds.opml").read_bytes())
    urls = [f.url for f in feeds]
    assert len(urls) >= 10
    assert any("tagesschau" in u for u in urls)
    assert any("bbc" in u for u in urls)
    assert all(u.startswith("https://") for u in urls)


def test_plain_list_skips_comments_and_blank_lines() -> None:
    data = b"# my feeds\n\nhttp://127.0.0.1:8000/a.xml\nhttps://example.org/b.xml  # b\n"
    assert read_feed_list(data) == [
        FeedEntry("http://127.0.0.1:8000/a.xml"),
        FeedEntry("https://example.org/b.xml"),
    ]


def test_plain_list_rejects_a_line_that_is_not_a_url() -> None:
    with pytest.raises(FeedListError, match="line 2"):
        read_feed_list(b"https://example.org/a.xml\nftp://nope\n")


def test_opml_round_trip_keeps_urls_titles_and_order() -> None:
    feeds = [
        FeedEntry("https://example.org/a.xml?x=1&y=2", 'Title with "quotes" & <tags>'),
        FeedEntry("https://example.org/b.xml", None),
    ]
    again = read_feed_list(write_opml(feeds))
    assert again == [feeds[0], FeedEntry("https://example.org/b.xml", "https://example.org/b.xml")]


def test_opml_with_entities_is_refused() -> None:
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><opml><body/></opml>'
    with pytest.raises(FeedListError):
        read_feed_list(evil)


def test_broken_opml_is_a_clear_error() -> None:
    with pytest.raises(FeedListError, match="not valid OPML"):
        read_feed_list(b"<opml><body><outline></body>")
