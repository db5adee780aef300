"""Message catalogs: the reader's language picks the translation of every text we send."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "de")
DEFAULT_LANGUAGE = "en"

Translate = Callable[[str], str]


def pick_language(code: str | None) -> str:
    """Our language for a Telegram `language_code` such as `de-AT`; English otherwise."""
    base = (code or "").split("-")[0].split("_")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


@functools.cache
def _catalog(language: str) -> NullTranslations:
    return Translations.load(str(LOCALE_DIR), [language], domain="newsbot")


def translator(language: str | None) -> Translate:
    """The gettext function for a language (English: the source strings)."""
    return _catalog(pick_language(language)).gettext
