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
    """One page of results; `query_id` names the stored query when there is another page."""

    results: tuple[SearchResult, ...]
    more: bool
    query_id: int | None


async def search_page(
    svc: Services,
    request: SearchRequest,
    query: Query | None,
    *,
    page: int,
    query_id: int | None,
) -> ResultPage:
    """A page of the newest (or most relevant) stored articles matching the request.

    The request is stored (for the paging buttons) only when a next page exists.
    """
    async with svc.read() as session:
        found = await svc.search.search(session, request, query, page=page)
    if query_id is None and found.more:
        async with svc.write() as tx:
            query_id = await svc.search.save_query(tx, request.text, now=svc.clock())
    return ResultPage(tuple(found.results), found.more, query_id)


async def stored_query(svc: Services, query_id: int) -> str | None:
    """The text of a search a paging button refers to; None once it expired."""
    async with svc.read() as session:
        return await svc.search.load_query(session, query_id)
