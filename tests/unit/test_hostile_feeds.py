"""Hostile and careless feeds: nothing a document contains makes the bot store unbounded text.

Each case is a whole class of input from issue 11 (entity tricks in every placement and
encoding, tag soup, huge fields, binary junk, NUL bytes, invalid UTF-8, deep nesting, too
many entries). None may raise; each is either refused as "not a feed" (the poll records
that on the feed) or parsed to values within the parse-time caps. Nothing here asserts on
time: the linear text extraction is what keeps these cases fast, and the time budget of
`bot.parsing` is what bounds a document that is slow anyway.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.parsing import ParserPool
from feeds.models import ParsedFeed
from feeds.parse import (
    DESCRIPTION_LIMIT,
    FEED_TITLE_LIMIT,
    LINK_LIMIT,
    MAX_ENTRIES,
    TEASER_LIMIT,
    TITLE_LIMIT,
    declares_entities,
    parse_feed,
    strip_declarations,
)

PAYLOAD = "A" * 5_000
EXPANDED = "A" * 50  # what any expansion of PAYLOAD would leave in a field
REFERENCES = "&x;" * 5_000  # 25 million characters if expanded


def _assert_bounded(parsed: ParsedFeed) -> None:
    """Every stored field within its cap, and no control characters in any of them."""
    assert len(parsed.title) <= FEED_TITLE_LIMIT
    assert len(parsed.articles) <= MAX_ENTRIES
    for article in parsed.articles:
        assert len(article.title) <= TITLE_LIMIT
        assert len(article.teaser) <= TEASER_LIMIT
        assert len(article.description) <= DESCRIPTION_LIMIT
        assert len(article.link) <= LINK_LIMIT
        assert len(article.canonical_link) <= LINK_LIMIT
        assert len(article.guid) <= 512
        for text in (article.title, article.teaser, article.description):
            assert "\x00" not in text and "\ufffe" not in text


def _stored_characters(parsed: ParsedFeed) -> int:
    return len(parsed.title) + sum(
        len(a.title) + len(a.teaser) + len(a.description) + len(a.link) + len(a.guid)
        for a in parsed.articles
    )


def _rss(title: str, *, prolog: str = "", description: str = "x") -> str:
    return (
        f"{prolog}<rss version='2.0'><channel><title>Feed</title>"
        f"<item><title>{title}</title><link>http://x.org/1</link>"
        f"<description>{description}</description></item></channel></rss>"
    )


# On a line of its own: that is where feedparser's fallback parser looks for declarations.
ENTITY = f'\n<!ENTITY x "{PAYLOAD}">\n'
ENTITY_TRICKS = {
    # The issue's case: the first DOCTYPE was stripped, the second one expanded.
    "two doctypes": _rss(REFERENCES, prolog=f"<!DOCTYPE a>\n<!DOCTYPE rss [{ENTITY}]>\n"),
    "three doctypes": _rss(
        REFERENCES, prolog=f"<!DOCTYPE a><!DOCTYPE b>\n<!DOCTYPE rss [\n{ENTITY}\n]>\n"
    ),
    "doctype after a comment": _rss(REFERENCES, prolog=f"<!-- hi -->\n<!DOCTYPE rss [{ENTITY}]>\n"),
    "doctype after a processing instruction": _rss(
        REFERENCES,
        prolog=f"<?xml version='1.0'?><?xml-stylesheet href='a'?>\n<!DOCTYPE rss [{ENTITY}]>\n",
    ),
    "doctype after whitespace": _rss(REFERENCES, prolog=f"\n\n   \t<!DOCTYPE rss [{ENTITY}]>\n"),
    "doctype after a byte order mark": "\ufeff"
    + _rss(REFERENCES, prolog=f"<!DOCTYPE rss [{ENTITY}]>"),
    "lower-case doctype": _rss(REFERENCES, prolog=f"<!doctype rss [\n{ENTITY}\n]>\n"),
    "entity lines without a doctype": _rss(REFERENCES, prolog=f"\n{ENTITY}\n<!DOCTYPE rss>\n"),
    "doctype inside a comment": _rss(
        REFERENCES, prolog=f"<!--\n<!DOCTYPE rss [\n{ENTITY}\n]>\n-->\n"
    ),
    "doctype inside a CDATA section": _rss(
        REFERENCES, prolog=f"<![CDATA[\n<!DOCTYPE rss [\n{ENTITY}\n]>\n]]>\n"
    ),
    "parameter entity": _rss(
        REFERENCES, prolog=f"<!DOCTYPE rss [<!ENTITY % p '<!ENTITY x \"{PAYLOAD}\">'> %p;]>\n"
    ),
    "nested entities (billion laughs)": _rss(
        "&l4;",
        prolog="<!DOCTYPE rss [<!ENTITY l0 'AAAAAAAAAA'>"
        + "".join(f"<!ENTITY l{i} '{f'&l{i - 1};' * 10}'>" for i in range(1, 5))
        + "]>\n",
    ),
    "entity in an attribute and a link": _rss(
        REFERENCES, prolog=f"<!DOCTYPE rss [{ENTITY}]>\n", description="<a href='&x;'>&x;</a>"
    ),
    "atom": (
        f"<!DOCTYPE a>\n<!DOCTYPE feed [{ENTITY}]>\n"
        "<feed xmlns='http://www.w3.org/2005/Atom'><title>&x;</title>"
        f"<entry><title>{REFERENCES}</title><summary>{REFERENCES}</summary>"
        "<link href='http://x.org/1'/></entry></feed>"
    ),
}


def _encodings(document: str) -> list[tuple[str, bytes]]:
    declared = "<?xml version='1.0' encoding='{}'?>\n"
    return [
        ("utf-8", document.encode()),
        ("utf-16 with BOM", document.encode("utf-16")),
        ("utf-16-be declared", (declared.format("utf-16be") + document).encode("utf-16-be")),
        ("utf-16-le declared", (declared.format("utf-16le") + document).encode("utf-16-le")),
        ("utf-32 with BOM", document.encode("utf-32")),
        ("NUL between bytes", document.encode().replace(b"<!", b"<\x00!")),
    ]


def _with_decoy(document: str) -> str:
    """The trick behind a first, harmless DOCTYPE (the one a first-only strip removes)."""
    bom = "\ufeff" if document.startswith("\ufeff") else ""
    return bom + "<!DOCTYPE decoy>\n" + document.removeprefix(bom)


ENTITY_CASES = [
    pytest.param(body, id=f"{name}{decoy} / {encoding}")
    for name, document in ENTITY_TRICKS.items()
    for decoy, variant in (("", document), (" behind a decoy", _with_decoy(document)))
    for encoding, body in _encodings(variant)
]


@pytest.mark.parametrize("body", ENTITY_CASES)
def test_no_entity_declaration_is_ever_expanded(body: bytes) -> None:
    parsed = parse_feed(body, "http://x.org/feed")
    _assert_bounded(parsed)
    texts = [parsed.title] + [t for a in parsed.articles for t in (a.title, a.description)]
    assert not any(EXPANDED in text for text in texts)
    # The bound that keeps memory flat: a few kB stored, never the 25 MB of the expansion.
    assert _stored_characters(parsed) < 20_000


@pytest.mark.parametrize("name", ENTITY_TRICKS)
def test_feedparsers_own_entity_reader_finds_nothing_after_the_strip(name: str) -> None:
    """The second line of defence asks feedparser itself; the strip leaves it nothing."""
    body = _with_decoy(ENTITY_TRICKS[name]).encode()
    assert not declares_entities(strip_declarations(body))


def test_the_second_line_of_defence_sees_the_issues_case() -> None:
    assert declares_entities(ENTITY_TRICKS["doctype after whitespace"].encode())


def test_an_external_entity_in_any_doctype_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    entity = f'<!ENTITY xxe SYSTEM "file://{secret}">'
    for prolog in (f"<!DOCTYPE a>\n<!DOCTYPE rss [{entity}]>\n", f"<!doctype rss [\n{entity}\n]>"):
        parsed = parse_feed(_rss("a&xxe;", prolog=prolog).encode(), "http://x.org/")
        assert all("TOP-SECRET" not in a.title for a in parsed.articles)


def _html_in_description(fragment: str) -> bytes:
    return _rss("Headline", description=f"<![CDATA[{fragment}]]>").encode()


MiB = 1 << 20
TAG_SOUP = {
    "unclosed tag starts": "<p " * (MiB // 3),
    "unclosed comment": "before <!-- " + "a" * MiB,
    "many comment starts": "<!--" * (MiB // 4),
    "script without end": "before<script>" + "a<b " * (MiB // 4),
    "deeply nested tags": "<div>" * (MiB // 5) + "deep" + "</div>" * 100,
    "a megabyte of &amp;": "&amp;" * (MiB // 5),
    "unbalanced quotes in tags": "<a x='>" * (MiB // 7),
    "escaped tag starts": "&lt;p " * (MiB // 6),
    "bare ampersands and lt": "& < " * (MiB // 4),
}


@pytest.mark.parametrize("fragment", TAG_SOUP.values(), ids=TAG_SOUP.keys())
def test_tag_soup_parses_to_bounded_text(fragment: str) -> None:
    parsed = parse_feed(_html_in_description(fragment), "http://x.org/feed")
    _assert_bounded(parsed)
    (article,) = parsed.articles
    assert article.title == "Headline"
    assert "<p" not in article.description and "<div" not in article.description


def test_the_whole_description_is_kept_up_to_its_cap_and_the_teaser_is_cut() -> None:
    words = " ".join(f"word{i}" for i in range(10_000))
    parsed = parse_feed(_rss("Headline", description=words + " Nordkorea").encode(), "http://x/")
    (article,) = parsed.articles
    assert article.description.startswith("word0 word1 ")
    assert len(article.description) <= DESCRIPTION_LIMIT
    assert article.description.endswith("…")
    assert len(article.teaser) <= TEASER_LIMIT
    assert article.description.startswith(article.teaser.removesuffix("…"))

    late = "Lorem ipsum dolor sit amet. " * 12 + "Nordkorea testet eine Rakete."
    (short,) = parse_feed(_rss("Headline", description=late).encode(), "http://x/").articles
    assert "Nordkorea" in short.description and "Nordkorea" not in short.teaser


def test_huge_fields_are_cut_at_parse_time() -> None:
    long_link = "http://x.org/" + "a" * 5_000
    body = (
        f"<rss version='2.0'><channel><title>{'Feed ' * 1_000}</title>"
        f"<item><title>{'Headline ' * 100_000}</title><link>{long_link}</link>"
        f"<guid>{'g' * 100_000}</guid><description>{'text ' * 200_000}</description></item>"
        "</channel></rss>"
    ).encode()
    parsed = parse_feed(body, "http://x.org/feed")
    _assert_bounded(parsed)
    (article,) = parsed.articles
    assert article.title.startswith("Headline Headline") and article.title.endswith("…")
    assert article.link == ""  # too long to be a usable link: dropped, not cut
    assert parsed.title.startswith("Feed Feed")


def test_a_long_link_falls_back_to_another_alternate_link() -> None:
    body = (
        "<feed xmlns='http://www.w3.org/2005/Atom'><title>t</title><entry><title>Hello</title>"
        f"<link href='http://x.org/{'a' * 5_000}'/><link rel='alternate' href='http://x.org/b'/>"
        "</entry></feed>"
    ).encode()
    (article,) = parse_feed(body, "http://x.org/feed").articles
    assert article.link == "http://x.org/b"


@pytest.mark.parametrize("seed", range(5))
def test_binary_junk_is_refused_or_bounded(seed: int) -> None:
    junk = random.Random(seed).randbytes(200_000)
    parsed = parse_feed(junk, "http://x.org/feed")
    _assert_bounded(parsed)
    assert not parsed.is_feed or parsed.problem


def test_junk_inside_a_feed_leaves_clean_text() -> None:
    junk = random.Random(7).randbytes(2_000)
    body = (
        b"<rss version='2.0'><channel><title>Feed\x00\x01</title><item><title>Head\x00line"
        + b"\xff\xfe\xc3"
        + b"</title><description>"
        + junk.replace(b"<", b"").replace(b"&", b"")
        + b"</description></item></channel></rss>"
    )
    parsed = parse_feed(body, "http://x.org/feed")
    _assert_bounded(parsed)
    assert parsed.articles and parsed.articles[0].title.startswith("Headline")


def test_deeply_nested_xml_is_bounded() -> None:
    depth = 50_000
    body = (
        "<rss version='2.0'><channel><title>t</title><item><title>Deep</title>"
        + "<x>" * depth
        + "text"
        + "</x>" * depth
        + "</item></channel></rss>"
    ).encode()
    parsed = parse_feed(body, "http://x.org/feed")
    _assert_bounded(parsed)


def test_only_the_newest_entries_of_a_huge_feed_are_read() -> None:
    count = 3 * MAX_ENTRIES
    start = datetime(2026, 1, 1, tzinfo=UTC)
    order = list(range(count))
    random.Random(3).shuffle(order)  # dates in no particular order in the document
    items = "".join(
        f"<item><title>Item {n}</title><link>http://x.org/{n}</link>"
        f"<pubDate>{(start + timedelta(minutes=n)).strftime('%a, %d %b %Y %H:%M:%S +0000')}"
        "</pubDate></item>"
        for n in order
    )
    body = f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode()
    parsed = parse_feed(body, "http://x.org/feed")
    assert len(parsed.articles) == MAX_ENTRIES
    kept = {int(a.title.removeprefix("Item ")) for a in parsed.articles}
    assert kept == set(range(count - MAX_ENTRIES, count))
    assert parsed.is_feed and parsed.problem and "newest 500" in parsed.problem


async def test_a_parse_over_its_time_budget_is_dropped_and_the_worker_replaced() -> None:
    items = "".join(
        f"<item><title>Item {n} of a big feed</title><link>http://x.org/{n}</link>"
        f"<description>{'<p>word</p> ' * 50}</description></item>"
        for n in range(3_000)
    )
    big = f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode()
    small = _rss("Small feed").encode()
    # A budget no machine parses 3,000 entries within, and one the small feed meets.
    with ParserPool(workers=1, time_budget=0.01) as pool:
        dropped = await pool.parse(big, "http://x.org/big", {})
        pool.time_budget = 60.0  # the same pool, its stuck worker replaced
        after = await pool.parse(small, "http://x.org/small", {})
    assert not dropped.is_feed and "longer than" in (dropped.problem or "")
    assert after.is_feed and [a.title for a in after.articles] == ["Small feed"]
