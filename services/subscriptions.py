"""Use cases of a chat's topics: subscribe, list, unsubscribe, mute and unmute."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

from db import subscriptions
from feeds.matcher import Matcher
from feeds.query import (
    Query,
    QueryError,
    iter_terms,
    parse_query,
    query_from_json,
    query_to_json,
)
from feeds.scope import Scope, split_scope
from feeds.search_request import SearchRequest, SearchResult
from feeds.translate import Translate, TranslatePlural, english_plural
from services.core import Services

RECENT_CANDIDATES = 20
RECENT_SHOWN = 3
MAX_SUBSCRIPTIONS = 100
"""Subscriptions one chat may keep (each costs matcher memory and a line of /list)."""
MAX_TERMS = 300
"""Terms one subscription may expand to. A country name brings 25 to 55 (its names in other
languages); 20 countries in one query made 500 to 580, about 75 kB of matcher memory."""


class LimitReached(Exception):
    """A subscription the chat may not add: it has `limit` already (`kind` "subscriptions"), or
    the query expands to `count` terms, more than `limit` (`kind` "terms")."""

    def __init__(self, kind: Literal["subscriptions", "terms"], count: int, limit: int) -> None:
        super().__init__(f"{kind}: {count} > {limit}")
        self.kind = kind
        self.count = count
        self.limit = limit


def expanded_terms(query: Query) -> int:
    """How many terms the matcher holds for a query, its expansions included."""
    return sum(1 for _term in iter_terms(query.root))


@dataclass(frozen=True, slots=True)
class Subscribed:
    """A stored subscription: the parsed query, whether it is new, stored articles it matches."""

    query: Query
    created: bool
    matches: tuple[SearchResult, ...]
    scope: Scope = field(default_factory=Scope)
    """The feeds and languages it alerts on (`source:`, `lang:`); empty: all."""


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    """One of a chat's subscriptions."""

    id: int
    query_text: str
    muted: bool
    scope: Scope = field(default_factory=Scope)
    silent: bool = False


def _alerting(query: Query, candidates: list[SearchResult]) -> tuple[SearchResult, ...]:
    """The search hits the alert matcher agrees with (pure; runs in a thread)."""
    matcher = Matcher.build([(0, query)])
    found = [r for r in candidates if matcher.match(r.title, r.teaser, r.language)]
    return tuple(found[:RECENT_SHOWN])


async def subscribe(
    svc: Services,
    chat_id: int,
    text: str,
    _: Translate,
    *,
    ngettext: TranslatePlural = english_plural,
    thread_id: int | None = None,
) -> Subscribed:
    """Parse, store and index a chat's query (raises QueryError, explained in the reader's words,
    or LimitReached).

    `chat_id` is the chat that receives the alerts, which need not be the chat the command
    came from; `thread_id` the forum topic they go to (None: the chat itself).
    """
    query_text, scope = split_scope(text, _)
    query = parse_query(query_text, _=_, ngettext=ngettext)
    stored_as = scoped_text(query.text, scope)
    if len(stored_as) > MAX_STORED:
        raise QueryError(
            ngettext(
                "The query is too long ({length} character): use at most {limit}. "
                "Split it into several subscriptions.",
                "The query is too long ({length} characters): use at most {limit}. "
                "Split it into several subscriptions.",
                len(stored_as),
            ).format(length=len(stored_as), limit=MAX_STORED)
        )
    terms = expanded_terms(query)
    if terms > MAX_TERMS:
        raise LimitReached("terms", terms, MAX_TERMS)
    try:
        async with svc.write() as tx:
            row, created = await subscriptions.add_subscription(
                tx,
                chat_id,
                stored_as,
                query_to_json(query),
                now=svc.clock(),
                limit=MAX_SUBSCRIPTIONS,
                thread_id=thread_id,
                scope_json=scope.to_json(),
            )
            subscription_id, stored_text = row.id, row.query_text
    except subscriptions.TooManySubscriptions:
        raise LimitReached("subscriptions", MAX_SUBSCRIPTIONS, MAX_SUBSCRIPTIONS) from None
    if created:
        svc.index.add(subscription_id, chat_id, stored_text, query)
    # The archive's newest matches come from the search index; the matcher confirms them.
    async with svc.read() as session:
        page = await svc.search.search(
            session,
            SearchRequest(
                text=stored_as,
                query_text=query.text,
                sources=scope.sources,
                languages=scope.languages,
            ),
            query,
            per_page=RECENT_CANDIDATES,
        )
    matches = await asyncio.to_thread(_alerting, query, list(page.results))
    return Subscribed(query, created, matches, scope)


MAX_STORED = 256
"""Characters of a stored subscription, its filters included (the column's width)."""


def scoped_text(query_text: str, scope: Scope) -> str:
    """How a scoped subscription is stored and listed: the query, then its filters as
    `/subscribe` reads them (`Nordkorea source:krone lang:de`); one text per scope, so the same
    query with another scope is another subscription."""
    words = [query_text]
    words += [f'source:"{name}"' if " " in name else f"source:{name}" for name in scope.sources]
    words += [f"lang:{code}" for code in scope.languages]
    return " ".join(words)


async def subscriptions_of(svc: Services, chat_id: int) -> list[SubscriptionView]:
    """The chat's subscriptions, oldest first."""
    async with svc.read() as session:
        rows = await subscriptions.list_subscriptions(session, chat_id)
        return [
            SubscriptionView(
                row.id, row.query_text, row.muted, Scope.from_json(row.scope_json), row.silent
            )
            for row in rows
        ]


async def unsubscribe(svc: Services, chat_id: int, subscription_id: int) -> str | None:
    """Remove one of the chat's subscriptions; its query text, or None if it was not there."""
    async with svc.write() as tx:
        removed = await subscriptions.remove_subscription(tx, chat_id, subscription_id)
        text = removed.query_text if removed is not None else None
    if text is not None:
        svc.index.remove(subscription_id)
    return text


async def set_muted(
    svc: Services, chat_id: int, subscription_id: int, muted: bool
) -> SubscriptionView | None:
    """Mute (or unmute) one of the chat's subscriptions; None if it no longer exists."""
    async with svc.write() as tx:
        row = await subscriptions.set_muted(tx, chat_id, subscription_id, muted)
        if row is None:
            return None
        view = SubscriptionView(row.id, row.query_text, row.muted)
        query_json = row.query_json
    if muted:
        svc.index.remove(subscription_id)
    else:
        svc.index.add(subscription_id, chat_id, view.query_text, query_from_json(query_json))
    return view


async def set_silent(
    svc: Services, chat_id: int, subscription_id: int, silent: bool
) -> SubscriptionView | None:
    """One of the chat's subscriptions alerts without a sound (or with one again); None if it
    no longer exists."""
    async with svc.write() as tx:
        row = await subscriptions.set_silent(tx, chat_id, subscription_id, silent)
        if row is None:
            return None
        return SubscriptionView(row.id, row.query_text, row.muted, silent=row.silent)
