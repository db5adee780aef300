"""/start and /help: what the bot does and how to write a subscription."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from feeds.render import escape
from handlers.common import reader, reply
from handlers.i18n import Translate


def help_text(_: Translate) -> str:
    """The query syntax with examples (HTML)."""
    lines = [
        _("<b>How to subscribe</b>"),
        _("/subscribe <i>words</i> — alerts for new articles that contain all the words."),
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
            "/pause — stop alerts for now (alerts found while paused are not sent later); "
            "/resume — start again"
        ),
    ]
    return "\n".join(lines)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the reader, reactivate a chat that had blocked us, and explain the basics."""
    me = await reader(update, context, reactivate=True)
    _ = me._
    greeting = _(
        "👋 I watch news feeds for you and send an alert when a new article matches one of "
        "your topics."
    )
    example = _(
        'Try <code>/subscribe Nordkorea</code> or <code>/subscribe "Kim Jong Un" OR Pyongyang '
        "-sport</code>."
    )
    await reply(update, f"{greeting}\n{example}\n\n{help_text(_)}")


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the query syntax with examples."""
    me = await reader(update, context)
    await reply(update, help_text(me._))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tell the reader a command does not exist instead of staying silent."""
    me = await reader(update, context)
    message = update.effective_message
    command = (message.text or "").split()[0] if message and message.text else ""
    await reply(
        update,
        me._("I don't know {command}. /help lists what I can do.").format(command=escape(command)),
    )
