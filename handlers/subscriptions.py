"""/subscribe, /unsubscribe, /list and the mute button: the reader's topics."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from db import search, subscriptions
from feeds.matcher import Matcher
from feeds.query import (
    Query,
    QueryError,
    describe,
    parse_query,
    query_from_json,
    query_to_json,
)
from feeds.render import cut, escape
from feeds.search_request import SearchRequest, SearchResult
from handlers.common import command_args, is_group_admin, reader, reply
from handlers.context import Services, services
from handlers.i18n import Translate

RECENT_CANDIDATES = 20
RECENT_SHOWN = 3


def _alerting(query: Query, candidates: list[SearchResult]) -> list[SearchResult]:
    """The search hits the alert matcher agrees with (pure; runs in a thread)."""
    matcher = Matcher.build([(0, query)])
    found = [r for r in candidates if matcher.match(r.title, r.teaser, r.language)]
    return found[:RECENT_SHOWN]


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
        result = await subscribe_chat(services(context), me.chat_id, text, _)
    except QueryError as error:
        await reply(update, "⚠️ " + escape(str(error)))
        return
    await reply(update, render_subscribed(result, _), disable_web_page_preview=True)


@dataclass(frozen=True, slots=True)
class Subscribed:
    """A stored subscription: the parsed query, whether it is new, stored articles it matches."""

    query: Query
    created: bool
    matches: list[SearchResult]


async def subscribe_chat(svc: Services, chat_id: int, text: str, _: Translate) -> Subscribed:
    """Parse, store and index a chat's query (raises QueryError, explained in the reader's words).

    The one subscribe service: /subscribe and the onboarding example buttons both call it.
    """
    query = parse_query(text, _=_)
    async with svc.write_lock, svc.sessions.begin() as session:
        row, created = await subscriptions.add_subscription(
            session, chat_id, query.text, query_to_json(query), now=svc.clock()
        )
    if created:
        svc.index.add(row.id, chat_id, row.query_text, query)
    # The archive's newest matches come from the search index; the matcher confirms them.
    async with svc.sessions() as session:
        page = await search.search(
            session,
            SearchRequest(text=query.text, query_text=query.text),
            query,
            per_page=RECENT_CANDIDATES,
        )
    matches = await asyncio.to_thread(_alerting, query, list(page.results))
    return Subscribed(query, created, matches)


def render_subscribed(result: Subscribed, _: Translate) -> str:
    """The reply to a subscription: what will match, and what already did."""
    return _confirmation(result.query, result.created, result.matches, _)


def _confirmation(query: Query, created: bool, matches: list[SearchResult], _: Translate) -> str:
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
    async with services(context).sessions() as session:
        rows = await subscriptions.list_subscriptions(session, me.chat_id)
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


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remove a subscription by number or text, or offer buttons for each."""
    me = await reader(update, context)
    _ = me._
    if not await is_group_admin(update, context):
        await reply(update, _("Only the group's administrators can remove subscriptions here."))
        return
    svc = services(context)
    text = command_args(context, update)
    async with svc.sessions() as session:
        rows = await subscriptions.list_subscriptions(session, me.chat_id)
    if not rows:
        await reply(update, _("You have no subscriptions."))
        return
    if not text:
        buttons = [
            [InlineKeyboardButton(f"✖ {cut(row.query_text, 40)}", callback_data=f"unsub:{row.id}")]
            for row in rows
        ]
        await reply(
            update,
            _("Which subscription should I remove?"),
            reply_markup=InlineKeyboardMarkup(buttons),
        )
        return
    target = None
    if text.isdigit() and 1 <= int(text) <= len(rows):
        target = rows[int(text) - 1]
    else:
        target = next((r for r in rows if r.query_text.casefold() == text.casefold()), None)
    if target is None:
        await reply(
            update,
            _("I can't find that subscription. /list shows their numbers."),
        )
        return
    await _remove(update, context, target.id, _)


async def _remove(
    update: Update, context: ContextTypes.DEFAULT_TYPE, subscription_id: int, _: Translate
) -> str | None:
    svc = services(context)
    chat = update.effective_chat
    assert chat is not None
    async with svc.write_lock, svc.sessions.begin() as session:
        removed = await subscriptions.remove_subscription(session, chat.id, subscription_id)
    if removed is None:
        return None
    svc.index.remove(subscription_id)
    return removed.query_text


async def unsubscribe_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on one of /unsubscribe's buttons."""
    query = update.callback_query
    assert query is not None and query.data is not None
    me = await reader(update, context)
    _ = me._
    if not await is_group_admin(update, context):
        await query.answer(_("Only the group's administrators can do that."), show_alert=True)
        return
    removed = await _remove(update, context, int(query.data.split(":", 1)[1]), _)
    if removed is None:
        await query.answer(_("Already removed."))
        return
    await query.answer(_("Removed."))
    await query.edit_message_text(_("Removed <b>{query}</b>.").format(query=escape(removed)))


async def mute_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The button under an alert: mute (or unmute) the subscription that matched."""
    query = update.callback_query
    assert query is not None and query.data is not None
    me = await reader(update, context)
    _ = me._
    action, raw_id = query.data.split(":", 1)
    subscription_id = int(raw_id)
    mute = action == "mute"
    if not await is_group_admin(update, context):
        await query.answer(_("Only the group's administrators can do that."), show_alert=True)
        return
    svc = services(context)
    async with svc.write_lock, svc.sessions.begin() as session:
        row = await subscriptions.set_muted(session, me.chat_id, subscription_id, mute)
    if row is None:
        await query.answer(_("That subscription no longer exists."))
        return
    if mute:
        svc.index.remove(subscription_id)
        await query.answer(_("Muted “{query}”.").format(query=row.query_text))
        button = InlineKeyboardButton(_("🔔 Unmute"), callback_data=f"unmute:{subscription_id}")
    else:
        svc.index.add(subscription_id, me.chat_id, row.query_text, query_from_json(row.query_json))
        await query.answer(_("Alerts for “{query}” are back on.").format(query=row.query_text))
        button = InlineKeyboardButton(_("🔕 Mute"), callback_data=f"mute:{subscription_id}")
    await query.edit_message_reply_markup(InlineKeyboardMarkup([[button]]))
