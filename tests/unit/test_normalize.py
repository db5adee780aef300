"""Folding, tokens, lemmas and index tokens: a word typed by a reader meets it in any article."""

from __future__ import annotations

import pytest

from feeds.normalize import (
    analyze,
    fold,
    forms_of,
    index_words,
    name_skeleton,
    script_of,
    transliterate,
    words,
)


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


# Topics (issue 12): compound parts, Korean word ends, transliteration keys.


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("Raketenstart", {"+rakete", "+start"}),
        ("Interkontinentalrakete", {"+interkontinental", "+rakete"}),
        ("Nordkoreas", {"+nord", "+korea"}),
        ("Südkorea", {"+sud", "+korea"}),
        ("Atomraketentest", {"+atom", "+rakete", "+test"}),
        ("Sportminister", {"+sport", "+minister"}),
    ],
)
def test_german_compounds_carry_their_dictionary_parts(word: str, parts: set[str]) -> None:
    (position,) = analyze(word, "de")
    assert {form for form in position if form.startswith("+")} == parts


@pytest.mark.parametrize("word", ["Kimchi", "Kimberly", "Koreanische", "Rasputin"])
def test_words_that_are_no_compound_of_dictionary_words_stay_whole(word: str) -> None:
    keys = forms_of(analyze(word, "de"))
    assert "+kim" not in keys and "+korea" not in keys and "+putin" not in keys
    assert analyze(word, "en") == [tuple(k for k in analyze(word, "en")[0] if k[0] != "+")]


def test_compound_parts_stay_out_of_canonical_keys_and_the_search_index() -> None:
    assert words("Raketenstart in Nordkorea", "de") == ["raketenstart", "in", "nordkorea"]
    assert not any(token.startswith("+") for token in index_words("Raketenstart", "de"))


def test_a_korean_noun_ends_before_particles_not_inside_a_longer_word() -> None:
    assert "~북한" in forms_of(analyze("북한은 미사일을"))
    assert "~북한" in forms_of(analyze("북한의 발표"))
    assert "~북한" not in forms_of(analyze("북한산 등산로"))


def test_cyrillic_names_carry_a_romanized_key_that_latin_spellings_share() -> None:
    keys = forms_of(analyze("Соратники Навального задержаны", "ru"))
    skeletons = {key for key in keys if key.startswith("=")}
    assert "=" + name_skeleton("navalny") in skeletons
    assert name_skeleton("nawalny") == name_skeleton("navalnyy") == name_skeleton("navalny")
    assert name_skeleton("kim") == ""  # too short to be safe
    assert transliterate("путин") == "putin"


def test_russian_inflection_of_names_is_understood() -> None:
    assert "путин" in forms_of(analyze("Встреча с Путиным", "ru"))
    assert "путин" in forms_of(analyze("Соратники Путина"))


def test_a_name_that_is_an_ordinary_word_is_marked_when_capitalized() -> None:
    assert "^poutine" in forms_of(analyze("Poutine reçu à Pékin", "fr"))
    assert "^poutine" not in forms_of(analyze("la poutine du Québec", "fr"))


def test_the_script_of_a_name() -> None:
    assert [script_of(n) for n in ("Putin", "Путин", "普京", "プーチン", "푸틴", "بوتين")] == [
        "Latin",
        "Cyrillic",
        "Han",
        "Kana",
        "Hangul",
        "Arabic",
    ]
