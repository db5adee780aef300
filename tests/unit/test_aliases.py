"""The topic tables: people, places and demonyms across languages and scripts."""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import pycountry
import pytest

from feeds.aliases import (
    DEMONYM_LANGUAGES,
    ORDINARY_WORDS,
    Entity,
    country_forms,
    demonyms,
    entities,
    entity_for,
)
from feeds.normalize import fold

# Demonyms two countries share by nature: "Congolese" is said of both Congos, "Dominican"
# of Dominica and the Dominican Republic.
SHARED_DEMONYMS = {frozenset({"CD", "CG"}), frozenset({"DM", "DO"})}
# Territories without any demonym in the press (uninhabited, or named after another place).
NO_DEMONYM = {"BV", "CC", "CX", "GG", "GS", "HM", "JE", "MF", "SJ", "TF", "UM"}
# Sovereign states whose Russian adjective is not in use (the country name is used instead).
NO_RUSSIAN_ADJECTIVE = {"SB"}


def entity(term: str) -> Entity:
    found = entity_for(term)
    assert found is not None, term
    return found


def folded_names(term: str) -> set[str]:
    return {fold(name) for name in entity(term).names}


def test_load_time_and_size_are_printed() -> None:
    start = time.perf_counter()
    table = entities()
    seconds = time.perf_counter() - start
    names = sum(len(entity.names) for entity in table)
    size = sum(sys.getsizeof(name) for entity in table for name in entity.names)
    print(
        f"\n{len(table)} entities, {names} names, {size / 1e6:.1f} MB of name strings, "
        f"loaded in {seconds:.2f} s (with the country table)"
    )
    assert len(table) >= 500


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Putin", ["Путин", "Путина", "Poutine", "普京", "普亭", "푸틴", "بوتين"]),
        ("Xi Jinping", ["习近平", "習近平", "Си Цзиньпин", "시진핑"]),
        ("Kim Jong Un", ["김정은", "金正恩", "Ким Чен Ын", "Kim Jong-un", "Kim Dzong Un"]),
        ("Pyongyang", ["Pjöngjang", "평양", "Пхеньян", "平壤", "Пхеньяне"]),
        ("Beijing", ["Peking", "Pékin", "北京", "Пекин", "Пекине", "베이징"]),
        (
            "Zelensky",
            ["Selenskyj", "Зеленский", "Зеленского", "Зеленський", "泽连斯基", "젤렌스키"],
        ),
    ],
)
def test_a_reader_term_means_the_names_in_every_script(term: str, expected: list[str]) -> None:
    assert {fold(name) for name in expected} <= folded_names(term)


@pytest.mark.parametrize(
    "term", ["Путина", "poutine", "PUTIN", "普京", "푸틴", "Kim Jong-un", "KIM JONG UN", "Пхеньяне"]
)
def test_any_form_resolves_back_to_its_entity(term: str) -> None:
    assert entity(term) is entity("Vladimir Putin") or entity(term).label in (
        "Kim Jong Un",
        "Pyongyang",
    )


def test_russian_names_decline_in_every_case() -> None:
    putin = folded_names("Putin")
    for form in ("Путина", "Путину", "Путиным", "Путине", "Владимира Путина", "Путіна"):
        assert fold(form) in putin
    assert fold("Ким Чен Ына") in folded_names("Kim Jong Un")  # only the last word declines
    assert fold("Кима Чена Ына") not in folded_names("Kim Jong Un")
    assert fold("Марии Захаровой") in folded_names("Maria Zakharova")
    assert fold("Москве") in folded_names("Moscow")


@pytest.mark.parametrize(
    "surname", ["Putin", "Zelensky", "Erdoğan", "Macron", "Netanyahu", "Scholz"]
)
def test_a_distinctive_surname_alone_names_the_person(surname: str) -> None:
    assert entity(surname).kind == "person"


@pytest.mark.parametrize(
    "word", ["Kim", "Xi", "Lee", "Wang", "Li", "Smith", "Jong", "Un", "Jinping"]
)
def test_a_common_surname_alone_stays_a_plain_word(word: str) -> None:
    assert entity_for(word) is None


def test_names_that_are_ordinary_words_are_flagged_for_the_matcher() -> None:
    assert fold("Poutine") in ORDINARY_WORDS
    assert fold("Poutine") in folded_names("Putin")  # still matches, as written
    assert entity_for("Rasputin") is None
    assert entity_for("Kimberly") is None


def test_every_entity_has_two_scripts_or_languages() -> None:
    for entity in entities():
        assert len(entity.scripts) >= 2 or len({fold(n) for n in entity.names}) >= 2, entity.key


def test_no_name_is_shared_by_two_entities() -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for entity in entities():
        for name in entity.names:
            owners[fold(name)].add(entity.key)
    assert not {name: keys for name, keys in owners.items() if len(keys) > 1}


def test_entities_cover_people_places_and_the_major_scripts() -> None:
    table = entities()
    assert sum(entity.kind == "person" for entity in table) >= 250
    assert sum(entity.kind == "place" for entity in table) >= 250
    for script in ("Latin", "Cyrillic", "Han", "Hangul", "Arabic"):
        assert sum(script in entity.scripts for entity in table) >= 300, script
    for region in ("Donbas", "Gaza", "Crimea", "Xinjiang", "Kashmir"):
        assert entity(region).kind == "place"


@pytest.mark.parametrize(
    ("code", "forms"),
    [
        ("KP", ["North Korean", "North Koreans"]),
        ("KP", ["nordkoreanisch", "nordkoreanische", "nordkoreanischem", "nordkoreanischen"]),
        ("KP", ["nordkoreanischer", "nordkoreanisches", "Nordkoreaner", "Nordkoreanerin"]),
        ("KP", ["nord-coréen", "nord-coréenne", "nord-coréens", "nord-coréennes"]),
        ("KP", ["norcoreano", "norcoreana", "norcoreanos", "norcoreanas"]),
        ("KP", ["nordcoreano", "nordcoreana", "nordcoreani", "nordcoreane"]),
        ("KP", ["norte-coreano", "norte-coreana", "norte-coreanos", "norte-coreanas"]),
        ("KP", ["северокорейский", "северокорейская", "северокорейское", "северокорейские"]),
        ("KP", ["северокорейского", "северокорейскому", "северокорейской", "северокорейских"]),
        ("KP", ["северокорейским", "северокорейскую", "северокорейцы", "북한인"]),
        ("FR", ["French", "französisch", "Französin", "française", "franceses", "francesi"]),
        ("FR", ["franceses", "francesas", "французский", "французы"]),
        ("DE", ["German", "deutschen", "allemande", "alemanes", "tedeschi", "alemães", "немецкие"]),
        ("CN", ["Chinese", "chinesische", "Chinesin", "chinoises", "chinas", "cinesi", "chinesas"]),
        ("TR", ["Turkish", "türkischen", "turque", "turcas", "turchi", "турецкой"]),
        ("UA", ["Ukrainian", "Ukrainians", "ukrainische", "ukrainienne", "ucranianos", "украинцы"]),
        ("US", ["American", "US-amerikanische", "américaine", "estadounidenses", "американские"]),
        ("GR", ["Greek", "grecque", "greci", "греческий"]),
    ],
)
def test_demonyms_are_inflected_in_each_language(code: str, forms: list[str]) -> None:
    have = {fold(form) for form in demonyms(code)}
    assert {fold(form) for form in forms} <= have


def test_every_country_has_demonyms_in_the_seven_languages() -> None:
    for country in pycountry.countries:
        code = country.alpha_2
        if code in NO_DEMONYM:
            assert demonyms(code) == ()
            continue
        assert demonyms(code), code
    sovereign = {"AF", "KP", "KR", "DE", "FR", "RU", "CN", "UA", "TW", "PS", "XK", "VA", "TV", "NR"}
    for code in sovereign:
        have = {fold(form) for form in demonyms(code)}
        assert len(have) >= len(DEMONYM_LANGUAGES) * 2, code


def test_no_demonym_points_at_two_countries_unless_they_share_it() -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for country in pycountry.countries:
        for form in demonyms(country.alpha_2):
            owners[fold(form)].add(country.alpha_2)
    shared = {frozenset(codes) for codes in owners.values() if len(codes) > 1}
    assert shared <= SHARED_DEMONYMS


def test_country_names_that_are_ordinary_words_are_not_demonyms() -> None:
    everything = {fold(form) for c in pycountry.countries for form in demonyms(c.alpha_2)}
    for word in ("Georgia", "Jordan", "Chad", "Turkey", "Pole", "Finn", "Swede", "Este", "Korean"):
        assert fold(word) not in everything


@pytest.mark.parametrize(
    ("code", "forms"),
    [
        ("KP", ["北韩", "朝鮮", "Северной Кореи", "Північної Кореї", "Північною Кореєю"]),
        ("KR", ["Южная Корея", "Южной Корее", "Південну Корею", "南韩"]),
        ("RU", ["РФ", "России", "Россией", "Росії", "Росією"]),
        ("UA", ["Украины", "Украине", "України", "Україною"]),
        ("CN", ["КНР", "Китая", "Китаем", "Китаєм", "Китайской Народной Республики"]),
        ("US", ["США", "Соединенных Штатов", "Сполучених Штатів"]),
    ],
)
def test_country_names_cldr_lacks_and_their_case_forms(code: str, forms: list[str]) -> None:
    assert {fold(form) for form in forms} <= {fold(form) for form in country_forms(code)}


def test_abbreviations_do_not_decline() -> None:
    assert not any(
        fold(form).startswith("кндр") and fold(form) != "кндр" for form in country_forms("KP")
    )


@pytest.mark.parametrize(
    ("code", "forms"),
    [
        ("UA", ["український", "української", "українського", "українець", "українців"]),
        ("RU", ["російський", "російські", "російських", "росіяни"]),
        ("CN", ["китайська", "китайця"]),
    ],
)
def test_ukrainian_adjectives_for_the_countries_in_ukrainian_news(
    code: str, forms: list[str]
) -> None:
    assert {fold(form) for form in forms} <= {fold(form) for form in demonyms(code)}


LABELLED = Path(__file__).parent.parent / "data" / "topics" / "labelled.jsonl"
CAUSES = {"plain", "script", "demonym", "compound", "cldr", "inflection", "trap", "unrelated"}


def test_the_labelled_set_is_large_varied_and_explained() -> None:
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 400
    assert len({row["id"] for row in rows}) == len(rows)
    assert len({row["lang"] for row in rows}) >= 6
    assert {row["cause"] for row in rows} == CAUSES
    for row in rows:
        assert row["title"] and row["query"] and row["source"]
        if row["label"]:
            assert row["reason"] and row["cause"] not in ("trap", "unrelated"), row["id"]
        else:
            assert row["cause"] in ("trap", "unrelated"), row["id"]
    positives = sum(row["label"] for row in rows) / len(rows)
    assert 0.3 <= positives <= 0.5


def test_the_tables_cover_the_labelled_names_of_people_and_places() -> None:
    """Every positive that hinges on a person's or place's name in another script or case is
    covered by that entity's names (the matcher still decides how to match them)."""
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        entity = entity_for(row["query"])
        if not row["label"] or entity is None or row["cause"] not in ("script", "inflection"):
            continue
        text = fold(f"{row['title']} {row['description']}")
        assert any(fold(name) in text for name in entity.names), row["id"]


def test_a_country_name_is_left_to_the_country() -> None:
    countries = {fold(name) for name in ("Algeria", "Алжир", "Mexico", "Тунис")}
    names = {fold(name) for entity in entities() for name in entity.names}
    assert not countries & names
    assert entity("Algiers").kind == "place"
