"""Query trees to FTS5 MATCH syntax: every input is either a QueryError or a valid FTS5 query."""

from __future__ import annotations

import importlib.util
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from db.search import document, to_fts
from feeds.query import QueryError, parse_query

MIGRATION = Path(__file__).parents[2] / "db/migrations/versions/0002_fts.py"
NOW_TS = 1_760_000_000


def _fts_schema() -> list[str]:
    spec = importlib.util.spec_from_file_location("fts_migration", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.FTS_SCHEMA)


SCHEMA = _fts_schema()

TEXTS = [
    ("Nordkoreas Machthaber Kim Jong-un reist nach China", "Seltene Auslandsreise", "de"),
    ("Kim Jong Un meets Putin", "North Korea's leader travels by train", "en"),
    ("Kimberly Clark shares fall", "The maker of tissues lowers its outlook", "en"),
    ("AT&T and C++ walk into a bar", "Köln, Zürich und Łódź", "de"),
    ("Fussball-WM: Österreich gewinnt", "Raketenfabrik besichtigt; Raketen getestet", "de"),
    ("South Korea's president visits Tokyo", "Seoul and Tokyo talk trade", "en"),
    ("북한은 오늘 미사일을 발사했다", "北朝鮮がミサイル発射", "ko"),
]


@pytest.fixture(scope="module")
def fts() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY)")
    for statement in SCHEMA:
        connection.execute(statement)
    for i, (title, teaser, language) in enumerate(TEXTS, start=1):
        connection.execute("INSERT INTO articles (id) VALUES (?)", (i,))
        doc = document(i, 1 + i % 2, title, teaser, language, _at(), _at())
        connection.execute("INSERT INTO search_docs VALUES (?, ?, ?, ?, ?)", doc)
    yield connection
    connection.close()


def _at() -> datetime:
    return datetime.fromtimestamp(NOW_TS, UTC)


def _titles(fts: sqlite3.Connection, query: str, **filters: object) -> set[str]:
    match = to_fts(parse_query(query), **filters)  # type: ignore[arg-type]
    if match is None:
        return set()
    rows = fts.execute(
        "SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid DESC", (match,)
    )
    return {TEXTS[rowid - 1][0] for (rowid,) in rows}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Nordkorea", {TEXTS[0][0], TEXTS[1][0], TEXTS[6][0]}),
        ("Kim Jong-un", {TEXTS[0][0], TEXTS[1][0]}),
        ('"kim jong un"', {TEXTS[0][0], TEXTS[1][0]}),
        ("Kim", {TEXTS[0][0], TEXTS[1][0]}),
        ("Kim*", {TEXTS[0][0], TEXTS[1][0], TEXTS[2][0]}),
        ("Korea -South", {TEXTS[1][0]}),
        ("title:Putin", {TEXTS[1][0]}),
        ("title:Tokyo", {TEXTS[5][0]}),
        ("Koeln", {TEXTS[3][0]}),
        ("Lodz", {TEXTS[3][0]}),
        ("Fußball", {TEXTS[4][0]}),
        ("Raketen*", {TEXTS[4][0]}),
        ("Rakete", {TEXTS[4][0]}),
        ("AT&T", {TEXTS[3][0]}),
        ("China OR Tokyo", {TEXTS[0][0], TEXTS[5][0]}),
        ("북한", {TEXTS[0][0], TEXTS[1][0], TEXTS[6][0]}),
        ('"tokyo talk" -"south korea"', set()),
        ("-Kimberly (Kim OR Seoul)", {TEXTS[0][0], TEXTS[1][0], TEXTS[5][0]}),
        ("Kim (Putin OR -China)", {TEXTS[1][0]}),
    ],
)
def test_translated_queries_find_what_the_matcher_would(
    fts: sqlite3.Connection, query: str, expected: set[str]
) -> None:
    assert _titles(fts, query) == expected


def test_filters_become_meta_tokens(fts: sqlite3.Connection) -> None:
    assert _titles(fts, "Kim", languages=["en"]) == {TEXTS[1][0]}
    assert _titles(fts, "Kim", feed_ids=[2]) == {TEXTS[0][0]}  # article 1 is in feed 2
    assert to_fts(None) == '{meta} : "xa"'


def test_every_word_is_quoted() -> None:
    match = to_fts(parse_query('AT&T C++ "NOT" title:xyz* OR y'))
    assert match is not None
    assert "NOT" not in match.replace('"not"', "")
    assert '"at t"' in match and '"c"' in match and '"xyz" *' in match


QUERY_ALPHABET = st.sampled_from(
    [
        *'abcKimJong-un"“„«»()*:^+&|~.,;!? \t',
        *(
            "OR",
            "NOT",
            "AND",
            "title:",
            "titel:",
            "NEAR",
            "{",
            "}",
            "ß",
            "ö",
            "북한",
            "\u200b",
            "'",
        ),
    ]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(QUERY_ALPHABET, max_size=30).map("".join) | st.text(max_size=60))
@example("Kim Jong-un")
@example("AT&T")
@example("C++")
@example("NOT")
@example('"')
@example("*")
@example("title:")
@example('"a" * "b"')
@example("abc*\u0301")
@example("NEAR(a b)")
def test_no_input_gives_an_fts5_syntax_error(fts: sqlite3.Connection, typed: str) -> None:
    try:
        query = parse_query(typed)
    except QueryError as error:
        assert error.message
        return
    for filters in ({}, {"feed_ids": [1, 2], "languages": ["de"]}):
        match = to_fts(query, **filters)  # type: ignore[arg-type]
        if match is not None:
            fts.execute("SELECT count(*) FROM search_fts WHERE search_fts MATCH ?", (match,))
