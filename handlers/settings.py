"""/settings, /language and /timezone: how, when and in which language a chat gets alerts.

The settings message is one inline keyboard whose callbacks (`set:…`) store the change on the
chat row and redraw the same message in place, so the reader always sees what is stored.
"""

from __future__ import annotations

import difflib
import functools
import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from feeds.preferences import MINUTES_PER_DAY, parse_languages
from feeds.render import escape
from handlers.callbacks import LANGUAGE, read_language, read_page
from handlers.channels import Acting, acting_chat, managed
from handlers.common import (
    Reader,
    answer,
    command_args,
    echo,
    is_group_admin,
    reader,
    reply,
    shows_buttons,
)
from handlers.context import services
from handlers.guards import group_admin_only
from handlers.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    Translate,
    format_clock,
    format_moment,
    language_name,
    pick_language,
    translator,
)
from services import chats
from services.chats import ChatView

ARTICLE_LANGUAGES = ("de", "en", "fr", "es", "it", "nl", "ru", "pl")
"""The article languages offered as toggles (the feeds' common languages)."""
QUIET_PRESETS = ((22 * 60, 7 * 60), (23 * 60, 6 * 60), (0, 8 * 60))
DIGEST_HOURS = range(24)
CHECK = "✅ "


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """What the settings message shows, read from the chat row."""

    language: str
    timezone: str
    alert_mode: str
    digest_hour: int | None
    quiet_start: int | None
    quiet_end: int | None
    article_languages: frozenset[str]
    pictures: bool = True

    @classmethod
    def of(cls, chat: ChatView) -> ChatSettings:
        return cls(
            language=pick_language(chat.language),
            timezone=chat.timezone or "UTC",
            alert_mode=chat.alert_mode or "instant",
            digest_hour=chat.digest_hour,
            quiet_start=chat.quiet_start,
            quiet_end=chat.quiet_end,
            article_languages=parse_languages(chat.article_languages),
            pictures=chat.pictures,
        )

    @property
    def quiet(self) -> tuple[int, int] | None:
        if self.quiet_start is None or self.quiet_end is None or self.quiet_start == self.quiet_end:
            return None
        return self.quiet_start, self.quiet_end


# --- rendering (pure) ------------------------------------------------------------------------


def _span(start: int, end: int, language: str) -> str:
    return f"{format_clock(start, language)}–{format_clock(end, language)}"


def describe_mode(s: ChatSettings, _: Translate) -> str:
    if s.alert_mode == "hourly":
        return _("one digest per hour")
    if s.alert_mode == "daily":
        hour = s.digest_hour if s.digest_hour is not None else 8
        return _("one digest a day at {time}").format(time=format_clock(hour * 60, s.language))
    return _("instantly")


def settings_text(s: ChatSettings, _: Translate) -> str:
    """The settings message (HTML): every setting in plain words."""
    quiet = s.quiet
    quiet_text = (
        _("{span} (alerts wait and come as one digest afterwards)").format(
            span=_span(*quiet, s.language)
        )
        if quiet
        else _("off")
    )
    if s.article_languages:
        names = sorted(language_name(code, s.language) for code in s.article_languages)
        languages_text = ", ".join(names)
    else:
        languages_text = _("all languages")
    return "\n".join(
        [
            _("<b>Your settings</b>"),
            "🔔 " + _("Alerts: {mode}").format(mode=escape(describe_mode(s, _))),
            "🌙 " + _("Quiet hours: {quiet}").format(quiet=escape(quiet_text)),
            "📰 " + _("Article languages: {languages}").format(languages=escape(languages_text)),
            "🖼 "
            + _("Pictures and link previews: {state}").format(
                state=_("on") if s.pictures else _("off")
            ),
            "🗣 " + _("Bot language: {language}").format(language=LANGUAGE_NAMES[s.language]),
            "🕓 "
            + _("Time zone: {zone} — change it with /timezone <i>Europe/Vienna</i>").format(
                zone=escape(s.timezone)
            ),
        ]
    )


def _mark(chosen: bool, label: str) -> str:
    return CHECK + label if chosen else label


_OTHER_CHAT = re.compile(r"set:(-[0-9]{1,19}):(.*)", re.S)


def setting_data(rest: str, target: int | None = None) -> str:
    """A settings button's data: `set:REST` for this chat, `set:CHAT:REST` for a channel or
    group managed from the private chat."""
    return f"set:{rest}" if target is None else f"set:{target}:{rest}"


def read_setting_target(data: str) -> tuple[int | None, str]:
    """The chat a settings tap is for (None: this chat) and its data as `set:REST`."""
    found = _OTHER_CHAT.fullmatch(data)
    if found is None:
        return None, data
    return int(found.group(1)), f"set:{found.group(2)}"


def settings_keyboard(
    s: ChatSettings, _: Translate, target: int | None = None
) -> InlineKeyboardMarkup:
    """The main settings keyboard: mode, quiet hours, article languages, bot language."""
    mode = [
        InlineKeyboardButton(
            _mark(s.alert_mode == "instant", "🔔 " + _("Instant")),
            callback_data=setting_data("mode:instant", target),
        ),
        InlineKeyboardButton(
            _mark(s.alert_mode == "hourly", "🔔 " + _("Hourly")),
            callback_data=setting_data("mode:hourly", target),
        ),
        InlineKeyboardButton(
            _mark(s.alert_mode == "daily", "🔔 " + _("Daily…")),
            callback_data=setting_data("daily", target),
        ),
    ]
    quiet = [
        InlineKeyboardButton(
            _mark(s.quiet == (start, end), "🌙 " + _span(start, end, s.language)),
            callback_data=setting_data(f"quiet:{start}-{end}", target),
        )
        for start, end in QUIET_PRESETS
    ]
    quiet.append(
        InlineKeyboardButton(
            _mark(s.quiet is None, "🌙 " + _("No quiet hours")),
            callback_data=setting_data("quiet:off", target),
        )
    )
    toggles = [
        InlineKeyboardButton(
            _mark(code in s.article_languages, "📰 " + language_name(code, s.language)),
            callback_data=setting_data(f"al:{code}", target),
        )
        for code in ARTICLE_LANGUAGES
    ]
    toggles.append(
        InlineKeyboardButton(
            _mark(not s.article_languages, "📰 " + _("All languages")),
            callback_data=setting_data("al:all", target),
        )
    )
    bot_language = [
        InlineKeyboardButton(
            _mark(s.language == code, "🗣 " + LANGUAGE_NAMES[code]),
            callback_data=setting_data(f"lang:{code}", target),
        )
        for code in LANGUAGES
    ]
    pictures = [
        InlineKeyboardButton(
            _mark(s.pictures, "🖼 " + _("Pictures")), callback_data=setting_data("pic:on", target)
        ),
        InlineKeyboardButton(
            _mark(not s.pictures, "🖼 " + _("No pictures")),
            callback_data=setting_data("pic:off", target),
        ),
    ]
    rows = [mode, quiet[:2], quiet[2:]]
    rows += [toggles[i : i + 3] for i in range(0, len(toggles), 3)]
    rows.append(pictures)
    rows += in_rows(bot_language)
    return InlineKeyboardMarkup(rows)


LANGUAGES_PER_ROW = 3
"""Eleven language names side by side would be cut to a few letters each on a phone."""


def in_rows(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    """Language buttons laid out at most three to a row."""
    step = LANGUAGES_PER_ROW
    return [buttons[i : i + step] for i in range(0, len(buttons), step)]


def hour_keyboard(s: ChatSettings, _: Translate, target: int | None = None) -> InlineKeyboardMarkup:
    """The daily digest's hour: 24 buttons and a way back."""
    chosen = s.digest_hour if s.alert_mode == "daily" else None
    buttons = [
        InlineKeyboardButton(
            _mark(hour == chosen, format_clock(hour * 60, s.language)),
            callback_data=setting_data(f"hour:{hour}", target),
        )
        for hour in DIGEST_HOURS
    ]
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    rows.append([InlineKeyboardButton(_("« Back"), callback_data=setting_data("back", target))])
    return InlineKeyboardMarkup(rows)


def language_keyboard(current: str) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            _mark(code == current, LANGUAGE_NAMES[code]), callback_data=f"lang:{code}"
        )
        for code in LANGUAGES
    ]
    return InlineKeyboardMarkup(in_rows(buttons))


# --- the settings callbacks ------------------------------------------------------------------


def read_minute(text: str) -> int | None:
    """A minute of the day (0…1439) in ASCII digits, or None."""
    if not text.isascii() or not text.isdigit() or len(text) > 4:
        return None
    return int(text) if int(text) < MINUTES_PER_DAY else None


def apply_setting(s: ChatSettings, data: str) -> dict[str, object] | None:
    """The chat columns a `set:…` tap changes; None when the data is not a change."""
    parts = data.split(":")
    if len(parts) != 3:
        return None
    _prefix, key, value = parts
    if key == "mode" and value in ("instant", "hourly"):
        return {"alert_mode": value}
    hour = read_page(value)
    if key == "hour" and hour in DIGEST_HOURS:
        return {"alert_mode": "daily", "digest_hour": hour}
    if key == "quiet":
        if value == "off":
            return {"quiet_start": None, "quiet_end": None}
        start, _sep, end = (read_minute(part) for part in value.partition("-"))
        if start is None or end is None:
            return None
        return {"quiet_start": start, "quiet_end": end}
    if key == "al":
        if value == "all":
            return {"article_languages": None}
        if value not in ARTICLE_LANGUAGES:
            return None
        chosen = set(s.article_languages) ^ {value}
        # Unticking the last language means "no filter", never "no articles at all".
        return {"article_languages": ",".join(sorted(chosen)) or None}
    if key == "lang" and value in LANGUAGES:
        return {"language": value}
    if key == "pic" and value in ("on", "off"):
        return {"pictures": value == "on"}
    return None


def _only_admins(_: Translate) -> str:
    return _("Only the group's administrators can change the settings here.")


async def _edit(update: Update, text: str, markup: InlineKeyboardMarkup) -> None:
    callback = update.callback_query
    assert callback is not None
    try:
        await callback.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        # A tap on the option that is already chosen redraws the same message.
        if "not modified" not in str(error).lower():
            raise


async def settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the chat's settings with buttons to change them; `/settings @channel` (in the
    private chat) that channel's or group's, for its administrators."""
    me = await reader(update, context)
    acting = await acting_chat(update, context, me)
    if acting is None:
        return
    chat = await chats.chat_settings(services(context), acting.chat_id)
    assert chat is not None  # reader() or acting_chat() just stored it
    current = ChatSettings.of(chat)
    target = None if acting.label is None else acting.chat_id
    await reply(
        update,
        _settings_page(current, me._, acting.label),
        reply_markup=settings_keyboard(current, me._, target),
    )


def _settings_page(s: ChatSettings, _: Translate, label: str | None) -> str:
    """The settings message; another chat's is headed by its name and says how to set its
    time zone."""
    if label is None:
        return settings_text(s, _)
    chat = escape(label)
    how = _("Its time zone: /timezone {chat} <i>Europe/Vienna</i>").format(chat=chat)
    return f"<b>{chat}</b>\n{settings_text(s, _)}\n{how}"


async def _turn_page(
    update: Update, current: ChatSettings, hours: bool, _: Translate, acting: Acting
) -> None:
    """Show the daily digest's hours, or go back to the main settings page."""
    target = None if acting.label is None else acting.chat_id
    if hours:
        await _edit(
            update,
            _("At what time should the daily digest come?"),
            hour_keyboard(current, _, target),
        )
    else:
        await _edit(
            update, _settings_page(current, _, acting.label), settings_keyboard(current, _, target)
        )


async def _tapped_chat(
    update: Update, context: ContextTypes.DEFAULT_TYPE, me: Reader, target: int | None
) -> Acting | None:
    """The chat a settings tap changes; for another chat the rights are checked again (they
    may have been taken away since the message was sent)."""
    if target is None:
        return Acting(me.chat_id, "", paused=me.paused, chat_type=me.chat_type)
    callback = update.callback_query
    assert callback is not None
    user = update.effective_user
    found = None
    if me.chat_type == "private":
        found = await managed(context, user.id if user else 0, target, me._)
    if isinstance(found, Acting):
        return found
    await answer(callback, found or me._("That button is out of date."), show_alert=True)
    return None


@group_admin_only(_only_admins)
async def settings_button(update: Update, context: ContextTypes.DEFAULT_TYPE, me: Reader) -> None:
    """A tap on the settings keyboard: store the change, redraw the message in place."""
    callback = update.callback_query
    assert callback is not None
    target, data = read_setting_target(callback.data or "")
    if not shows_buttons(callback.message, "set:"):
        await answer(callback, me._("That button is out of date; send /settings again."))
        return
    acting = await _tapped_chat(update, context, me, target)
    if acting is None:
        return
    svc = services(context)
    chat = await chats.chat_settings(svc, acting.chat_id)
    assert chat is not None
    current = ChatSettings.of(chat)
    if data in ("set:daily", "set:back"):
        await answer(callback)
        await _turn_page(update, current, data == "set:daily", me._, acting)
        return
    changes = apply_setting(current, data)
    if changes is None:
        await answer(callback, me._("That button is out of date; send /settings again."))
        return
    chat = await chats.change_settings(svc, acting.chat_id, changes)
    assert chat is not None
    updated = ChatSettings.of(chat)
    # A language change answers in the new language at once (another chat's: in the reader's).
    _ = translator(updated.language) if acting.label is None else me._
    await answer(callback, _("Saved."))
    await _edit(
        update,
        _settings_page(updated, _, acting.label),
        settings_keyboard(updated, _, None if acting.label is None else acting.chat_id),
    )


# --- /language -------------------------------------------------------------------------------


def _language_switched(language: str) -> str:
    _ = translator(language)  # the confirmation is already in the new language
    return _("Done: I speak English with you now.")


async def language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/language shows buttons; /language de switches at once."""
    me = await reader(update, context)
    wanted = command_args(context, update).strip().lower()
    if not wanted:
        await reply(
            update,
            me._("Which language should I use? Current: {language}").format(
                language=LANGUAGE_NAMES[pick_language(me.language)]
            ),
            reply_markup=language_keyboard(me.language),
        )
        return
    code = find_language(wanted)
    if code is None:
        await reply(
            update,
            me._("Languages: /language en, de, fr, es, it, pt, ru, uk, ko, ja, zh."),
        )
        return
    if not await is_group_admin(update, context):
        await reply(update, _only_admins(me._))
        return
    await _store_language(context, me.chat_id, code)
    await reply(update, _language_switched(code))


@functools.cache
def _language_names() -> dict[str, str]:
    """Every name of our languages in each of them ("german", "allemand", "독일어" → "de"):
    a reader types the name they know, in their language or the bot's."""
    names = {}
    for spoken in LANGUAGES:
        for code in LANGUAGES:
            names[language_name(code, spoken).casefold()] = code
    names.update({name.casefold(): code for code, name in LANGUAGE_NAMES.items()})
    return names


def find_language(wanted: str) -> str | None:
    """The language a reader named after /language ("de", "Deutsch", "german"), or None."""
    names = _language_names()
    if wanted.casefold() in names:
        return names[wanted.casefold()]
    code = pick_language(wanted)
    return code if wanted.split("-")[0] == code else None


async def _store_language(context: ContextTypes.DEFAULT_TYPE, chat_id: int, code: str) -> None:
    await chats.change_settings(services(context), chat_id, {"language": code})


async def language_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on one of the language buttons under /language."""
    callback = update.callback_query
    assert callback is not None
    me = await reader(update, context)
    code = read_language(callback.data or "", LANGUAGES)
    if code is None or not shows_buttons(callback.message, LANGUAGE):
        await answer(callback, me._("That button is out of date; send /language again."))
        return
    if not await is_group_admin(update, context):
        await answer(callback, _only_admins(me._), show_alert=True)
        return
    await _store_language(context, me.chat_id, code)
    await answer(callback, LANGUAGE_NAMES[code])
    await _edit(update, _language_switched(code), language_keyboard(code))


# --- /timezone -------------------------------------------------------------------------------


ZONE_ECHO = 64
"""The longest IANA name has 32 characters; longer input is cut before it is compared."""


@functools.cache
def _zones() -> dict[str, str]:
    """Every IANA zone name by its lower-case spelling ("europe/vienna" → "Europe/Vienna")."""
    names = zoneinfo.available_timezones() | {"UTC"}
    return {name.lower(): name for name in names}


def find_zone(text: str) -> str | None:
    """The IANA name a reader meant ("europe/vienna", "Europe/Vienna", "UTC"), or None."""
    return _zones().get(text.strip().replace(" ", "_").lower())


def suggest_zones(text: str) -> list[str]:
    """Close IANA names for a misspelled one ("Europe/Viena" → Europe/Vienna)."""
    wanted = text.strip().replace(" ", "_").lower()
    zones = _zones()
    close = difflib.get_close_matches(wanted, list(zones), n=3, cutoff=0.75)
    if not close:  # a bare city: "vienna" → Europe/Vienna
        close = [key for key in zones if key.rsplit("/", 1)[-1] == wanted][:3]
    return [zones[key] for key in close]


def _zone_now_text(zone: str, now: datetime, language: str, _: Translate) -> str:
    return _(
        "Your time zone is {zone}; it is {now} there. Change it with "
        "<code>/timezone Europe/Vienna</code> (any IANA name, e.g. "
        "America/New_York, Asia/Tokyo, UTC)."
    ).format(zone=escape(zone), now=escape(format_moment(now, language, zone)))


def _unknown_zone_text(wanted: str, _: Translate) -> str:
    """An unknown zone name explained, with close IANA names when there are some."""
    text = _(
        "I don't know the time zone <b>{zone}</b>. Use an IANA name such as "
        "<code>Europe/Vienna</code>, <code>America/New_York</code> or <code>UTC</code>."
    ).format(zone=escape(wanted))
    suggestions = suggest_zones(wanted)
    if suggestions:
        text += "\n" + _("Did you mean {zones}?").format(
            zones=", ".join(f"<code>{escape(z)}</code>" for z in suggestions)
        )
    return text


async def timezone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/timezone Europe/Vienna stores the chat's time zone; without a name it shows it.
    `/timezone @channel Europe/Vienna` (in the private chat) sets that chat's."""
    me = await reader(update, context)
    _ = me._
    svc = services(context)
    acting = await acting_chat(update, context, me)
    if acting is None:
        return
    wanted = acting.rest
    if not wanted:
        found = await chats.chat_settings(svc, acting.chat_id)
        zone = found.timezone if found is not None else me.timezone
        await reply(update, _zone_now_text(zone, svc.clock(), me.language, _))
        return
    name = find_zone(wanted)
    if name is None:
        await reply(update, _unknown_zone_text(echo(wanted, ZONE_ECHO), _))
        return
    if not await is_group_admin(update, context):
        await reply(update, _only_admins(_))
        return
    await chats.change_settings(svc, acting.chat_id, {"timezone": name})
    await reply(
        update,
        _("Time zone set to {zone}. It is {now} there.").format(
            zone=escape(name), now=escape(format_moment(svc.clock(), me.language, name))
        ),
    )
