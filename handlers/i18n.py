"""Message catalogs and locale formats: the reader's language picks every text we send.

The source strings are English inside `_("…")` (and `ngettext("…", "…", n)` where a number meets
a noun); the other ten languages live in `handlers/locale/<code>/LC_MESSAGES/newsbot.po`. A `.po`
file is compiled in memory on first use (Babel's pofile → mofile), so there is no build step and
no compiled `.mo` that could go stale next to its source; `make i18n` re-extracts the template and
merges new strings into every `.po`. Fuzzy entries are not used: a string is translated, or the
catalog test fails.
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
from feeds.translate import Translate as Translate
from feeds.translate import TranslatePlural as TranslatePlural

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "newsbot"
LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "it": "Italiano",
    "pt": "Português",
    "ru": "Русский",
    "uk": "Українська",
    "ko": "한국어",
    "ja": "日本語",
    "zh": "中文",
}
"""The interface languages, each named in its own words: the /language buttons must be readable
by the speakers of each, whatever language the bot speaks at the moment."""
LANGUAGE_NAMES = LANGUAGES
DEFAULT_LANGUAGE = "en"

TimeFormat = Callable[[datetime, str], str]
"""`(moment, time zone name) -> text`, the shape `feeds.render.render_alert` takes."""


def N_(message: str) -> str:
    """Mark a string for extraction where it is defined; translate it where it is shown."""
    return message


@functools.lru_cache(maxsize=1024)
def negotiate(language_code: str | None) -> str:
    """Our interface language for a Telegram `language_code` (an IETF tag such as `pt-BR`,
    `zh-hans`, `de_AT`): its primary language when we speak it, English otherwise.

    Chinese in any script or region (`zh-TW`, `zh-Hant`) gets our Simplified catalog: readers of
    Traditional characters read it, and English would serve them worse.
    """
    base = (language_code or "").strip().replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def pick_language(code: str | None) -> str:
    """The name the handlers use for `negotiate`."""
    return negotiate(code)


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


def plural_translator(language: str | None) -> TranslatePlural:
    """The `ngettext` function for a language: the form its plural rule picks for `n`.

    Format the result with the number too: `ngettext("{count} new article", "{count} new
    articles", n).format(count=n)`.
    """
    return _catalog(pick_language(language)).ngettext


def _zone_label(local: datetime, language: str | Locale) -> str:
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
    return _format_cached(moment, timezone, pick_language(language))


@functools.lru_cache(maxsize=4096)
def _format_cached(moment: datetime, timezone: str, language: str) -> str:
    # Cached: one article alerts thousands of chats with the same moment, and Babel parses
    # the locale and its patterns anew on every call (a fifth of a paid broadcast's CPU).
    # The key holds the zone's name: aware datetimes of one instant are equal in any zone.
    local = moment.astimezone(zone(timezone))
    locale = _locale(language)
    day = format_skeleton("yMMMd", local, tzinfo=local.tzinfo, locale=locale)
    clock = format_time(local, "short", tzinfo=local.tzinfo, locale=locale)
    pattern = locale.datetime_formats["medium"]
    return f"{str(pattern).format(clock, day)} {_zone_label(local, locale)}"


@functools.lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    return Locale.parse(language)


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


def format_when(moment: datetime, language: str | None, timezone: str = "UTC") -> str:
    """`format_moment` for any Telegram language code: the shape the brief of issue 16 names."""
    return format_moment(moment, pick_language(language), timezone)


MENU = (
    ("subscribe", N_("Alerts for a topic: /subscribe Nordkorea")),
    ("list", N_("Your subscriptions")),
    ("unsubscribe", N_("Remove a subscription")),
    ("search", N_("Search stored articles")),
    ("settings", N_("Alert mode, quiet hours, languages")),
    ("language", N_("Language of the bot")),
    ("timezone", N_("Your time zone")),
    ("sources", N_("The feeds I read and their health")),
    ("pause", N_("Pause alerts")),
    ("resume", N_("Resume alerts")),
    ("help", N_("Query syntax and commands")),
    ("start", N_("What this bot does")),
)
"""The command menu; `bot/app.py` sends it once per language (`set_my_commands`)."""


def command_menu(language: str | None) -> list[tuple[str, str]]:
    """`(command, description)` pairs for `set_my_commands(..., language_code=language)`."""
    _ = translator(language)
    return [(command, _(description)) for command, description in MENU]


EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        ("North Korea", "North Korea"),
        ("Kim Jong Un or Pyongyang", '"Kim Jong Un" OR Pyongyang'),
        ("Putin", "Putin"),
    ),
    "de": (
        ("Nordkorea", "Nordkorea"),
        ("Kim Jong Un oder Pjöngjang", '"Kim Jong Un" OR Pjöngjang'),
        ("Putin", "Putin"),
    ),
    "fr": (
        ("Corée du Nord", "Corée du Nord"),
        ("Poutine", "Poutine"),
    ),
    "es": (
        ("Corea del Norte", "Corea del Norte"),
        ("Putin", "Putin"),
    ),
    "it": (
        ("Corea del Nord", "Corea del Nord"),
        ("Kim Jong Un", "Kim Jong Un"),
    ),
    "pt": (
        ("Coreia do Norte", "Coreia do Norte"),
        ("Kim Jong-un", "Kim Jong Un"),
    ),
    "ru": (
        ("КНДР", "КНДР"),
        ("Ким Чен Ын", "Ким Чен Ын"),
    ),
    "uk": (
        ("Північна Корея", "Північна Корея"),
        ("Зеленський", "Зеленський"),
    ),
    "ko": (
        ("북한", "북한"),
        ("북한 미사일", "북한 미사일"),
    ),
    "ja": (
        ("北朝鮮", "北朝鮮"),
        ("北朝鮮のミサイル", "北朝鮮 ミサイル"),
    ),
    "zh": (
        ("朝鲜", "朝鲜"),
        ("朝鲜导弹", "朝鲜 导弹"),
    ),
}
"""One-tap example subscriptions, as `(button label, query)`, in the words a reader of each
language would type; every query matches a real headline in that language that says what its
label says (tests/unit/test_i18n_catalogs.py)."""


def examples(language: str | None) -> list[tuple[str, str]]:
    """The `(label, query)` examples for /start's buttons and /help, in the reader's language."""
    return list(EXAMPLES[pick_language(language)])
