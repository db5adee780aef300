"""/start and /help: what the bot does, one-tap example subscriptions, the query syntax."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from feeds.render import escape
from handlers.callbacks import example_data, read_example
from handlers.common import answer, echo, is_group_admin, reader, reply
from handlers.context import services
from handlers.i18n import LANGUAGES, Translate, examples
from handlers.subscriptions import limit_text, render_subscribed
from services import subscriptions as topics
from services.subscriptions import LimitReached

COMMAND_ECHO = 64
"""Characters of an unknown command repeated back."""

EXAMPLE_COUNTS = {language: len(examples(language)) for language in LANGUAGES}
"""How many one-tap examples each language has: a tap's `try:<language>:<index>` must point
into these lists, so a button can only ever subscribe to one of them."""


def welcome_text(_: Translate) -> str:
    """/start: what the bot does, in three lines (HTML)."""
    return "\n".join(
        [
            _(
                "👋 I watch news feeds and send you an alert as soon as a new article matches "
                "one of your topics."
            ),
            _(
                'Subscribe with <code>/subscribe Nordkorea</code> or <code>/subscribe "Kim Jong '
                'Un" OR Pyongyang</code> — or tap an example below.'
            ),
            _(
                "/help shows the query syntax, /settings alert mode, quiet hours and languages, "
                "/language the bot's language."
            ),
        ]
    )


def example_buttons(language: str) -> InlineKeyboardMarkup:
    """One button per example subscription in the reader's language, two per row."""
    buttons = [
        InlineKeyboardButton(f"➕ {label}", callback_data=example_data(language, index))
        for index, (label, _query) in enumerate(examples(language))
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def example_lines(language: str) -> list[str]:
    """The examples as commands to copy (HTML); the label follows where it says more."""
    lines = []
    for label, query in examples(language):
        line = f"<code>/subscribe {escape(query)}</code>"
        lines.append(line if label == query else f"{line} — {escape(label)}")
    return lines


def help_text(_: Translate, language: str) -> str:
    """The query syntax with examples in the reader's language, and the commands (HTML)."""
    lines = [
        _("<b>How to subscribe</b>"),
        _("/subscribe <i>words</i> — alerts for new articles that contain all the words."),
        *example_lines(language),
        "",
        _("<b>Query syntax</b> (for /subscribe and /search)"),
        _("<code>north korea</code> — all words, any order"),
        _('<code>"kim jong un"</code> — the exact phrase'),
        _("<code>china OR russia</code> — either side (OR in capitals)"),
        _('<code>-sport</code>, <code>-"south korea"</code> — exclude a word or phrase'),
        _("<code>raket*</code> — words starting with raket (at least 3 letters)"),
        _("<code>title:kim</code> — only in the headline"),
        _("<code>(china OR russia) -sport</code> — parentheses group"),
        _(
            "OR binds tighter than the space: <code>kim OR putin -sport</code> means (kim or "
            "putin) and not sport."
        ),
        _(
            "Case, accents and hyphens do not matter (Kim Jong-un = kim jong un), word endings "
            "are understood (Nordkorea finds Nordkoreas), and country names match in other "
            "languages too (North Korea finds Nordkorea, Corée du Nord, 북한)."
        ),
        "",
        _("<b>Commands</b>"),
        _("/list — your subscriptions"),
        _("/unsubscribe — remove one (buttons), or /unsubscribe <i>number</i>"),
        _("/search <i>query</i> — search every stored article"),
        _(
            "/search also takes <code>since:7d</code>, <code>since:2025-09-01</code>, "
            "<code>source:krone</code>, <code>lang:de</code> and <code>sort:relevance</code>"
        ),
        _(
            "/pause — stop alerts for now (alerts found while paused are not sent later); "
            "/resume — start again"
        ),
        _("/settings — alert mode (instant or digest), quiet hours, article languages"),
        _("/language — the bot's language; /timezone <i>Europe/Vienna</i> — your time zone"),
        _("/sources — the feeds I read and whether they work"),
    ]
    return "\n".join(lines)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the reader, reactivate a chat that had blocked us, and offer example topics."""
    me = await reader(update, context, reactivate=True)
    await reply(update, welcome_text(me._), reply_markup=example_buttons(me.language))


async def try_example(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on an example under /start: subscribe the chat to it."""
    callback = update.callback_query
    assert callback is not None
    me = await reader(update, context)
    _ = me._
    tap = read_example(callback.data or "", EXAMPLE_COUNTS)
    if tap is None:
        await answer(callback, _("That example no longer exists."))
        return
    if not await is_group_admin(update, context):
        await answer(
            callback,
            _("Only the group's administrators can add subscriptions here."),
            show_alert=True,
        )
        return
    try:
        _label, query = examples(tap.language)[tap.index]
        result = await topics.subscribe(
            services(context), me.chat_id, query, _, ngettext=me.ngettext
        )
    except LimitReached as error:
        await answer(callback, limit_text(error, me.ngettext), show_alert=True)
        return
    await answer(callback, _("Subscribed.") if result.created else _("Already subscribed."))
    message = callback.message
    if message is not None:
        await context.bot.send_message(message.chat.id, render_subscribed(result, me))


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap whose data no handler knows (an old button, or forged): say so, change nothing."""
    callback = update.callback_query
    assert callback is not None
    me = await reader(update, context)
    await answer(callback, me._("That button is out of date."))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the query syntax with examples."""
    me = await reader(update, context)
    await reply(update, help_text(me._, me.language))


def addressed_elsewhere(command: str, bot_username: str | None) -> bool:
    """Whether `/cmd@name` names another bot (in a group every bot sees every command)."""
    _command, at, name = command.partition("@")
    if not at:
        return False
    return bot_username is None or name.casefold() != bot_username.casefold()


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tell the reader a command does not exist instead of staying silent."""
    message = update.effective_message
    command = (message.text or "").split()[0] if message and message.text else ""
    if addressed_elsewhere(command, context.bot.username):
        return  # another bot's command: not ours to answer
    me = await reader(update, context)
    await reply(
        update,
        me._("I don't know {command}. /help lists what I can do.").format(
            command=escape(echo(command, COMMAND_ECHO))
        ),
    )
