"""Full-text search behind a Protocol: the caller does not know which database answers.

`search_backend(DATABASE_URL)` picks the implementation for the database's backend, and refuses
a backend that has none, so a bot on such a database stops at start with one clear line instead
of answering every /search with nothing: FTS5 on SQLite (`db.search`), `tsvector` on
PostgreSQL (`db.search_pg`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from db import search, search_pg
from db.engine import backend_of
from db.search import Document, SearchPage
from feeds.query import Query
from feeds.search_request import SearchRequest

__all__ = ["Fts5Search", "PostgresSearch", "SearchBackend", "search_backend"]


class SearchBackend(Protocol):
    """Index stored articles, answer /search, keep search texts for paging buttons."""

    async def index_articles(self, session: AsyncSession, documents: Iterable[Document]) -> None:
        """Index new articles in the caller's transaction."""
        ...

    async def search(
        self,
        session: AsyncSession,
        request: SearchRequest,
        query: Query | None,
        *,
        page: int = 0,
        per_page: int = search.PER_PAGE,
    ) -> SearchPage:
        """A page of matching stories, each once by its newest matching article (or its best
        one, by relevance), with the count of the story's other outlets."""
        ...

    async def save_query(
        self, session: AsyncSession, chat_id: int, query_text: str, *, now: datetime
    ) -> str:
        """The random token a paging button carries for a chat's search text."""
        ...

    async def load_query(self, session: AsyncSession, chat_id: int, token: str) -> str | None:
        """The chat's search text behind a paging button; None once forgotten or not its."""
        ...


class Fts5Search:
    """SQLite's FTS5 index (migration 0002), as `db.search` implements it."""

    engine: ClassVar[search.Engine] = search.FTS5_ENGINE

    async def index_articles(self, session: AsyncSession, documents: Iterable[Document]) -> None:
        await search.index_articles(session, documents)

    async def search(
        self,
        session: AsyncSession,
        request: SearchRequest,
        query: Query | None,
        *,
        page: int = 0,
        per_page: int = search.PER_PAGE,
    ) -> SearchPage:
        return await search.search(
            session, request, query, page=page, per_page=per_page, engine=self.engine
        )

    async def save_query(
        self, session: AsyncSession, chat_id: int, query_text: str, *, now: datetime
    ) -> str:
        return await search.save_query(session, chat_id, query_text, now=now)

    async def load_query(self, session: AsyncSession, chat_id: int, token: str) -> str | None:
        return await search.load_query(session, chat_id, token)


class PostgresSearch(Fts5Search):
    """PostgreSQL's `tsvector` index (migration 0002). The index rows and the stored search
    texts are the same tables, written by the same portable SQL (`db.search`), and the pages
    are assembled by the same code; only the query differs: `db.search_pg` translates it to a
    tsquery and finds the stories."""

    engine: ClassVar[search.Engine] = search_pg.ENGINE


def search_backend(database_url: str) -> SearchBackend:
    """The search implementation for DATABASE_URL's backend; DatabaseURLError when none."""
    if backend_of(database_url) == "postgresql":
        return PostgresSearch()
    return Fts5Search()
