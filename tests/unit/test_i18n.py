"""Every text the bot writes exists in German, with the same placeholders and markup."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bench.fakes import EntityParseError, parse_html
from handlers.i18n import (
    LOCALE_DIR,
    catalog_path,
    format_clock,
    format_moment,
    language_name,
    pick_language,
    time_formatter,
    translator,
)

ROOT = Path(__file__).parents[2]
SOURCES = ("bot", "handlers", "feeds")
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "N_": None,
    "ngettext": (1, 2),
    "N_plural": (1, 2),
}
TAG = re.compile(r"</?[a-z][a-z-]*(?:\s[^>]*)?>")


def _german() -> Catalog:
    with catalog_path("de").open("rb") as source:
        return read_po(source, locale="de")


def _template() -> Catalog:
    with (LOCALE_DIR / "newsbot.pot").open("rb") as source:
        return read_po(source)


def _source_strings() -> dict[str | tuple[str, str], str]:
    """Every `_("…")` / `N_("…")` literal and `ngettext` pair in the code, with where it is."""
    found: dict[str | tuple[str, str], str] = {}
    for folder in SOURCES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            key = message if isinstance(message, str) else (str(message[0]), str(message[1]))
            found.setdefault(key, f"{folder}/{filename}:{lineno}")
    return found


def _forms(message: Message) -> tuple[str, ...]:
    forms = message.string if isinstance(message.string, tuple) else (message.string,)
    return tuple(str(form or "") for form in forms)


def _placeholders(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def _german_entries() -> list[tuple[str, str]]:
    return [(m.id, str(m.string)) for m in _german() if m.id and isinstance(m.id, str)]


def test_every_string_in_the_code_is_in_the_german_catalog() -> None:
    german = {m.id: m for m in _german() if m.id}
    missing = [
        f"{where}: {message!r}"
        for message, where in sorted(_source_strings().items(), key=lambda item: item[1])
        if message not in german or not all(_forms(german[message])) or german[message].fuzzy
    ]
    assert not missing, "untranslated (run `make i18n`, then translate):\n" + "\n".join(missing)


def test_every_template_message_has_a_german_translation() -> None:
    german = {m.id: m for m in _german() if m.id}
    for message in _template():
        if not message.id:
            continue
        assert message.id in german, f"not merged into the German catalog: {message.id!r}"
        entry = german[message.id]
        assert all(f.strip() for f in _forms(entry)), f"empty translation: {message.id!r}"
        assert not entry.fuzzy, f"fuzzy translation is not used at run time: {message.id!r}"


def test_the_template_is_current_with_the_code() -> None:
    template = {m.id for m in _template() if m.id}
    assert set(_source_strings()) <= template, "handlers/locale/newsbot.pot is stale: make i18n"


@pytest.mark.parametrize(("msgid", "msgstr"), _german_entries())
def test_translation_keeps_placeholders_and_markup(msgid: str, msgstr: str) -> None:
    assert _placeholders(msgstr) == _placeholders(msgid)
    assert sorted(TAG.findall(msgstr)) == sorted(TAG.findall(msgid))
    # Leading and trailing spaces matter where texts are joined (" and ", ", or ").
    assert (msgid[:1] == " ") == (msgstr[:1] == " ")
    assert (msgid[-1:] == " ") == (msgstr[-1:] == " ")
    values = {name: "x" for name in _placeholders(msgid)}
    msgstr.format(**values)  # a broken {placeholder} would raise at run time
    try:
        parse_html(msgid.format(**values))
    except EntityParseError:
        return  # plain text that callers escape (query errors quote < and " literally)
    parse_html(msgstr.format(**values))  # Telegram must accept the German markup too


def test_german_readers_get_german_and_unknown_languages_english() -> None:
    assert pick_language("de") == "de"
    assert pick_language("de-AT") == "de"
    assert pick_language("de_CH") == "de"
    assert pick_language("nl") == "en"
    assert pick_language(None) == "en"
    assert translator("de-AT")("What this bot does") == "Was dieser Bot macht"
    assert translator("de")("Matched: {query}").format(query="Putin") == "Treffer für: Putin"
    assert translator("en")("Matched: {query}") == "Matched: {query}"
    assert translator("nl")("Saved.") == "Saved."


def test_dates_are_written_for_the_readers_locale_and_time_zone() -> None:
    moment = datetime(2024, 3, 31, 13, 30, tzinfo=UTC)
    assert format_moment(moment, "de", "Europe/Vienna") == "31. März 2024, 15:30 MESZ"
    english = format_moment(moment, "en", "America/New_York")
    assert english.startswith("Mar 31, 2024, 9:30") and english.endswith("AM EDT")
    assert format_moment(moment, "de", "Nowhere/Atlantis").endswith("13:30 UTC")
    assert time_formatter("de-AT")(moment, "Europe/Vienna") == "31. März 2024, 15:30 MESZ"
    assert format_clock(22 * 60, "de") == "22:00"
    assert format_clock(22 * 60, "en").startswith("10:00")


def test_language_names_follow_the_readers_language() -> None:
    assert language_name("fr", "de") == "Französisch"
    assert language_name("de", "en") == "German"
