"""Message catalogs and locale formats: the reader's language picks every text we send.

The source strings are English inside `_("…")`; German lives in
`handlers/locale/de/LC_MESSAGES/newsbot.po`. The `.po` file is compiled in memory on first use
(Babel's pofile → mofile), so there is no build step and no compiled `.mo` that could go stale
next to its source; `make i18n` re-extracts the template and merges new strings into the `.po`.
Fuzzy entries are not used: a string is translated, or the catalog test fails.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime, format_skeleton, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from feeds.preferences import zone

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "newsbot"
LANGUAGES = ("en", "de")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}
"""Each language in its own words: the /language buttons must be readable by its speakers."""

Translate = Callable[[str], str]
TimeFormat = Callable[[datetime, str], str]
"""`(moment, time zone name) -> text`, the shape `feeds.render.render_alert` takes."""


def N_(message: str) -> str:
    """Mark a string for extraction where it is defined; translate it where it is shown."""
    return message


def pick_language(code: str | None) -> str:
    """Our language for a Telegram `language_code` such as `de-AT`; English otherwise."""
    base = (code or "").split("-")[0].split("_")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def _catalog(language: str) -> NullTranslations:
    path = catalog_path(language)
    if language == DEFAULT_LANGUAGE or not path.exists():
        return NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def translator(language: str | None) -> Translate:
    """The gettext function for a language (English: the source strings)."""
    return _catalog(pick_language(language)).gettext


def _zone_label(local: datetime, language: str) -> str:
    label = format_datetime(local, "z", tzinfo=local.tzinfo, locale=language)
    # Babel spells zones without a localized abbreviation as offsets ("+0200"); the tz
    # database's own abbreviation ("CEST") reads better when it has one.
    if label[:1] in "+-" and (local.tzname() or "").isalpha():
        return local.tzname() or label
    return label


def format_moment(moment: datetime, language: str, timezone: str = "UTC") -> str:
    """A date and time as a reader of `language` in `timezone` writes it.

    English: "Mar 31, 2024, 3:30 PM CEST"; German: "31. März 2024, 15:30 MESZ".
    """
    language = pick_language(language)
    local = moment.astimezone(zone(timezone))
    day = format_skeleton("yMMMd", local, tzinfo=local.tzinfo, locale=language)
    clock = format_time(local, "short", tzinfo=local.tzinfo, locale=language)
    pattern = Locale.parse(language).datetime_formats["medium"]
    return f"{str(pattern).format(clock, day)} {_zone_label(local, language)}"


def format_clock(minutes: int, language: str) -> str:
    """Minutes after midnight as a wall-clock time ("10:00 PM", "22:00")."""
    moment = datetime(2000, 1, 1, (minutes // 60) % 24, minutes % 60)
    return format_time(moment, "short", locale=pick_language(language))


def time_formatter(language: str | None) -> TimeFormat:
    """The `time_format` for `render_alert`: locale-aware dates for this reader."""
    chosen = pick_language(language)

    def format_for_reader(moment: datetime, timezone: str) -> str:
        return format_moment(moment, chosen, timezone)

    return format_for_reader


def language_name(code: str, language: str) -> str:
    """The name of a language (`fr`) in the reader's language ("Französisch")."""
    try:
        name = Locale.parse(pick_language(language)).languages.get(code)
    except (UnknownLocaleError, ValueError):
        name = None
    return str(name) if name else code
