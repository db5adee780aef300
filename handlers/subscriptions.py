"""/subscribe, /unsubscribe, /list and the mute button: the reader's topics."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from feeds.query import (
    Query,
    QueryError,
    describe,
)
from feeds.render import cut, escape
from feeds.search_request import SearchResult
from handlers.common import Reader, command_args, is_group_admin, reader, reply
from handlers.context import services
from handlers.guards import group_admin_only
from handlers.i18n import Translate
from services import subscriptions as topics
from services.subscriptions import Subscribed, SubscriptionView


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Validate and store a query; restate it and show stored articles that already match."""
    me = await reader(update, context)
    _ = me._
    text = command_args(context, update)
    if not text:
        await reply(
            update,
            _(
                "Tell me what to watch for, e.g. <code>/subscribe Nordkorea</code> or "
                '<code>/subscribe "Kim Jong Un" OR Pyongyang -sport</code>. /help shows the syntax.'
            ),
        )
        return
    if not await is_group_admin(update, context):
        await reply(update, _("Only the group's administrators can add subscriptions here."))
        return
    try:
        result = await topics.subscribe(services(context), me.chat_id, text, _)
    except QueryError as error:
        await reply(update, "⚠️ " + escape(str(error)))
        return
    await reply(update, render_subscribed(result, _), disable_web_page_preview=True)


def render_subscribed(result: Subscribed, _: Translate) -> str:
    """The reply to a subscription: what will match, and what already did."""
    return _confirmation(result.query, result.created, result.matches, _)


def _confirmation(
    query: Query, created: bool, matches: Sequence[SearchResult], _: Translate
) -> str:
    head = (
        _("✅ Subscribed to <b>{query}</b>.")
        if created
        else _("You already follow <b>{query}</b>.")
    )
    lines = [head.format(query=escape(query.text)), escape(describe(query, _=_))]
    if matches:
        lines += ["", _("Recent articles that match:")]
        lines += [f'• <a href="{escape(a.link)}">{escape(cut(a.title, 120))}</a>' for a in matches]
    else:
        lines += ["", _("No stored article matches yet; I'll alert you when one arrives.")]
    return "\n".join(lines)


async def list_subscriptions(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The reader's subscriptions, numbered."""
    me = await reader(update, context)
    _ = me._
    rows = await topics.subscriptions_of(services(context), me.chat_id)
    if not rows:
        await reply(update, _("You have no subscriptions yet. Try /subscribe Nordkorea"))
        return
    lines = [_("<b>Your subscriptions</b>")]
    for number, row in enumerate(rows, start=1):
        muted = " " + _("(muted)") if row.muted else ""
        lines.append(f"{number}. {escape(row.query_text)}{muted}")
    if me.paused:
        lines += ["", _("Alerts are paused; /resume starts them again.")]
    await reply(update, "\n".join(lines))


def _removal_buttons(rows: Sequence[SubscriptionView]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(f"✖ {cut(row.query_text, 40)}", callback_data=f"unsub:{row.id}")]
            for row in rows
        ]
    )


def find_subscription(rows: Sequence[SubscriptionView], typed: str) -> SubscriptionView | None:
    """The subscription a reader named by its /list number or by its text (any case)."""
    if typed.isdigit() and 1 <= int(typed) <= len(rows):
        return rows[int(typed) - 1]
    return next((r for r in rows if r.query_text.casefold() == typed.casefold()), None)


@group_admin_only(lambda _: _("Only the group's administrators can remove subscriptions here."))
async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE, me: Reader) -> None:
    """Remove a subscription by number or text, or offer buttons for each."""
    _ = me._
    text = command_args(context, update)
    rows = await topics.subscriptions_of(services(context), me.chat_id)
    if not rows:
        await reply(update, _("You have no subscriptions."))
        return
    if not text:
        await reply(
            update, _("Which subscription should I remove?"), reply_markup=_removal_buttons(rows)
        )
        return
    target = find_subscription(rows, text)
    if target is None:
        await reply(update, _("I can't find that subscription. /list shows their numbers."))
        return
    await topics.unsubscribe(services(context), me.chat_id, target.id)


@group_admin_only(lambda _: _("Only the group's administrators can do that."))
async def unsubscribe_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, me: Reader
) -> None:
    """A tap on one of /unsubscribe's buttons."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _ = me._
    removed = await topics.unsubscribe(
        services(context), me.chat_id, int(query.data.split(":", 1)[1])
    )
    if removed is None:
        await query.answer(_("Already removed."))
        return
    await query.answer(_("Removed."))
    await query.edit_message_text(_("Removed <b>{query}</b>.").format(query=escape(removed)))


@group_admin_only(lambda _: _("Only the group's administrators can do that."))
async def mute_button(update: Update, context: ContextTypes.DEFAULT_TYPE, me: Reader) -> None:
    """The button under an alert: mute (or unmute) the subscription that matched."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _ = me._
    action, raw_id = query.data.split(":", 1)
    subscription_id = int(raw_id)
    mute = action == "mute"
    row = await topics.set_muted(services(context), me.chat_id, subscription_id, mute)
    if row is None:
        await query.answer(_("That subscription no longer exists."))
        return
    if mute:
        await query.answer(_("Muted “{query}”.").format(query=row.query_text))
        button = InlineKeyboardButton(_("🔔 Unmute"), callback_data=f"unmute:{subscription_id}")
    else:
        await query.answer(_("Alerts for “{query}” are back on.").format(query=row.query_text))
        button = InlineKeyboardButton(_("🔕 Mute"), callback_data=f"mute:{subscription_id}")
    await query.edit_message_reply_markup(InlineKeyboardMarkup([[button]]))
