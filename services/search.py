"""Use cases of /search: one page of results, and the stored query behind paging buttons."""

from __future__ import annotations

from dataclasses import dataclass

from db import search
from feeds.query import Query
from feeds.search_request import SearchRequest, SearchResult
from services.core import Services

PER_PAGE = search.PER_PAGE


@dataclass(frozen=True, slots=True)
class ResultPage:
    """One page of results (stories); `token` names the chat's stored query when there is
    another page."""

    results: tuple[SearchResult, ...]
    more: bool
    token: str | None


def may_search(svc: Services, chat_id: int) -> bool:
    """Whether the chat may search (or turn a page) now: 10 a minute, by the services' clock."""
    return svc.search_limit.allow(chat_id, svc.clock())


async def search_page(
    svc: Services,
    chat_id: int,
    request: SearchRequest,
    query: Query | None,
    *,
    page: int,
    token: str | None,
) -> ResultPage:
    """A page of the newest (or most relevant) stored stories matching the request: each story
    once, by its newest (or best) matching article, with its other outlets counted.

    The request is stored for the chat (for the paging buttons) only when a next page exists.
    """
    async with svc.read() as session:
        found = await svc.search.search(session, request, query, page=page)
    if token is None and found.more:
        async with svc.write() as tx:
            token = await svc.search.save_query(tx, chat_id, request.text, now=svc.clock())
    return ResultPage(tuple(found.results), found.more, token)


async def stored_query(svc: Services, chat_id: int, token: str) -> str | None:
    """The text of the chat's search a paging button refers to; None once expired or not its."""
    async with svc.read() as session:
        return await svc.search.load_query(session, chat_id, token)
