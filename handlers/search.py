"""/search: newest stored articles that contain the reader's words, five per page."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from db import repo
from feeds.render import cut, escape, format_time
from handlers.common import command_args, reader, reply
from handlers.context import services
from handlers.i18n import Translate

PAGE = 5


def render_results(
    results: list[repo.FoundArticle], query: str, page: int, _: Translate, timezone: str = "UTC"
) -> str:
    """A page of results as HTML: linked headline, source and date, a teaser excerpt."""
    if not results:
        return _("No stored article matches <b>{query}</b>.").format(query=escape(query))
    lines = [
        _("Results for <b>{query}</b>, page {page}:").format(query=escape(query), page=page + 1)
    ]
    for item in results[:PAGE]:
        lines.append(
            f'\n<a href="{escape(item.link)}">{escape(cut(item.title, 150))}</a>\n'
            f"<i>{escape(item.source)} · {escape(format_time(item.published_at, timezone))}</i>\n"
            f"{escape(cut(item.teaser, 160))}"
        )
    return "\n".join(lines)


def _buttons(query: str, page: int, more: bool, _: Translate) -> InlineKeyboardMarkup | None:
    row = []
    # Callback data carries the state (query and page), so paging survives restarts.
    if page > 0:
        row.append(InlineKeyboardButton(_("◀ Newer"), callback_data=_data(page - 1, query)))
    if more:
        row.append(InlineKeyboardButton(_("Older ▶"), callback_data=_data(page + 1, query)))
    return InlineKeyboardMarkup([row]) if row else None


def _data(page: int, query: str) -> str:
    data = f"s:{page}:{query}"
    return data.encode("utf-8")[:64].decode("utf-8", errors="ignore")


async def _page(
    context: ContextTypes.DEFAULT_TYPE, query: str, page: int
) -> tuple[list[repo.FoundArticle], bool]:
    words = [w for w in query.replace('"', " ").split() if w.upper() not in {"OR", "AND"}]
    async with services(context).sessions() as session:
        found = await repo.search_contains(session, words, limit=PAGE + 1, offset=page * PAGE)
    return found[:PAGE], len(found) > PAGE


async def search(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Search every stored article."""
    me = await reader(update, context)
    query = command_args(context, update)
    if not query:
        await reply(update, me._("What should I look for? Example: /search Kim Jong Un"))
        return
    results, more = await _page(context, query, 0)
    await reply(
        update,
        render_results(results, query, 0, me._, me.timezone),
        reply_markup=_buttons(query, 0, more, me._),
    )


async def search_page(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on a paging button under search results."""
    callback = update.callback_query
    assert callback is not None and callback.data is not None
    me = await reader(update, context)
    _prefix, raw_page, query = callback.data.split(":", 2)
    page = max(int(raw_page), 0) if raw_page.isdigit() else 0
    results, more = await _page(context, query, page)
    await callback.answer()
    await callback.edit_message_text(
        render_results(results, query, page, me._, me.timezone),
        reply_markup=_buttons(query, page, more, me._),
    )
