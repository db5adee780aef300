"""Scoped subscriptions: `source:` and `lang:` inside a subscription restrict what alerts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.query import QueryError
from feeds.scope import Scope, describe_scope, split_scope

KRONE = ("Krone.at – Nachrichten", "https://www.krone.at/feed")
SPIEGEL = ("SPIEGEL ONLINE", "https://www.spiegel.de/schlagzeilen/index.rss")


def test_filters_are_split_off_the_query() -> None:
    query, scope = split_scope("Nordkorea source:krone lang:de")
    assert query == "Nordkorea"
    assert scope == Scope(sources=("krone",), languages=("de",))


def test_several_values_and_german_spellings_are_understood() -> None:
    query, scope = split_scope('"Kim Jong Un" quelle:krone,spiegel sprache:de lang:EN')
    assert query == '"Kim Jong Un"'
    assert scope.sources == ("krone", "spiegel")
    assert scope.languages == ("de", "en")


def test_a_filter_inside_a_phrase_is_text() -> None:
    query, scope = split_scope('"source:krone" Putin')
    assert query == '"source:krone" Putin'
    assert not scope


def test_an_unscoped_subscription_allows_everything() -> None:
    query, scope = split_scope("Putin")
    assert (query, scope) == ("Putin", Scope())
    assert scope.allows(*KRONE, None)


def test_a_source_matches_the_feed_name_or_host() -> None:
    _, scope = split_scope("Putin source:krone")
    assert scope.allows(*KRONE, "de")
    assert not scope.allows(*SPIEGEL, "de")
    _, by_host = split_scope("Putin source:spiegel.de")
    assert by_host.allows("Some title", SPIEGEL[1], "de")
    _, accents = split_scope("Putin source:Österreich")
    assert accents.allows("ORF Oesterreich", "https://orf.at/rss", None)


def test_a_language_scope_leaves_out_other_and_unknown_languages() -> None:
    _, scope = split_scope("Putin lang:de")
    assert scope.allows(*SPIEGEL, "de")
    assert not scope.allows(*SPIEGEL, "en")
    assert not scope.allows(*SPIEGEL, None)


@pytest.mark.parametrize(
    "text", ["Putin since:7d", "Putin sort:relevance", "Putin lang:deutsch", "Putin lang:1"]
)
def test_filters_that_make_no_sense_for_alerts_are_refused(text: str) -> None:
    with pytest.raises(QueryError):
        split_scope(text)


def test_too_many_values_are_refused() -> None:
    with pytest.raises(QueryError, match="at most 5"):
        split_scope("Putin source:a,b,c,d,e,f")


def test_the_description_names_sources_and_languages() -> None:
    _, scope = split_scope("Putin source:krone lang:de,en")
    assert describe_scope(scope) == "only from krone; only in de, en"
    names = {"de": "German", "en": "English"}
    assert describe_scope(scope, name_language=names.__getitem__) == (
        "only from krone; only in German, English"
    )
    assert describe_scope(Scope()) == ""


def test_json_round_trip_and_damaged_storage() -> None:
    scope = Scope(sources=("krone", "orf.at"), languages=("de",))
    assert Scope.from_json(scope.to_json()) == scope
    assert Scope().to_json() is None
    for damaged in (None, "", "{", "[1]", '{"sources": [1, ""], "languages": "de"}'):
        assert Scope.from_json(damaged) == Scope()


# Words start with a letter: a source name of punctuation only names no feed, in search too.
_WORD = st.from_regex(r"[a-zäöü][a-zäöü.-]{0,11}", fullmatch=True)


@given(
    words=st.lists(_WORD, min_size=1, max_size=4),
    sources=st.lists(_WORD, max_size=5),
    languages=st.lists(st.sampled_from(["de", "en", "fr", "ru", "ko"]), max_size=5),
)
def test_any_scoped_text_splits_and_round_trips(
    words: list[str], sources: list[str], languages: list[str]
) -> None:
    text = " ".join([*words, *(f"source:{s}" for s in sources), *(f"lang:{c}" for c in languages)])
    query, scope = split_scope(text)
    assert query == " ".join(words)
    assert set(scope.sources) == {s.casefold() for s in sources}
    assert set(scope.languages) == set(languages)
    assert Scope.from_json(scope.to_json()) == scope
    for source in sources:
        assert scope.allows(source, "https://example.org/feed", languages[0] if languages else None)
