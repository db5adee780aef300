"""Country names across languages, so a query naming a country finds it in any language.

The names come from the CLDR territory names shipped with Babel (for the languages in
`LOCALES`), pycountry's official and common English names, and a short list of usual press
names CLDR lacks (`DPRK`, `UK`, `Burma`, …). Left out:

- inverted official forms (`Korea, Democratic People's Republic of`), special regions
  (`Hong Kong SAR China`) and parenthesized qualifiers (`Myanmar (Burma)` gives `Myanmar`);
- ambiguous names, which match only literally (never trigger an expansion, never appear as
  an alternative): common words or person names (`Georgia`, `Jordan`, `Chad`, `Turkey`, …),
  names in another language that are German or English words (Czech `Čad` is English `cad`,
  Polish `Indie`, German-looking `Butan`), all in `AMBIGUOUS`; and names two territories share.

Names are keyed by `feeds.normalize.fold`, so `Corée du Nord`, `COREE DU NORD` and
`Coree-du-Nord` are one key. The table is built once, lazily (about 0.5 s), and cached.
"""

from __future__ import annotations

import pickle
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

import pycountry
from babel import localedata

from feeds.normalize import fold

__all__ = [
    "AMBIGUOUS",
    "LOCALES",
    "CountryTable",
    "country_of",
    "inside_other_name",
    "names",
    "table",
    "territory_names",
]

LOCALES: tuple[str, ...] = (
    # The languages of our readers and feeds first: their names are listed first.
    "en",
    "de",
    "fr",
    "es",
    "it",
    "pt",
    "nl",
    "ru",
    "uk",
    "pl",
    "ko",
    "ja",
    "zh",
    "zh_Hant",
    "ar",
    "tr",
    "el",
    "cs",
    "sk",
    "hu",
    "ro",
    "bg",
    "hr",
    "sr",
    "sl",
    "be",
    "sv",
    "da",
    "no",  # Norwegian Bokmål: CLDR keeps its names in the parent locale
    "fi",
    "et",
    "lv",
    "lt",
    "ga",
    "ca",
    "eu",
    "gl",
    "is",
    "sq",
    "mk",
    "ka",
    "hy",
    "az",
    "kk",
    "uz",
    "mn",
    "he",
    "fa",
    "hi",
    "bn",
    "ur",
    "th",
    "vi",
    "id",
    "ms",
    "sw",
    "af",
)

AMBIGUOUS = frozenset(
    fold(name)
    for name in (
        # Common English or German words, first names, or a part of another country's name.
        "Georgia",
        "Jordan",
        "Chad",
        "Turkey",
        "Guinea",
        "Congo",
        "Kongo",
        "Jersey",
        "Guernsey",
        "Man",
        "Réunion",
        "Korea",
        "Samoa",
        "Virgin Islands",
        "Macedonia",
        "Christmas Island",
        "Norfolk Island",
        "Norfolk",
        "US",
        "Amerika",
        "America",
        "Guiana",
        # Names in other languages that are German or English words or names
        # (found with simplemma.is_known over the table, then read by hand).
        "Čad",  # cad
        "Pole",
        "Swede",
        "Granada",
        "Grenade",
        "Salvador",
        "Maurice",
        "Dominique",
        "Columbia",
        "Tunis",
        "Chili",
        "Malte",
        "Bermudas",
        "Indie",
        "Butan",  # German: butane
        "Ungern",  # German: reluctantly
        "Omã",  # German Oma
        "Irã",  # Ira
        "Tóga",
        "Togas",
        "Spánn",
        "Brasilia",
        "Đức",
        "Séc",
        "Mön",
        "Tai",
        "Lao",
        "Fas",
        "Quam",
        "Filipina",
        # Demonyms (Swahili lists some country names that way): an adjective is not the country.
        "Azerbaijani",
        "Bangladeshi",
        "Omani",
        "Pakistani",
        "Tajikistani",
        "Yemeni",
        "Swiss",
    )
)

# Usual press names missing from CLDR (as CLDR lists one name per language).
_EXTRA_NAMES: dict[str, tuple[str, ...]] = {
    "KP": ("DPRK", "Северная Корея", "北韩", "北韓", "朝鮮"),
    "KR": ("Republic of Korea", "한국", "南韩", "南韓", "韓國"),
    "US": ("USA", "U.S.", "U.S.A.", "United States of America"),
    "GB": ("UK", "U.K.", "Britain", "Great Britain", "Großbritannien", "Grande-Bretagne"),
    "CN": ("PRC", "Volksrepublik China"),
    "CZ": ("Czech Republic", "Tschechische Republik"),
    "MM": ("Burma",),
    "CI": ("Ivory Coast", "Elfenbeinküste"),
    "AE": ("UAE", "VAE"),
    "CD": ("DR Congo", "DRC", "Demokratische Republik Kongo"),
    "PS": ("Palestine", "Palästina"),
    "VA": ("Vatican", "Vatikan"),
    "NL": ("Holland",),
    "UA": ("Ukraina",),
    "SZ": ("Swaziland",),
    "TL": ("East Timor", "Osttimor"),
    "CV": ("Cape Verde", "Kap Verde"),
    "RU": ("Russian Federation", "Russische Föderation"),
}

_EXTRA_CODES = frozenset(("XK",))  # Kosovo: CLDR has it, ISO 3166 does not (yet)
_PARENTHESIZED = re.compile(r"\s*\(([^)]*)\)\s*")
_MIN_NAME_LENGTH = 3


@dataclass(frozen=True, slots=True)
class CountryTable:
    """Folded name → territory code, and code → its names for display (most useful first)."""

    codes: dict[str, str]
    names: dict[str, tuple[str, ...]]
    inside: dict[str, frozenset[str]]
    """Folded run of words → the codes of the names it lies inside (`republic of korea` →
    KR, KP): a name of one country inside another's finds the other."""


def _usable_name(name: str) -> str | None:
    """The name without a parenthesized qualifier (`Myanmar (Burma)` → `Myanmar`); None for an
    inverted official form (`Korea, Republic of`) or a special region (`Hong Kong SAR China`)."""
    if "," in name or " SAR" in name:
        return None
    return _PARENTHESIZED.sub(" ", name).strip() or None


def _territory_names() -> list[dict[str, str]]:
    """Territory names of every locale in LOCALES, read straight from Babel's CLDR files.

    `babel.Locale` would load each locale's whole data (about 50 MB for these locales) into
    Babel's process-wide cache; reading the one table we need from each file keeps the rest
    out of memory without emptying a cache other code relies on. (Every locale listed keeps
    its territory names in its own file; `tests/unit/test_countries.py` checks that.)
    """
    return [territory_names(identifier) for identifier in LOCALES]


def territory_names(identifier: str) -> dict[str, str]:
    """Territory code → name in one CLDR locale, read from Babel's data file without loading
    the locale into Babel's process-wide cache (the same file `babel.localedata.load` reads)."""
    with open(localedata.resolve_locale_filename(identifier), "rb") as file:
        data = pickle.load(file)  # noqa: S301 - Babel's installed package data, not input
    return dict(data.get("territories", {}))


def _sources() -> list[tuple[str, str]]:
    """(code, name) from every source, in display order: English and German names first."""
    codes = {country.alpha_2 for country in pycountry.countries} | _EXTRA_CODES
    by_locale = _territory_names()
    rows: list[tuple[str, str]] = []
    for territories in by_locale[:2]:
        rows.extend((code, name) for code, name in territories.items() if code in codes)
    for country in pycountry.countries:
        if common := getattr(country, "common_name", None):
            rows.append((country.alpha_2, common))
    rows.extend((code, name) for code, extras in _EXTRA_NAMES.items() for name in extras)
    for territories in by_locale[2:]:
        rows.extend((code, name) for code, name in territories.items() if code in codes)
    for country in pycountry.countries:
        rows.append((country.alpha_2, country.name))
        if official := getattr(country, "official_name", None):
            rows.append((country.alpha_2, official))
    return rows


def _too_short(key: str, extras: frozenset[str]) -> bool:
    """Latin names under three letters are too easily confused (`us`), unless listed above."""
    return key.isascii() and len(key) < _MIN_NAME_LENGTH and key not in extras


@cache
def table() -> CountryTable:
    """Build (once) the name table from Babel, pycountry and the extra press names."""
    rows = [
        (code, usable) for code, name in _sources() if (usable := _usable_name(name)) is not None
    ]
    extras = frozenset(fold(name) for names in _EXTRA_NAMES.values() for name in names)
    owners: dict[str, set[str]] = defaultdict(set)
    for code, name in rows:
        owners[fold(name)].add(code)
    codes: dict[str, str] = {}
    names: dict[str, list[str]] = defaultdict(list)
    for code, name in rows:
        key = fold(name)
        if _too_short(key, extras) or key in AMBIGUOUS or len(owners[key]) > 1:
            continue
        if key not in codes:
            codes[key] = code
            names[code].append(name)
    return CountryTable(
        codes=codes,
        names={code: tuple(n) for code, n in names.items()},
        inside=_word_runs(codes),
    )


def _word_runs(codes: dict[str, str]) -> dict[str, frozenset[str]]:
    """Every run of two or more words of a multi-word name → the codes of the names holding it."""
    runs: dict[str, set[str]] = defaultdict(set)
    for key, code in codes.items():
        words = key.split()
        for start in range(len(words)):
            for end in range(start + 2, len(words) + 1):
                runs[" ".join(words[start:end])].add(code)
    return {run: frozenset(owners) for run, owners in runs.items() if len(owners) > 1}


def inside_other_name(key: str, code: str) -> bool:
    """Whether a folded name of `code` lies inside a name of another territory
    (`republic of korea` inside the Democratic People's Republic of Korea)."""
    return bool(table().inside.get(key, frozenset()) - {code})


def country_of(name: str) -> str | None:
    """The territory code a name denotes unambiguously in some language, else None."""
    return table().codes.get(fold(name))


def names(code: str) -> tuple[str, ...]:
    """Every unambiguous name of a territory, English and German ones first."""
    return table().names.get(code, ())
