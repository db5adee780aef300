"""/search: stored stories matching the query language, newest coverage first, five per page.

A story (one event, however many outlets carried it) is one result: its newest matching
article, with "+3 outlets" for the others that carried it.

The paging buttons carry `s:<token>:<page>`: the query text (up to 200 characters plus
filters) does not fit Telegram's 64-byte callback data, so it is kept in the `search_queries`
table under a random token that belongs to the chat that searched. A button only works in that
chat, only ever edits a message that carries its own paging buttons, and keeps working after a
restart. Searches and page turns are rate-limited per chat.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from feeds.query import Query, QueryError, parse_query
from feeds.render import escape
from feeds.render_search import highlight_of, render_results
from feeds.search_request import SearchRequest, parse_search
from handlers.callbacks import MAX_PAGE, read_search, search_data, search_prefix
from handlers.common import Reader, answer, command_args, echo, reader, reply, shows_buttons
from handlers.context import services
from handlers.i18n import Translate, time_formatter
from services import search as archive

PAGE = archive.PER_PAGE
ERROR_LIMIT = 600
"""A query error repeats what the reader typed; it is cut to stay a short reply."""


def _understand(
    typed: str, context: ContextTypes.DEFAULT_TYPE, me: Reader
) -> tuple[SearchRequest, Query | None]:
    """The request and its parsed query (None: filters only); raises QueryError."""
    request = parse_search(typed, now=services(context).clock(), _=me._)
    if not request.query_text and request.has_filters:
        return request, None
    return request, parse_query(request.query_text, _=me._, ngettext=me.ngettext)


def _buttons(token: str | None, page: int, more: bool, _: Translate) -> InlineKeyboardMarkup | None:
    if token is None:
        return None
    row = []
    if page > 0:
        row.append(InlineKeyboardButton(_("◀ Newer"), callback_data=search_data(token, page - 1)))
    if more and page < MAX_PAGE:
        row.append(InlineKeyboardButton(_("Older ▶"), callback_data=search_data(token, page + 1)))
    return InlineKeyboardMarkup([row]) if row else None


def _too_fast(_: Translate) -> str:
    return _("That's a lot of searching: please wait a minute, then try again.")


def _query_problem(error: QueryError) -> str:
    return "⚠️ " + escape(echo(error.message, ERROR_LIMIT))


async def _answer(
    context: ContextTypes.DEFAULT_TYPE,
    me: Reader,
    request: SearchRequest,
    query: Query | None,
    page: int,
    token: str | None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of one result page (stores the query when a next page exists)."""
    found = await archive.search_page(
        services(context), me.chat_id, request, query, page=page, token=token
    )
    text = render_results(
        found.results,
        shown_query=echo(request.text),
        highlight=highlight_of(query),
        page=page,
        per_page=PAGE,
        timezone=me.timezone,
        _=me._,
        ngettext=me.ngettext,
        time_format=time_formatter(me.language),
    )
    return text, _buttons(found.token, page, found.more, me._)


async def search(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Search every stored article."""
    me = await reader(update, context)
    typed = command_args(context, update)
    if not typed:
        await reply(update, me._("What should I look for? Example: /search Kim Jong Un"))
        return
    if not archive.may_search(services(context), me.chat_id):
        await reply(update, _too_fast(me._))
        return
    try:
        request, query = _understand(typed, context, me)
    except QueryError as error:
        await reply(update, _query_problem(error))
        return
    text, buttons = await _answer(context, me, request, query, 0, None)
    await reply(update, text, reply_markup=buttons, disable_web_page_preview=True)


async def search_page(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on a paging button under search results: the message shows the other page."""
    callback = update.callback_query
    assert callback is not None
    me = await reader(update, context)
    tap = read_search(callback.data or "")
    stored = None
    if tap is not None and shows_buttons(callback.message, search_prefix(tap.token)):
        stored = await archive.stored_query(services(context), me.chat_id, tap.token)
    if tap is None or stored is None:
        await answer(callback, me._("This search has expired; send /search again."))
        return
    if not archive.may_search(services(context), me.chat_id):
        await answer(callback, _too_fast(me._))
        return
    try:
        request, query = _understand(stored, context, me)
    except QueryError as error:
        await answer(callback, error.message)
        return
    text, buttons = await _answer(context, me, request, query, tap.page, tap.token)
    await answer(callback)
    try:
        await callback.edit_message_text(text, reply_markup=buttons, disable_web_page_preview=True)
    except BadRequest as error:
        # A double tap asks for the page already shown; Telegram refuses the no-op edit.
        if "not modified" not in str(error).lower():
            raise
