"""The callback data of every button, built and read back by pure functions.

Callback data comes from the reader's client, so it is input like any typed text: anyone can
send any string of up to 64 bytes with any button. Every reader here returns a value or None
and never raises: a forged tap is ignored (or answered "out of date"), never the generic
error. Numbers are ASCII digits only (`²` and `٣` pass `str.isdigit`) and bounded (an id must
fit the database's 64-bit integer).
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from dataclasses import dataclass

MAX_ID = 2**63 - 1
"""The largest id SQLite (and PostgreSQL's BIGINT) can hold."""
MAX_PAGE = 999
MAX_DATA_BYTES = 64
"""Telegram's limit on a button's callback data."""

_NUMBER = re.compile(r"[0-9]{1,19}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,32}")


def read_id(text: str) -> int | None:
    """A positive database id written in ASCII digits, or None."""
    if _NUMBER.fullmatch(text) is None:
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def read_page(text: str) -> int | None:
    """A page number 0…MAX_PAGE in ASCII digits, or None."""
    if not text.isascii() or not text.isdigit() or len(text) > 3:
        return None
    return int(text)


def _after(data: str, prefix: str) -> str | None:
    return data[len(prefix) :] if data.startswith(prefix) else None


# --- /search paging: s:<token>:<page> --------------------------------------------------------

SEARCH = "s:"


@dataclass(frozen=True, slots=True)
class SearchPage:
    token: str
    page: int


def search_prefix(token: str) -> str:
    """What every paging button of one search starts with."""
    return f"{SEARCH}{token}:"


def search_data(token: str, page: int) -> str:
    return f"{search_prefix(token)}{page}"


def read_search(data: str) -> SearchPage | None:
    rest = _after(data, SEARCH)
    if rest is None:
        return None
    token, _sep, raw_page = rest.partition(":")
    page = read_page(raw_page)
    if _TOKEN.fullmatch(token) is None or page is None:
        return None
    return SearchPage(token, page)


# --- subscriptions: unsub:<id>, unsub:p<page>, list:<page>, mute:<id>, unmute:<id> ------------

UNSUBSCRIBE = "unsub:"
LIST = "list:"


@dataclass(frozen=True, slots=True)
class Removal:
    """A tap under /unsubscribe: remove `subscription`, or show `page` of the buttons."""

    subscription: int | None = None
    page: int | None = None


def unsubscribe_data(subscription_id: int) -> str:
    return f"{UNSUBSCRIBE}{subscription_id}"


def unsubscribe_page_data(page: int) -> str:
    return f"{UNSUBSCRIBE}p{page}"


def read_unsubscribe(data: str) -> Removal | None:
    rest = _after(data, UNSUBSCRIBE)
    if rest is None:
        return None
    if rest.startswith("p"):
        page = read_page(rest[1:])
        return None if page is None else Removal(page=page)
    subscription = read_id(rest)
    return None if subscription is None else Removal(subscription=subscription)


def list_data(page: int) -> str:
    return f"{LIST}{page}"


def read_list(data: str) -> int | None:
    rest = _after(data, LIST)
    return None if rest is None else read_page(rest)


@dataclass(frozen=True, slots=True)
class Mute:
    subscription: int
    mute: bool


def mute_data(subscription_id: int, *, mute: bool) -> str:
    return f"{'mute' if mute else 'unmute'}:{subscription_id}"


def read_mute(data: str) -> Mute | None:
    action, _sep, raw = data.partition(":")
    subscription = read_id(raw)
    if action not in ("mute", "unmute") or subscription is None:
        return None
    return Mute(subscription, action == "mute")


# --- /list options: opt:<id>:<m|s>:<page> --------------------------------------------------

OPTION = "opt:"


@dataclass(frozen=True, slots=True)
class OptionTap:
    """A tap under /list: toggle `action` ("m" pause, "s" silent) of `subscription`, then show
    `page` again."""

    subscription: int
    action: str
    page: int


def option_data(subscription_id: int, action: str, page: int) -> str:
    return f"{OPTION}{subscription_id}:{action}:{page}"


def read_option(data: str) -> OptionTap | None:
    rest = _after(data, OPTION)
    if rest is None:
        return None
    parts = rest.split(":")
    if len(parts) != 3 or parts[1] not in ("m", "s"):
        return None
    subscription, page = read_id(parts[0]), read_page(parts[2])
    if subscription is None or page is None:
        return None
    return OptionTap(subscription, parts[1], page)


# --- /start examples: try:<language>:<index> --------------------------------------------------

TRY = "try:"


@dataclass(frozen=True, slots=True)
class ExampleTap:
    """A tap on the `index`th example of `language` (the language the buttons were drawn in:
    the reader may have switched since, and the button must still add what its label said)."""

    language: str
    index: int


def example_data(language: str, index: int) -> str:
    return f"{TRY}{language}:{index}"


def read_example(data: str, counts: Mapping[str, int]) -> ExampleTap | None:
    """One of the examples, where `counts` says how many each language has; or None."""
    rest = _after(data, TRY)
    if rest is None:
        return None
    language, _sep, raw_index = rest.partition(":")
    index = read_page(raw_index)
    if index is None or index >= counts.get(language, 0):
        return None
    return ExampleTap(language, index)


# --- /language: lang:<code> ------------------------------------------------------------------

LANGUAGE = "lang:"


def read_language(data: str, known: Container[str]) -> str | None:
    """A language code among `known`, or None."""
    rest = _after(data, LANGUAGE)
    if rest is None or len(rest) > 8:
        return None
    return rest if rest in known else None


# --- /removefeed: rmfeed:<id>, rmfeed:p<page> -------------------------------------------------

REMOVE_FEED = "rmfeed:"


@dataclass(frozen=True, slots=True)
class FeedRemoval:
    feed: int | None = None
    page: int | None = None


def read_feed_removal(data: str) -> FeedRemoval | None:
    rest = _after(data, REMOVE_FEED)
    if rest is None:
        return None
    if rest.startswith("p"):
        page = read_page(rest[1:])
        return None if page is None else FeedRemoval(page=page)
    feed = read_id(rest)
    return None if feed is None else FeedRemoval(feed=feed)
