"""People and places in the news, and countries' adjectives and demonyms, across languages.

A minimal stand-in with a handful of real entries, so the matching engine can be built and
tested against the data API; the full tables (500+ entities, every country's demonyms, with
their sources) replace it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from feeds.normalize import fold

__all__ = ["ORDINARY_WORDS", "Entity", "country_forms", "demonyms", "entities", "entity_for"]


@dataclass(frozen=True, slots=True)
class Entity:
    """A person or place readers name in many languages and scripts."""

    key: str
    kind: str
    label: str
    names: tuple[str, ...]
    scripts: tuple[str, ...]


_ENTITIES = (
    Entity(
        "Q7747",
        "person",
        "Vladimir Putin",
        (
            "Vladimir Putin", "Putin", "Wladimir Putin", "Vladimir Poutine", "Poutine",
            "Владимир Путин", "Путин", "Путина", "Путину", "Путиным", "Путине",
            "Володимир Путін", "Путін", "普京", "普丁", "プーチン", "푸틴", "블라디미르 푸틴",
            "بوتين", "فلاديمير بوتين",
        ),
        ("Latin", "Cyrillic", "Han", "Kana", "Hangul", "Arabic"),
    ),
    Entity(
        "Q15031",
        "person",
        "Xi Jinping",
        ("Xi Jinping", "习近平", "習近平", "Си Цзиньпин", "Си Цзиньпина", "시진핑", "شي جين بينغ"),
        ("Latin", "Han", "Cyrillic", "Hangul", "Arabic"),
    ),
    Entity(
        "Q56226",
        "person",
        "Kim Jong Un",
        (
            "Kim Jong Un", "Kim Jong-un", "Kim Dschong Un", "Kim Jong-eun", "김정은", "金正恩",
            "Ким Чен Ын", "Ким Чен Ына", "Ким Чен Ыну", "كيم جونغ أون",
        ),
        ("Latin", "Hangul", "Han", "Cyrillic", "Arabic"),
    ),
    Entity(
        "Q18808",
        "place",
        "Pyongyang",
        (
            "Pyongyang", "Pjöngjang", "P'yŏngyang", "평양", "平壤", "Пхеньян", "بيونغ يانغ",
        ),
        ("Latin", "Hangul", "Han", "Cyrillic", "Arabic"),
    ),
    Entity(
        "Q8684",
        "place",
        "Seoul",
        ("Seoul", "Séoul", "Seúl", "서울", "首尔", "首爾", "ソウル", "Сеул", "سول"),
        ("Latin", "Hangul", "Han", "Kana", "Cyrillic", "Arabic"),
    ),
    Entity(
        "Q956",
        "place",
        "Beijing",
        (
            "Beijing", "Peking", "Pékin", "Pekín", "Pechino", "北京", "베이징", "Пекин", "Пекине",
            "بكين",
        ),
        ("Latin", "Han", "Hangul", "Cyrillic", "Arabic"),
    ),
    Entity(
        "Q649",
        "place",
        "Moscow",
        ("Moscow", "Moskau", "Moscou", "Moscú", "Mosca", "Москва", "Москве", "Москвы", "莫斯科",
         "모스크바", "موسكو"),
        ("Latin", "Cyrillic", "Han", "Hangul", "Arabic"),
    ),
)  # fmt: skip

# Names that are a surname alone resolve only when distinctive: `Putin` is one man, `Kim` and
# `Xi` are many people (and `Xi` a letter).
_SURNAMES_THAT_NAME = {"putin": "Q7747", "путин": "Q7747", "poutine": "Q7747"}

_DEMONYMS: dict[str, tuple[str, ...]] = {
    "KP": (
        "North Korean", "North Koreans", "nordkoreanisch", "nordkoreanische", "nordkoreanischen",
        "nordkoreanischer", "nordkoreanisches", "nordkoreanischem", "Nordkoreaner",
        "Nordkoreanerin", "Nordkoreanern", "nord-coréen", "nord-coréenne", "nord-coréens",
        "nord-coréennes", "norcoreano", "norcoreana", "norcoreanos", "norcoreanas", "nordcoreano",
        "nordcoreana", "nordcoreani", "nordcoreane", "norte-coreano", "norte-coreana",
        "северокорейский", "северокорейская", "северокорейское", "северокорейские",
        "северокорейского", "северокорейских", "северокорейскую",
    ),
    "KR": (
        "South Korean", "South Koreans", "südkoreanisch", "südkoreanische", "südkoreanischen",
        "südkoreanischer", "südkoreanisches", "Südkoreaner", "sud-coréen", "sud-coréenne",
        "surcoreano", "surcoreana", "sudcoreano", "sudcoreana", "южнокорейский",
        "южнокорейская", "южнокорейские", "южнокорейского",
    ),
    "RU": (
        "Russian", "Russians", "russisch", "russische", "russischen", "russischer",
        "russisches", "Russe", "Russen", "russe", "russes", "ruso", "rusa", "rusos", "russo",
        "russa", "russi", "российский", "российская", "российские", "российского",
    ),
    "CN": (
        "Chinese", "chinesisch", "chinesische", "chinesischen", "chinesischer", "Chinese",
        "Chinesen", "chinois", "chinoise", "chino", "china", "cinese", "cinesi", "chinês",
        "китайский", "китайская", "китайские", "китайского",
    ),
    "DE": (
        "German", "Germans", "deutsch", "deutsche", "deutschen", "deutscher", "deutsches",
        "allemand", "allemande", "alemán", "alemana", "tedesco", "tedesca", "alemão",
        "немецкий", "немецкая", "немецкие", "немецкого",
    ),
    "FR": (
        "French", "französisch", "französische", "französischen", "französischer", "Franzosen",
        "français", "française", "francés", "francesa", "francese", "francês",
        "французский", "французская", "французские", "французского",
    ),
}  # fmt: skip


ORDINARY_WORDS: frozenset[str] = frozenset(fold(word) for word in ("Poutine",))
"""Folded names that are also ordinary words somewhere: the name only as written, capitalized
(`Poutine` is Putin in French, `la poutine` a dish)."""

_PRESS_NAMES: dict[str, tuple[str, ...]] = {
    "KP": ("北韩", "朝鮮", "Северной Кореи", "Північна Корея"),
    "RU": ("РФ", "России", "Россией", "Росія", "Росії", "Росією"),
    "CN": ("КНР", "Китая", "Китаем", "Китаю"),
}


def country_forms(alpha2: str) -> tuple[str, ...]:
    """Names of a country that CLDR lacks: press names and Russian/Ukrainian case forms."""
    return _PRESS_NAMES.get(alpha2.upper(), ())


def entities() -> tuple[Entity, ...]:
    """Every person and place in the table."""
    return _ENTITIES


@cache
def _by_name() -> dict[str, Entity]:
    table: dict[str, Entity] = {}
    for entity in _ENTITIES:
        for name in entity.names:
            key = fold(name)
            if len(key.split()) > 1 or not key.isascii() or key in _SURNAMES_THAT_NAME:
                table.setdefault(key, entity)
    by_key = {entity.key: entity for entity in _ENTITIES}
    for surname, key in _SURNAMES_THAT_NAME.items():
        table[surname] = by_key[key]
    # One-word Latin names of places are the place (`Pyongyang`, `Moskau`).
    for entity in _ENTITIES:
        if entity.kind == "place":
            for name in entity.names:
                table.setdefault(fold(name), entity)
    return table


def entity_for(term: str) -> Entity | None:
    """The entity a reader's term names (folded, any language or script), or None.

    A surname alone resolves only where listed as distinctive (`Putin` yes; `Kim`, `Xi` no).
    """
    return _by_name().get(fold(term))


def demonyms(alpha2: str) -> tuple[str, ...]:
    """A country's adjectives and demonyms as written, inflected, in several languages."""
    return _DEMONYMS.get(alpha2, ())
