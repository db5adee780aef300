"""Country names across languages, read without disturbing Babel."""

from __future__ import annotations

from babel import Locale, localedata

from feeds import countries


def test_reading_the_names_leaves_babels_locale_cache_alone() -> None:
    """Other code (dates, languages in replies) keeps the locales it loaded."""
    german = Locale.parse("de")
    assert german.territories["KP"] == "Nordkorea"
    cached = dict(localedata._cache)  # babel's process-wide cache of loaded locales
    countries.table.cache_clear()
    try:
        assert countries.country_of("Corée du Nord") == "KP"
    finally:
        countries.table.cache_clear()
    assert dict(localedata._cache) == cached
    assert "ko" not in localedata._cache or "ko" in cached  # nothing loaded through Babel


def test_every_listed_locale_has_its_own_territory_names() -> None:
    for identifier in countries.LOCALES:
        assert len(countries.territory_names(identifier)) > 200, identifier


def test_names_from_the_press_that_cldr_lacks() -> None:
    for name in ("北韩", "北韓", "朝鮮", "DPRK"):
        assert countries.country_of(name) == "KP", name


def test_a_name_inside_another_countrys_name_is_flagged() -> None:
    assert countries.inside_other_name("republic of korea", "KR")
    assert not countries.inside_other_name("south korea", "KR")
