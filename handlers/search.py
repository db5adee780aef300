"""/search: stored articles matching the query language, newest first, five per page.

The paging buttons carry `s:<stored query id>:<page>`: the query text (up to 200 characters
plus filters) does not fit Telegram's 64-byte callback data, so it is kept in the
`search_queries` table, and the buttons keep working after a restart.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from feeds.query import Query, QueryError, parse_query
from feeds.render import escape
from feeds.render_search import highlight_of, render_results
from feeds.search_request import SearchRequest, parse_search
from handlers.common import Reader, command_args, reader, reply
from handlers.context import services
from handlers.i18n import Translate, time_formatter
from services import search as archive

PAGE = archive.PER_PAGE
CALLBACK_PREFIX = "s:"
MAX_PAGE = 999


def _understand(
    typed: str, context: ContextTypes.DEFAULT_TYPE, _: Translate
) -> tuple[SearchRequest, Query | None]:
    """The request and its parsed query (None: filters only); raises QueryError."""
    request = parse_search(typed, now=services(context).clock(), _=_)
    if not request.query_text and request.has_filters:
        return request, None
    return request, parse_query(request.query_text, _=_)


def _buttons(
    query_id: int | None, page: int, more: bool, _: Translate
) -> InlineKeyboardMarkup | None:
    if query_id is None:
        return None
    row = []
    if page > 0:
        row.append(InlineKeyboardButton(_("◀ Newer"), callback_data=_data(query_id, page - 1)))
    if more and page < MAX_PAGE:
        row.append(InlineKeyboardButton(_("Older ▶"), callback_data=_data(query_id, page + 1)))
    return InlineKeyboardMarkup([row]) if row else None


def _data(query_id: int, page: int) -> str:
    return f"{CALLBACK_PREFIX}{query_id}:{page}"


def _parse_data(data: str) -> tuple[int, int] | None:
    """(stored query id, page) from a button, None for anything else (older formats too)."""
    parts = data.removeprefix(CALLBACK_PREFIX).split(":")
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        return None
    return int(parts[0]), min(int(parts[1]), MAX_PAGE)


async def _answer(
    context: ContextTypes.DEFAULT_TYPE,
    me: Reader,
    request: SearchRequest,
    query: Query | None,
    page: int,
    query_id: int | None,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of one result page (stores the query when a next page exists)."""
    found = await archive.search_page(
        services(context), request, query, page=page, query_id=query_id
    )
    text = render_results(
        found.results,
        shown_query=request.text,
        highlight=highlight_of(query),
        page=page,
        per_page=PAGE,
        timezone=me.timezone,
        _=me._,
        time_format=time_formatter(me.language),
    )
    return text, _buttons(found.query_id, page, found.more, me._)


async def search(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Search every stored article."""
    me = await reader(update, context)
    typed = command_args(context, update)
    if not typed:
        await reply(update, me._("What should I look for? Example: /search Kim Jong Un"))
        return
    try:
        request, query = _understand(typed, context, me._)
    except QueryError as error:
        await reply(update, "⚠️ " + escape(error.message))
        return
    text, buttons = await _answer(context, me, request, query, 0, None)
    await reply(update, text, reply_markup=buttons, disable_web_page_preview=True)


async def search_page(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on a paging button under search results: the message shows the other page."""
    callback = update.callback_query
    assert callback is not None
    me = await reader(update, context)
    parsed = _parse_data(callback.data or "")
    stored = None
    if parsed is not None:
        stored = await archive.stored_query(services(context), parsed[0])
    if parsed is None or stored is None:
        await callback.answer(me._("This search has expired; send /search again."))
        return
    query_id, page = parsed
    try:
        request, query = _understand(stored, context, me._)
    except QueryError as error:
        await callback.answer(error.message[:200])
        return
    text, buttons = await _answer(context, me, request, query, page, query_id)
    await callback.answer()
    try:
        await callback.edit_message_text(text, reply_markup=buttons, disable_web_page_preview=True)
    except BadRequest as error:
        # A double tap asks for the page already shown; Telegram refuses the no-op edit.
        if "not modified" not in str(error).lower():
            raise
