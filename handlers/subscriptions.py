"""/subscribe, /unsubscribe, /list and the mute button: the reader's topics.

A chat may have up to 100 subscriptions of up to 256 characters each, far more than one
Telegram message (4,096 characters) or keyboard holds: /list and /unsubscribe show them a page
at a time, with buttons to turn the pages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from feeds.query import (
    Query,
    QueryError,
    describe,
)
from feeds.render import cut, escape
from feeds.scope import describe_scope
from feeds.search_request import SearchResult
from handlers.callbacks import (
    LIST,
    OPTION,
    UNSUBSCRIBE,
    list_data,
    mute_data,
    option_data,
    read_list,
    read_mute,
    read_option,
    read_unsubscribe,
    unsubscribe_data,
    unsubscribe_page_data,
)
from handlers.channels import Acting, acting_chat
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
from handlers.i18n import Translate, TranslatePlural, language_name
from services import subscriptions as topics
from services.subscriptions import LimitReached, Subscribed, SubscriptionView

ERROR_LIMIT = 600
"""A query error may repeat what the reader typed; it is cut to stay a short reply."""
LIST_PAGE = 12
"""Subscriptions per /list message: 12 of the longest (256 characters) stay under 4,096."""
REMOVE_PAGE = 10
"""Removal buttons per /unsubscribe message (one per row, plus a row to turn the page)."""
BUTTON_TEXT = 40


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Validate and store a query; restate it and show stored articles that already match.

    `/subscribe @channel QUERY` (in the private chat) subscribes that channel or group. A
    subscription made in a chat the bot had been removed from turns its alerts back on.
    """
    me = await reader(update, context, reactivate=True)
    _ = me._
    if not command_args(context, update):
        await reply(update, _usage(_))
        return
    if not await is_group_admin(update, context):
        await reply(update, _("Only the group's administrators can add subscriptions here."))
        return
    acting = await acting_chat(update, context, me, reactivate=True)
    if acting is None:
        return
    if not acting.rest:
        await reply(update, _usage(_))
        return
    try:
        result = await topics.subscribe(
            services(context),
            acting.chat_id,
            acting.rest,
            _,
            ngettext=me.ngettext,
            thread_id=acting.thread_id,
        )
    except QueryError as error:
        await reply(update, "⚠️ " + escape(echo(str(error), ERROR_LIMIT)))
        return
    except LimitReached as error:
        await reply(update, "⚠️ " + limit_text(error, me.ngettext))
        return
    text = render_subscribed(result, me, lambda code: language_name(code, me.language))
    if acting.label is not None:
        text += "\n\n" + _("Alerts go to {chat}.").format(chat=escape(acting.label))
    await reply(update, text, disable_web_page_preview=True)


def _usage(_: Translate) -> str:
    return _(
        "Tell me what to watch for, e.g. <code>/subscribe Nordkorea</code> or "
        '<code>/subscribe "Kim Jong Un" OR Pyongyang -sport</code>. /help shows the syntax.'
    )


def limit_text(error: LimitReached, ngettext: TranslatePlural) -> str:
    """Why a subscription was not added, and what to do instead."""
    if error.kind == "terms":
        return ngettext(
            "That query is too broad: with the names it expands to it has {count} term, "
            "and one subscription may have {limit}. Split it into several subscriptions.",
            "That query is too broad: with the names it expands to it has {count} terms, "
            "and one subscription may have {limit}. Split it into several subscriptions.",
            error.count,
        ).format(count=error.count, limit=error.limit)
    return ngettext(
        "This chat already has {limit} subscription, the most I keep for one chat. "
        "Remove one with /unsubscribe first.",
        "This chat already has {limit} subscriptions, the most I keep for one chat. "
        "Remove one with /unsubscribe first.",
        error.limit,
    ).format(limit=error.limit)


def render_subscribed(
    result: Subscribed, me: Reader, name_language: Callable[[str], str] | None = None
) -> str:
    """The reply to a subscription: what will match (and where from), and what already did."""
    text = _confirmation(result.query, result.created, result.matches, me._, me.ngettext)
    if result.scope:
        where = describe_scope(result.scope, me._, name_language or (lambda code: code))
        head, _sep, rest = text.partition("\n")
        text = f"{head}\n{escape(where)}\n{rest}"
    return text


def _confirmation(
    query: Query,
    created: bool,
    matches: Sequence[SearchResult],
    _: Translate,
    ngettext: TranslatePlural,
) -> str:
    head = (
        _("✅ Subscribed to <b>{query}</b>.")
        if created
        else _("You already follow <b>{query}</b>.")
    )
    lines = [head.format(query=escape(query.text)), escape(describe(query, _=_, ngettext=ngettext))]
    if matches:
        lines += ["", _("Recent articles that match:")]
        lines += [f'• <a href="{escape(a.link)}">{escape(cut(a.title, 120))}</a>' for a in matches]
    else:
        lines += ["", _("No stored article matches yet; I'll alert you when one arrives.")]
    return "\n".join(lines)


def pages(count: int, per_page: int) -> int:
    """How many pages `count` items fill (at least one)."""
    return max((count + per_page - 1) // per_page, 1)


def list_page(
    rows: Sequence[SubscriptionView],
    page: int,
    paused: bool,
    _: Translate,
    *,
    options: bool = False,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of /list: numbered subscriptions, and buttons to the other pages; with
    `options`, a row of buttons per subscription: pause or resume it, silent or with sound,
    remove."""
    total = pages(len(rows), LIST_PAGE)
    page = min(max(page, 0), total - 1)
    first = page * LIST_PAGE
    lines = [_("<b>Your subscriptions</b>")]
    if total > 1:
        lines[0] += " " + _("(page {page} of {pages})").format(page=page + 1, pages=total)
    shown = list(enumerate(rows[first : first + LIST_PAGE], start=first + 1))
    for number, row in shown:
        muted = " " + _("(muted)") if row.muted else ""
        silent = " " + _("(silent)") if row.silent else ""
        lines.append(f"{number}. {escape(row.query_text)}{muted}{silent}")
    if paused:
        lines += ["", _("Alerts are paused; /resume starts them again.")]
    turn = []
    if page > 0:
        turn.append(InlineKeyboardButton(_("◀ Back"), callback_data=list_data(page - 1)))
    if page + 1 < total:
        turn.append(InlineKeyboardButton(_("More ▶"), callback_data=list_data(page + 1)))
    keyboard = [turn] if turn else []
    if options:
        lines += ["", _("Buttons: 🔕 pause one, 🔔 resume it, 🔇 silent, 🔊 with sound, ✖ remove.")]
        keyboard += [_option_row(number, row, page) for number, row in shown]
    return "\n".join(lines), InlineKeyboardMarkup(keyboard) if keyboard else None


def _option_row(number: int, row: SubscriptionView, page: int) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(
            f"{'🔔' if row.muted else '🔕'} {number}", callback_data=option_data(row.id, "m", page)
        ),
        InlineKeyboardButton(
            f"{'🔊' if row.silent else '🔇'} {number}", callback_data=option_data(row.id, "s", page)
        ),
        InlineKeyboardButton(f"✖ {number}", callback_data=unsubscribe_data(row.id)),
    ]


async def list_subscriptions(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The reader's subscriptions, numbered, a page at a time; `/list @channel` that chat's."""
    me = await reader(update, context)
    acting = await acting_chat(update, context, me)
    if acting is None:
        return
    rows = await topics.subscriptions_of(services(context), acting.chat_id)
    if acting.label is not None:
        await _list_other(update, acting, rows, me._)
        return
    if not rows:
        await reply(update, me._("You have no subscriptions yet. Try /subscribe Nordkorea"))
        return
    text, buttons = list_page(rows, 0, me.paused, me._, options=True)
    await reply(update, text, reply_markup=buttons)


async def _list_other(
    update: Update, acting: Acting, rows: Sequence[SubscriptionView], _: Translate
) -> None:
    """Another chat's list, every page at once: page buttons would act for this chat."""
    label = escape(acting.label or "")
    if not rows:
        await reply(update, _("{chat} has no subscriptions yet.").format(chat=label))
        return
    for page in range(pages(len(rows), LIST_PAGE)):
        text, _buttons = list_page(rows, page, acting.paused, _)
        await reply(update, f"<b>{label}</b>\n{text}")


async def list_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on /list's page buttons: the message shows that page."""
    callback = update.callback_query
    assert callback is not None
    me = await reader(update, context)
    page = read_list(callback.data or "")
    if page is None or not (
        shows_buttons(callback.message, LIST) or shows_buttons(callback.message, OPTION)
    ):
        await answer(callback, me._("That button is out of date; send /list again."))
        return
    rows = await topics.subscriptions_of(services(context), me.chat_id)
    await answer(callback)
    if rows:
        text, buttons = list_page(rows, page, me.paused, me._, options=True)
        await edit_text(update, text, buttons)


def removal_buttons(
    rows: Sequence[SubscriptionView], page: int, _: Translate
) -> InlineKeyboardMarkup:
    """One page of /unsubscribe's buttons, one subscription per row, and the page turners."""
    total = pages(len(rows), REMOVE_PAGE)
    page = min(max(page, 0), total - 1)
    shown = rows[page * REMOVE_PAGE : (page + 1) * REMOVE_PAGE]
    keyboard = [
        [
            InlineKeyboardButton(
                f"✖ {cut(row.query_text, BUTTON_TEXT)}", callback_data=unsubscribe_data(row.id)
            )
        ]
        for row in shown
    ]
    turn = []
    if page > 0:
        turn.append(
            InlineKeyboardButton(_("◀ Back"), callback_data=unsubscribe_page_data(page - 1))
        )
    if page + 1 < total:
        turn.append(
            InlineKeyboardButton(_("More ▶"), callback_data=unsubscribe_page_data(page + 1))
        )
    if turn:
        keyboard.append(turn)
    return InlineKeyboardMarkup(keyboard)


def find_subscription(rows: Sequence[SubscriptionView], typed: str) -> SubscriptionView | None:
    """The subscription a reader named by its /list number or by its text (any case)."""
    typed = typed.strip()
    if typed.isascii() and typed.isdigit() and len(typed) <= 4:
        number = int(typed)
        return rows[number - 1] if 1 <= number <= len(rows) else None
    wanted = typed.casefold()
    return next((r for r in rows if r.query_text.casefold() == wanted), None)


def _removed(query_text: str, _: Translate) -> str:
    return _("Removed <b>{query}</b>.").format(query=escape(query_text))


@group_admin_only(lambda _: _("Only the group's administrators can remove subscriptions here."))
async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE, me: Reader) -> None:
    """Remove a subscription by number or text, or offer buttons for each."""
    _ = me._
    acting = await acting_chat(update, context, me)
    if acting is None:
        return
    text = acting.rest
    rows = await topics.subscriptions_of(services(context), acting.chat_id)
    if not rows:
        await reply(update, _("You have no subscriptions."))
        return
    if not text:
        await _ask_which(update, acting, rows, _)
        return
    target = find_subscription(rows, text)
    if target is None:
        await reply(update, _("I can't find that subscription. /list shows their numbers."))
        return
    removed = await topics.unsubscribe(services(context), acting.chat_id, target.id)
    await reply(update, _removed(removed, _) if removed is not None else _("Already removed."))


async def _ask_which(
    update: Update, acting: Acting, rows: Sequence[SubscriptionView], _: Translate
) -> None:
    """Buttons for this chat's subscriptions; for another chat, how to name one (a button
    tap would act for this chat)."""
    if acting.label is None:
        buttons = removal_buttons(rows, 0, _)
        await reply(update, _("Which subscription should I remove?"), reply_markup=buttons)
        return
    await reply(
        update,
        _("Which one? Send /unsubscribe {chat} NUMBER; /list {chat} shows the numbers.").format(
            chat=escape(acting.label)
        ),
    )


@group_admin_only(lambda _: _("Only the group's administrators can do that."))
async def unsubscribe_button(
    update: Update, context: ContextTypes.DEFAULT_TYPE, me: Reader
) -> None:
    """A tap on one of /unsubscribe's buttons: remove that subscription, or turn the page."""
    query = update.callback_query
    assert query is not None
    _ = me._
    tap = read_unsubscribe(query.data or "")
    if tap is None or not shows_buttons(query.message, UNSUBSCRIBE):
        await answer(query, _("That button is out of date; send /unsubscribe again."))
        return
    if tap.page is not None:
        rows = await topics.subscriptions_of(services(context), me.chat_id)
        await answer(query)
        if rows:
            await query.edit_message_reply_markup(removal_buttons(rows, tap.page, _))
        return
    assert tap.subscription is not None
    removed = await topics.unsubscribe(services(context), me.chat_id, tap.subscription)
    if removed is None:
        await answer(query, _("Already removed."))
        return
    await answer(query, _("Removed."))
    await edit_text(update, _removed(removed, _), None)


@group_admin_only(lambda _: _("Only the group's administrators can do that."))
async def mute_button(update: Update, context: ContextTypes.DEFAULT_TYPE, me: Reader) -> None:
    """The button under an alert: mute (or unmute) the subscription that matched."""
    query = update.callback_query
    assert query is not None
    _ = me._
    tap = read_mute(query.data or "")
    if tap is None or not (
        shows_buttons(query.message, "mute:") or shows_buttons(query.message, "unmute:")
    ):
        await answer(query, _("That button is out of date."))
        return
    row = await topics.set_muted(services(context), me.chat_id, tap.subscription, tap.mute)
    if row is None:
        await answer(query, _("That subscription no longer exists."))
        return
    if tap.mute:
        await answer(query, _("Muted “{query}”.").format(query=row.query_text))
        button = InlineKeyboardButton(_("🔔 Unmute"), callback_data=mute_data(row.id, mute=False))
    else:
        await answer(query, _("Alerts for “{query}” are back on.").format(query=row.query_text))
        button = InlineKeyboardButton(_("🔕 Mute"), callback_data=mute_data(row.id, mute=True))
    await query.edit_message_reply_markup(InlineKeyboardMarkup([[button]]))


@group_admin_only(lambda _: _("Only the group's administrators can do that."))
async def option_button(update: Update, context: ContextTypes.DEFAULT_TYPE, me: Reader) -> None:
    """A tap on a subscription's buttons under /list: pause or resume it, silent or with
    sound; the list is redrawn in place."""
    query = update.callback_query
    assert query is not None
    _ = me._
    tap = read_option(query.data or "")
    if tap is None or not shows_buttons(query.message, OPTION):
        await answer(query, _("That button is out of date; send /list again."))
        return
    svc = services(context)
    current = next(
        (r for r in await topics.subscriptions_of(svc, me.chat_id) if r.id == tap.subscription),
        None,
    )
    if current is None:
        await answer(query, _("That subscription no longer exists."))
        return
    if tap.action == "m":
        await topics.set_muted(svc, me.chat_id, current.id, not current.muted)
        done = _("Alerts for “{query}” are back on.") if current.muted else _("Muted “{query}”.")
    else:
        await topics.set_silent(svc, me.chat_id, current.id, not current.silent)
        done = (
            _("Alerts for “{query}” make a sound again.")
            if current.silent
            else _("Alerts for “{query}” now arrive silently.")
        )
    await answer(query, done.format(query=current.query_text))
    rows = await topics.subscriptions_of(svc, me.chat_id)
    text, buttons = list_page(rows, tap.page, me.paused, _, options=True)
    await edit_text(update, text, buttons)


@group_admin_only(lambda _: _("Only the group's administrators can do that."))
async def mute_list_button(update: Update, context: ContextTypes.DEFAULT_TYPE, me: Reader) -> None:
    """The 🔕 under a digest that named too many subscriptions for a button each: the list,
    with a pause button per subscription, as a new message (the digest stays)."""
    query = update.callback_query
    assert query is not None
    await answer(query)
    rows = await topics.subscriptions_of(services(context), me.chat_id)
    if not rows:
        await reply(update, me._("You have no subscriptions."))
        return
    text, buttons = list_page(rows, 0, me.paused, me._, options=True)
    await reply(update, text, reply_markup=buttons)


async def edit_text(update: Update, text: str, buttons: InlineKeyboardMarkup | None) -> None:
    """Show another page in the tapped message (a double tap redraws the same: no error)."""
    callback = update.callback_query
    assert callback is not None
    try:
        await callback.edit_message_text(text, reply_markup=buttons)
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise
