"""Limits and group manners at the use-case level: caps on subscriptions, paging tokens per chat,
a group migrating onto a chat id that already has rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.parsing import over_budget
from db import chats as chat_store
from db import subscriptions as store
from db.engine import make_engine, make_sessionmaker, migrate
from db.models import Alert, Chat, Subscription
from db.unit import Database
from feeds.fetch import FetchRequest, FetchResult
from feeds.models import ParsedFeed
from feeds.search_request import SearchRequest
from services import chats, search, subscriptions
from services.core import Services
from services.feeds import add_feed, sources
from services.subscriptions import MAX_SUBSCRIPTIONS, LimitReached
from tests.integration.seed import seed_outbox

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
COUNTRIES = (
    "Chad Peru Iran Iraq Cuba Mali Oman Laos Togo Fiji Niger Chile China Japan India Spain "
    "Italy Kenya Nepal Yemen"
)
"""Twenty country names: each also matches its names in other languages (about 500 terms)."""


def _english(text: str) -> str:
    return text


@pytest.fixture
async def svc(tmp_path: Path) -> AsyncIterator[Services]:
    url = f"sqlite:///{tmp_path}/newsbot.db"
    migrate(url)
    engine = make_engine(url)
    yield Services(Database(make_sessionmaker(engine)), clock=lambda: NOW)
    await engine.dispose()


async def _chat(svc: Services, chat_id: int) -> None:
    await chats.record_chat(
        svc, chat_id, chat_type="private", title=None, language="en", reactivate=False
    )


async def test_a_chat_keeps_at_most_100_subscriptions(svc: Services) -> None:
    await _chat(svc, 5)
    async with svc.write() as tx:
        for number in range(MAX_SUBSCRIPTIONS):
            await chat_store.upsert_chat(tx, 5, now=NOW)
            await store.add_subscription(tx, 5, f"topic{number}", "{}", now=NOW)
    with pytest.raises(LimitReached, match="subscriptions"):
        await subscriptions.subscribe(svc, 5, "Nordkorea", _english)
    # Asking again for one it has is no new subscription, so no refusal.
    again = await subscriptions.subscribe(svc, 5, "topic7", _english)
    assert not again.created
    await _chat(svc, 6)
    assert (await subscriptions.subscribe(svc, 6, "Nordkorea", _english)).created


async def test_a_query_expanding_to_hundreds_of_terms_is_refused(svc: Services) -> None:
    await _chat(svc, 5)
    with pytest.raises(LimitReached, match="terms"):
        await subscriptions.subscribe(svc, 5, COUNTRIES, _english)
    assert await subscriptions.subscriptions_of(svc, 5) == []
    assert (await subscriptions.subscribe(svc, 5, "Nordkorea OR China", _english)).created


async def test_a_paging_token_works_only_in_the_chat_that_searched(svc: Services) -> None:
    async with svc.write() as tx:
        token = await svc.search.save_query(tx, 1, "kim", now=NOW)
        again = await svc.search.save_query(tx, 1, "kim", now=NOW)
        other = await svc.search.save_query(tx, 2, "kim", now=NOW)
    assert token == again != other
    assert len(token) >= 12 and token.isascii()
    assert await search.stored_query(svc, 1, token) == "kim"
    assert await search.stored_query(svc, 2, token) is None
    assert await search.stored_query(svc, 2, other) == "kim"
    assert await search.stored_query(svc, 1, "1") is None


async def test_searches_are_limited_per_chat(svc: Services) -> None:
    allowed = [search.may_search(svc, 1) for _ in range(11)]
    assert allowed == [True] * 10 + [False]
    assert search.may_search(svc, 2)
    request = SearchRequest(text="kim", query_text="kim")
    page = await search.search_page(svc, 1, request, None, page=0, token=None)
    assert page.results == () and page.token is None


async def test_a_group_migrating_onto_a_known_chat_merges(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/newsbot.db"
    # Both chats follow "Kim"; stories 0 and 1 are queued for both, story 2 for the old one.
    await seed_outbox(url, {-1: 3, -100: 2})
    engine = make_engine(url)
    svc = Services(Database(make_sessionmaker(engine)), clock=lambda: NOW)
    try:
        async with svc.write() as tx:
            await chat_store.update_chat_settings(tx, -1, language="de", timezone="Europe/Vienna")
            await store.add_subscription(tx, -1, "Putin", "{}", now=NOW)
            await svc.search.save_query(tx, -1, "kim", now=NOW)
            await svc.search.save_query(tx, -100, "kim", now=NOW)
        await chats.move_chat(svc, -1, -100)
        await chats.move_chat(svc, -1, -100)  # a second pass changes nothing
        async with svc.read() as session:
            texts = await session.scalars(
                select(Subscription.query_text).where(Subscription.chat_id == -100)
            )
            alerts = await session.scalar(
                select(func.count()).select_from(Alert).where(Alert.chat_id == -100)
            )
            old = await session.get(Chat, -1)
            new = await session.get(Chat, -100)
        assert sorted(texts) == ["Kim", "Putin"]
        assert alerts == 3
        assert old is None
        assert new is not None and (new.language, new.timezone) == ("de", "Europe/Vienna")
    finally:
        await engine.dispose()


class _OneBody:
    """A fetcher that answers every address with the same body (no network)."""

    async def fetch(self, request: FetchRequest) -> FetchResult:
        return FetchResult(
            url=request.url,
            status=200,
            body=b"<rss><channel><title>T</title></channel></rss>",
            headers={},
            etag=None,
            last_modified=None,
            not_modified=False,
            error_kind=None,
            error=None,
            retry_after=None,
            max_age=None,
            bytes_read=44,
        )


class _OutOfTime:
    """The shared parser pool when the document takes longer than the parse budget."""

    def __init__(self) -> None:
        self.parsed: list[str] = []

    async def parse(self, body: bytes, url: str, headers: dict[str, str]) -> ParsedFeed:
        self.parsed.append(url)
        return over_budget(5.0)


async def test_addfeed_parses_in_the_shared_pool_within_its_budget(svc: Services) -> None:
    parser = _OutOfTime()
    svc.fetcher = _OneBody()  # type: ignore[assignment]
    svc.parser = parser
    added = await add_feed(svc, "https://slow.example/rss")
    assert parser.parsed == ["https://slow.example/rss"]
    assert added.outcome == "not_a_feed"
    assert await sources(svc) == []
