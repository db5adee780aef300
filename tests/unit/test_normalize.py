"""Folding, tokens, lemmas and index tokens: a word typed by a reader meets it in any article."""

from __future__ import annotations

import pytest

from feeds.normalize import analyze, fold, forms_of, index_words, words


@pytest.mark.parametrize(
    "variants",
    [
        # Hyphen, non-breaking hyphen (U+2011), en and em dash, minus, case.
        ("Kim Jong-un", "KIM JONG‑UN", "Kim Jong Un", "kim jong–un", "Kim Jong—Un", "Kim Jong−un"),
        ("Fußball", "Fussball", "FUSSBALL", "fußball"),
        ("Köln", "Koeln", "KÖLN", "Koln"),
        ("Łódź", "Lodz", "ŁÓDŹ"),
        ("Zürich", "Zuerich", "Zurich"),
        ("Österreich", "Oesterreich", "Osterreich"),
        ("São Paulo", "Sao Paulo"),
        ("Ærø", "Aero"),
        ("Île-de-France", "Ile de France"),
        ("Ёлка", "Елка"),
        ("Ελλάδα", "ΕΛΛΑΔΑ", "Ελλαδα"),
        ("Raketen\u00adfabrik", "Raketenfabrik"),  # soft hyphen inside a word
        ("Ko\u0308ln", "Köln"),  # decomposed umlaut (NFD, as macOS writes it)
        ("Ｋｉｍ", "Kim"),  # full-width letters
    ],
)
def test_spellings_of_one_word_fold_alike(variants: tuple[str, ...]) -> None:
    assert len({fold(v) for v in variants}) == 1, [fold(v) for v in variants]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("guest", "gust"),  # English ue after g stays
        ("neuen", "neun"),  # ue after a vowel stays
        ("blue", "blu"),  # at the end of a word
        ("Kim", "Kimberly"),
        ("Korea", "Koreanische"),
        ("Jo", "Joe"),
        ("й", "и"),  # Cyrillic short i is its own letter
    ],
)
def test_different_words_stay_different(one: str, other: str) -> None:
    assert fold(one) != fold(other)


def test_punctuation_and_possessives_do_not_stick_to_words() -> None:
    assert fold("South Korea's president") == "south korea president"
    assert fold("Putin’s war") == "putin war"
    assert fold("„Kim“, (Putin) & Xi!") == "kim putin xi"
    assert fold("") == ""
    assert fold("!!! — …") == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nordkoreas", ["nordkorea"]),
        ("Raketen", ["rakete"]),
        ("missiles", ["missile"]),
        ("Putins", ["putin"]),  # German genitive of a name
        ("Sanktionen", ["sanktion"]),
        ("elections", ["election"]),
        # Names and short words stay as they are.
        ("Kim Jong-un", ["kim", "jong", "un"]),
        ("Putin Trump Merkel Biden Xi", ["putin", "trump", "merkel", "biden", "xi"]),
    ],
)
def test_words_are_lemmatized_for_german_and_english(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_english_possessive_is_not_a_genitive_stem() -> None:
    # In English text a capitalized word in -s is not a genitive: `News` is not `new`.
    assert "new" not in forms_of(analyze("Breaking News", "en"))
    assert forms_of(analyze("Texas Reuters", "en")) == {"texas", "reuters"}
    # In German text it is: `Putins Reise` is Putin's journey.
    assert "putin" in forms_of(analyze("Putins Reise", "de"))
    assert "putin" in forms_of(analyze("Putins Reise"))


@pytest.mark.parametrize(
    ("one", "other"),
    [
        # The lemmatizer must not merge unrelated words from the must-hold examples.
        ("Kim", "Kimberly"),
        ("Korea", "Koreanische"),
        ("Fußball", "Österreich"),
        ("missile", "North"),
        ("Putin", "China"),
        ("Russland", "Raketenfabrik"),
        # Nor words of one language with function words of the other.
        ("war", "ist"),  # German `ist` lemmatizes to `sein`, English `war` must not
        ("died", "die"),  # English `died` lemmatizes to `die`, German `die` is `the`
        ("eine", "ein"),
        ("hat", "haben"),
    ],
)
def test_unrelated_words_share_no_form(one: str, other: str) -> None:
    assert forms_of(analyze(one)).isdisjoint(forms_of(analyze(other)))


def test_unspaced_scripts_become_bigrams() -> None:
    assert words("북한") == ["북한"]
    assert words("북한은 오늘 미사일을 발사했다")[:2] == ["북한", "한은"]
    assert words("北朝鮮") == ["北朝", "朝鮮"]
    assert words("朝") == ["朝"]
    # The article side also carries every character, for one-character queries.
    assert {"北", "朝", "鮮"} <= forms_of(analyze("北朝鮮が発射"))


MUST_HOLD_WORDS = [
    ("Nordkorea", "Für eine seiner seltenen Auslandsreisen ist Nordkoreas Machthaber Kim Jong-un"),
    ("Kim Jong Un", "Nordkoreas Machthaber Kim Jong-un"),
    ("Korea", "North Korea fires missile"),
    ("China", "Seltene Auslandsreise: Kim fährt nach China"),
    ("Fußball", "Fussball-WM: Österreich gewinnt"),
    ("missile", "North Korea test-fires two missiles"),
    ("북한", "북한은 오늘 미사일을 발사했다"),
    ("Putin", "Man erwartet, dass Kim dort den russischen Präsidenten Wladimir Putin trifft"),
    ("Rakete", "Kim inspizierte neue Raketen"),
]


@pytest.mark.parametrize(("query", "text"), MUST_HOLD_WORDS)
def test_query_words_are_among_the_index_words_of_a_matching_text(query: str, text: str) -> None:
    assert set(words(query)) <= set(index_words(text))


def test_index_words_keep_phrases_adjacent_and_surfaces_for_prefixes() -> None:
    tokens = index_words("Nordkoreas Machthaber Kim Jong-un besucht eine Raketenfabrik")
    assert tokens[:5] == ["nordkorea", "machthaber", "kim", "jong", "un"]
    # A phrase query of canonical words finds them side by side.
    joined = " ".join(tokens)
    assert " ".join(words("Kim Jong Un")) in joined
    # Prefix queries run over folded surface forms.
    assert any(t.startswith("raketen") for t in tokens)
    assert "nordkoreas" in tokens


def test_query_side_and_article_side_agree_on_spaced_words() -> None:
    text = "Kim Jong-un besucht Putins Raketenfabrik in Pjöngjang"
    article = [
        tuple(form for form in position if not form.startswith("+"))
        for position in analyze(text, article=True)
    ]
    assert analyze(text, article=False) == article
