"""The translation hooks `feeds/` takes as plain functions (gettext itself lives in handlers/)."""

from __future__ import annotations

from collections.abc import Callable

Translate = Callable[[str], str]
"""`_`: a message in the reader's language."""
TranslatePlural = Callable[[str, str, int], str]
"""`ngettext`: `(singular msgid, plural msgid, n) -> text` with the language's plural rule."""


def identity(text: str) -> str:
    """English, untranslated."""
    return text


def english_plural(singular: str, plural: str, n: int) -> str:
    """English, untranslated: the singular for one, else the plural."""
    return singular if n == 1 else plural
