"""The query language: what a reader types becomes a tree, a restatement, or a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.query import (
    And,
    Not,
    Or,
    Query,
    QueryError,
    Term,
    describe,
    is_common_word,
    iter_terms,
    parse_query,
    query_from_json,
    query_to_json,
)


def term(query: Query) -> Term:
    assert isinstance(query.root, Term)
    return query.root


def test_words_are_all_required_in_any_order() -> None:
    root = parse_query("rakete kim").root
    assert isinstance(root, And)
    assert [t.words for t in iter_terms(root)] == [("rakete",), ("kim",)]


def test_a_quoted_phrase_is_one_term() -> None:
    kim = term(parse_query('"Kim Jong Un"'))
    assert (kim.text, kim.words, kim.phrase) == ("Kim Jong Un", ("kim", "jong", "un"), True)


@pytest.mark.parametrize("quoted", ["“kim jong un”", "„kim jong un“", "«kim jong un»"])
def test_typographic_quotes_from_phone_keyboards_make_phrases(quoted: str) -> None:
    assert term(parse_query(quoted)).words == ("kim", "jong", "un")


def test_a_hyphenated_word_is_a_phrase() -> None:
    root = parse_query("Kim Jong-un").root
    assert isinstance(root, And)
    jong_un = root.children[1]
    assert isinstance(jong_un, Term) and jong_un.phrase and jong_un.words == ("jong", "un")


def test_or_in_capitals_binds_tighter_than_and() -> None:
    root = parse_query("Kim OR Putin -sport").root
    assert isinstance(root, And)
    either, excluded = root.children
    assert isinstance(either, Or)
    kim, putin = either.children
    assert isinstance(kim, Term) and kim.text == "Kim"
    assert isinstance(putin, Or) and putin.alias_of == "Putin"  # a person in the news
    assert isinstance(excluded, Not) and isinstance(excluded.child, Term)


def test_lowercase_or_is_a_word() -> None:
    root = parse_query("rock or roll").root
    assert isinstance(root, And) and [t.text for t in iter_terms(root)] == ["rock", "or", "roll"]


def test_exclusions_of_words_and_phrases() -> None:
    root = parse_query('korea -"south korea" -sport').root
    assert isinstance(root, And)
    assert [type(child) for child in root.children] == [Term, Not, Not]


def test_prefix_and_title_only() -> None:
    prefix = term(parse_query("Raketen*"))
    assert (prefix.words, prefix.prefix) == (("raketen",), True)
    title = term(parse_query("title:Haushalt"))
    assert (title.words, title.title_only) == (("haushalt",), True)
    putin = parse_query("title:Putin").root
    assert isinstance(putin, Or) and all(t.title_only for t in iter_terms(putin))
    root = parse_query('title:(kim OR "xi jinping") china').root
    assert isinstance(root, And)
    assert [t.title_only for t in iter_terms(root.children[0])] == [True, True]
    assert not next(iter_terms(root.children[1])).title_only


def test_parentheses_group() -> None:
    root = parse_query("(china OR russland) sanktionen").root
    assert isinstance(root, And) and isinstance(root.children[0], Or)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "The query is empty"),
        ("   ", "The query is empty"),
        ("&", "The query is empty"),
        ("-sport", "only excludes"),
        ("-sport -fussball", "only excludes"),
        ("-sport OR kim", "only excludes"),
        ('"kim jong', "Unbalanced quotes"),
        ("(china OR russia", "Unbalanced parentheses: a ( is never closed"),
        ("china)", "Unbalanced parentheses: a ) has no matching ("),
        ("()", "Empty parentheses"),
        ("*korea", "A * can only end a word"),
        ("ko*rea", "A * can only end a word"),
        ("ra*", "at least 3 letters"),
        (" ".join(f"w{i}" for i in range(21)), "at most 20"),
        ("x" * 201, "too long (201 characters)"),
        ("china OR", "OR needs something to look for on both sides"),
        ("OR china", "OR needs something to look for on both sides"),
        ("china OR OR russia", "OR needs something to look for on both sides"),
        ("(china OR) russia", "OR needs something to look for on both sides"),
        ("korea NOT", "needs a word or phrase right after it"),
        ("title: kim", "title: needs a word"),
        ("((((((((((kim))))))))))", "nested parentheses"),
    ],
)
def test_unusable_queries_are_explained(text: str, says: str) -> None:
    with pytest.raises(QueryError) as error:
        parse_query(text)
    assert says in error.value.message
    assert "Example" in error.value.message or "Split" in error.value.message


def test_messages_go_through_the_translation_function_before_formatting() -> None:
    catalog = {
        "Too many words ({count}): a query may have at most {limit}. "
        "Split it into several subscriptions.": "Zu viele Wörter ({count}), höchstens {limit}.",
    }
    with pytest.raises(QueryError) as error:
        parse_query(" ".join(f"w{i}" for i in range(25)), _=lambda s: catalog.get(s, s))
    assert error.value.message == "Zu viele Wörter (25), höchstens 20."


def test_describe_uses_the_translation_function() -> None:
    query = parse_query("kim -sport")
    assert describe(query, _=lambda s: s.replace("articles containing", "Artikel mit")) == (
        "Artikel mit kim, but not sport"
    )


def test_every_message_is_a_literal_gettext_can_extract() -> None:
    source = Path(__file__).parents[2] / "feeds" / "query.py"
    found = {message for _line, message, _comments, _context in extract_from_file("python", source)}
    assert 'Unbalanced quotes: close the phrase with a second ". Example: "kim jong un"' in found
    assert (
        "{name} also matches {names} and {count} more form ({scripts})",
        "{name} also matches {names} and {count} more forms ({scripts})",
    ) in found
    assert "articles containing {what}" in found
    assert len(found) >= 20


def test_describe_restates_the_query() -> None:
    query = parse_query('"kim jong un" OR Haushalt -sport')
    assert describe(query) == (
        "articles containing the phrase kim jong un or Haushalt, but not sport"
    )
    assert describe(parse_query("(China OR Russland) Nordkorea")).startswith(
        "articles containing (China or Russland) and Nordkorea\n"
    )
    assert describe(parse_query('"Korea"')) == "articles containing Korea exactly as typed"
    assert describe(parse_query("raket* title:kim")) == (
        "articles containing words starting with raket and kim in the headline"
    )


def test_a_country_name_expands_to_its_names_in_other_languages() -> None:
    query = parse_query("North Korea")
    assert isinstance(query.root, Or) and query.root.alias_of == "North Korea"
    ((typed, names),) = query.aliases
    assert typed == "North Korea"
    for name in ("Nordkorea", "Corée du Nord", "КНДР", "Северная Корея", "북한", "北朝鮮", "DPRK"):
        assert name in names
    assert "North Korea" not in names
    assert not any("," in name for name in names), "inverted official forms are left out"
    text = describe(query)
    assert text.startswith("articles containing North Korea\nNorth Korea also matches Nordkorea, ")
    assert "Nordkorea" in text


def test_country_names_expand_inside_larger_queries() -> None:
    query = parse_query("north korea missile -south -korea")
    assert [typed for typed, _names in query.aliases] == ["north korea"]
    query = parse_query('north korea missile -"south korea"')
    assert [typed for typed, _names in query.aliases] == ["north korea"], "quoted: as typed"
    query = parse_query("China OR Russland")
    assert [typed for typed, _names in query.aliases] == ["China", "Russland"]
    assert "Russia" in query.aliases[1][1]


@pytest.mark.parametrize("name", ["Georgia", "Jordan", "Chad", "Turkey", "Korea", "US", "Guinea"])
def test_ambiguous_names_match_only_literally(name: str) -> None:
    query = parse_query(name)
    assert query.aliases == ()
    assert isinstance(query.root, Term)


def test_ambiguous_names_are_no_alternative_of_other_names() -> None:
    (_typed, names), *_ = parse_query("Georgien").aliases
    assert "Грузия" in names and "Georgia" not in names
    (_typed, names), *_ = parse_query("Türkei").aliases
    assert "Türkiye" in names and "Turkey" not in names


def test_prefixes_and_phrases_that_are_not_names_are_left_alone() -> None:
    assert parse_query("Nordkor*").aliases == ()
    assert parse_query('"kim jong un"').aliases == ()


ROUND_TRIP = [
    "Nordkorea",
    "North Korea",
    '"Kim Jong Un"',
    "Kim*",
    "Korea -South",
    "title:Putin",
    "China OR Russland",
    'title:(kim OR "xi jinping") -"south korea" raket*',
    "북한",
    "(a OR b) (c OR -d)",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_the_stored_form_round_trips(text: str) -> None:
    query = parse_query(text)
    stored = query_to_json(query)
    assert query_from_json(stored) == query
    assert query_to_json(query_from_json(stored)) == stored


def test_the_stored_form_keeps_only_the_typed_country_name() -> None:
    stored = query_to_json(parse_query("Nordkorea -Fußball"))
    assert "Nordkorea" in stored and "Corée" not in stored and len(stored) < 200
    assert query_from_json(stored).aliases == parse_query("Nordkorea -Fußball").aliases


def test_a_malformed_stored_form_is_refused() -> None:
    with pytest.raises(ValueError):
        query_from_json('{"v": 99}')
    with pytest.raises(ValueError):
        query_from_json('{"v": 1, "text": "x", "root": {"what": 1}, "aliases": []}')


QUERY_ALPHABET = st.sampled_from(
    [*'abcxyzÄöß北한 "“”„()*-–:', "OR", "NOT", "AND", "title:", "titel:", "korea", "Nordkorea"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(QUERY_ALPHABET, max_size=40).map("".join) | st.text(max_size=120))
def test_any_input_parses_or_is_explained(text: str) -> None:
    try:
        query = parse_query(text)
    except QueryError as error:
        assert error.message
        return
    assert any(True for _ in iter_terms(query.root))
    assert query_from_json(query_to_json(query)) == query
    assert describe(query)


# Topics (issue 12)


def test_a_quoted_word_is_matched_as_typed() -> None:
    korea = term(parse_query('"Korea"'))
    assert korea.exact and korea.words == ("korea",)
    assert parse_query('"Putin"').aliases == ()
    assert parse_query('"Nordkorea"').aliases == ()
    stored = query_to_json(parse_query('"Korea" Wahl'))
    assert term_texts(query_from_json(stored)) == [("Korea", True), ("Wahl", False)]


def term_texts(query: Query) -> list[tuple[str, bool]]:
    return [(t.text, t.exact) for t in iter_terms(query.root)]


def test_a_person_in_the_news_is_restated_in_one_short_line() -> None:
    text = describe(parse_query("Putin"))
    first, second = text.split("\n")
    assert first == "articles containing Putin"
    for name in ("Путин", "普京", "푸틴"):
        assert name in second
    assert "(Latin, Cyrillic, Chinese, Japanese, Korean, …)" in second
    assert len(second) < 200


def test_a_country_also_means_its_adjectives_and_demonyms() -> None:
    ((_typed, names),) = parse_query("Nordkorea").aliases
    assert {"North Korean", "nordkoreanische", "nord-coréen", "северокорейский"} <= set(names)


def test_a_surname_alone_names_a_person_only_when_distinctive() -> None:
    assert parse_query("Putin").aliases
    assert parse_query("Kim").aliases == ()
    assert parse_query("Xi").aliases == ()
    assert [typed for typed, _ in parse_query("Kim Jong Un").aliases] == ["Kim Jong Un"]


def test_a_name_inside_another_countrys_name_is_no_alternative() -> None:
    ((_typed, names),) = parse_query("Südkorea").aliases
    assert "Republic of Korea" not in names


@pytest.mark.parametrize(
    ("name", "common"),
    [
        ("Nice", True),
        ("Mobile", True),
        ("Chad", True),
        ("China", False),
        ("Peking", False),
        ("Moskau", False),
        ("Seoul", False),
        ("Pjöngjang", False),
        ("Putin", False),
    ],
)
def test_names_of_people_and_places_that_are_ordinary_words(name: str, common: bool) -> None:
    """Such a name is no alternative of another: `Nizza` must not find "nice weather"."""
    assert is_common_word(name) is common
