"""Hostile chat input: nothing a reader can type or forge makes a parser raise.

Every callback parser and every command-argument parser is fed arbitrary text (callback data
is any string of up to 64 bytes; arguments any Unicode of any length). Each must answer with a
value or None (or, for queries, a QueryError that the handler explains), never an exception that
would reach the generic "Sorry, something went wrong".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feeds.query import QueryError, parse_query
from feeds.search_request import parse_search
from handlers import callbacks
from handlers.admin import normalize_feed_url
from handlers.callbacks import MAX_ID, MAX_PAGE
from handlers.i18n import LANGUAGES
from handlers.settings import (
    ChatSettings,
    apply_setting,
    find_language,
    find_zone,
    language_keyboard,
    settings_keyboard,
    suggest_zones,
)
from handlers.start import EXAMPLE_COUNTS, addressed_elsewhere
from handlers.subscriptions import find_subscription, list_page, removal_buttons
from services.limits import ChatRateLimit
from services.subscriptions import MAX_SUBSCRIPTIONS, SubscriptionView

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fits_callback(data: str) -> str:
    return data.encode()[: callbacks.MAX_DATA_BYTES].decode(errors="ignore")


# Callback data: any text up to 64 bytes, and texts that start like each known button.
PREFIXES = (
    *("s:", "unsub:", "unsub:p", "list:", "mute:", "unmute:", "try:", "try:ko:", "lang:"),
    "rmfeed:",
    *("rmfeed:p", "set:", "set:hour:", "set:quiet:", "set:al:", "set:lang:", "set:mode:"),
)
ODD = ("²", "٣", "１", "-1", "0", "00", "99999999999999999999", str(2**63), str(2**64), "1e3", " 1")
anything = st.text(max_size=64).map(_fits_callback)
forged = st.builds(
    lambda prefix, tail: _fits_callback(prefix + tail),
    st.sampled_from(PREFIXES),
    st.one_of(st.text(max_size=64), st.sampled_from(ODD)),
)
callback_data = st.one_of(anything, forged)

SETTINGS = ChatSettings(
    language="en",
    timezone="UTC",
    alert_mode="instant",
    digest_hour=None,
    quiet_start=None,
    quiet_end=None,
    article_languages=frozenset(),
)


@FAST
@given(callback_data)
@example("s:1:0")
@example("unsub:²")
@example("mute:99999999999999999999999")
@example("set:quiet:²-1")
@example("set:hour:²")
@example("rmfeed:p²")
def test_no_callback_data_makes_a_parser_raise(data: str) -> None:
    search = callbacks.read_search(data)
    if search is not None:
        assert 0 <= search.page <= MAX_PAGE and search.token.isascii()
    removal = callbacks.read_unsubscribe(data)
    if removal is not None:
        assert removal.page is not None or 0 < (removal.subscription or 0) <= MAX_ID
    page = callbacks.read_list(data)
    assert page is None or 0 <= page <= MAX_PAGE
    mute = callbacks.read_mute(data)
    assert mute is None or 0 < mute.subscription <= MAX_ID
    example = callbacks.read_example(data, EXAMPLE_COUNTS)
    assert example is None or 0 <= example.index < EXAMPLE_COUNTS[example.language]
    assert callbacks.read_language(data, LANGUAGES) in (None, *LANGUAGES)
    feed = callbacks.read_feed_removal(data)
    if feed is not None:
        assert feed.page is not None or 0 < (feed.feed or 0) <= MAX_ID
    changes = apply_setting(SETTINGS, data)
    if changes is not None:
        for name in ("quiet_start", "quiet_end"):
            assert changes.get(name) is None or 0 <= changes[name] < 24 * 60  # type: ignore[operator]


@pytest.mark.parametrize("text", ["²", "٣", "１", "1²", "99999999999999999999999", "-3", "", "0"])
def test_odd_digits_are_not_ids(text: str) -> None:
    assert callbacks.read_id(text) is None
    assert callbacks.read_unsubscribe("unsub:" + text) is None


def test_the_largest_64_bit_id_is_read_and_one_more_is_not() -> None:
    assert callbacks.read_id(str(MAX_ID)) == MAX_ID
    assert callbacks.read_id(str(MAX_ID + 1)) is None


@given(
    st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
        min_size=12,
        max_size=16,
    ),
    st.integers(0, MAX_PAGE),
)
def test_the_buttons_we_make_read_back_and_fit_telegram(token: str, page: int) -> None:
    data = callbacks.search_data(token, page)
    assert len(data.encode()) <= callbacks.MAX_DATA_BYTES
    assert callbacks.read_search(data) == callbacks.SearchPage(token, page)
    assert callbacks.read_unsubscribe(callbacks.unsubscribe_data(MAX_ID)) == callbacks.Removal(
        subscription=MAX_ID
    )
    assert callbacks.read_unsubscribe(callbacks.unsubscribe_page_data(page)) == (
        callbacks.Removal(page=page)
    )
    assert callbacks.read_list(callbacks.list_data(page)) == page
    assert callbacks.read_mute(callbacks.mute_data(7, mute=False)) == callbacks.Mute(7, False)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_example_button_reads_back_and_one_past_the_end_does_not(language: str) -> None:
    count = EXAMPLE_COUNTS[language]
    for index in range(count):
        data = callbacks.example_data(language, index)
        assert len(data.encode()) <= callbacks.MAX_DATA_BYTES
        assert callbacks.read_example(data, EXAMPLE_COUNTS) == callbacks.ExampleTap(language, index)
    assert callbacks.read_example(callbacks.example_data(language, count), EXAMPLE_COUNTS) is None
    # A button from before the examples had languages: answered "no longer exists".
    assert callbacks.read_example("try:0", EXAMPLE_COUNTS) is None


# --- command arguments -----------------------------------------------------------------------

long_text = st.text(max_size=3000)


@FAST
@given(long_text)
@example("²")
@example("kim since:9999y")
@example("kim since:9999d seit:9999j")
@example("since:0001-01-01")
@example('"' * 3000)
def test_search_arguments_give_a_request_or_an_explained_error(typed: str) -> None:
    try:
        request = parse_search(typed, now=NOW)
        if request.query_text:
            parse_query(request.query_text)
    except QueryError as error:
        assert error.message


def test_since_far_back_means_everything() -> None:
    request = parse_search("kim since:9999y", now=NOW)
    assert request.since is not None and request.since.year == 1970


@FAST
@given(long_text)
@example("Nordkorea" * 30)
@example('"Kim Jong Un" OR -')
@example("title:")
def test_subscribe_arguments_give_a_query_or_an_explained_error(typed: str) -> None:
    try:
        parse_query(typed)
    except QueryError as error:
        assert error.message


@FAST
@given(long_text)
@example("DE")
@example("de-AT")
def test_language_arguments_name_a_language_or_nothing(typed: str) -> None:
    assert find_language(typed.strip().lower()) in (None, *LANGUAGES)


@FAST
@given(long_text)
@example("²")
@example("0")
@example("99999999999999999999")
def test_unsubscribe_arguments_name_a_subscription_or_nothing(typed: str) -> None:
    rows = [SubscriptionView(i, f"topic {i}", False) for i in range(1, 4)]
    found = find_subscription(rows, typed)
    assert found is None or found in rows


def test_unsubscribe_by_number_and_by_text() -> None:
    rows = [SubscriptionView(10, "Nordkorea", False), SubscriptionView(11, "Putin", False)]
    assert find_subscription(rows, "2") == rows[1]
    assert find_subscription(rows, "putin") == rows[1]
    assert find_subscription(rows, "²") is None
    assert find_subscription(rows, "3") is None


@FAST
@given(long_text)
@example("http://[")
@example("http://example.org:99999999/feed")
@example("https://ex ample.org")
def test_feed_addresses_are_understood_or_refused(typed: str) -> None:
    url = normalize_feed_url(typed)
    assert url is None or url.startswith(("http://", "https://"))


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=64))
def test_time_zone_names_are_found_or_suggested(typed: str) -> None:
    assert find_zone(typed) is None or "/" in find_zone(typed) or find_zone(typed) == "UTC"  # type: ignore[operator]
    assert len(suggest_zones(typed)) <= 3


@given(st.text(max_size=80))
def test_commands_for_other_bots_are_recognised(typed: str) -> None:
    addressed_elsewhere(typed, "newsbot_test_bot")
    addressed_elsewhere(typed, None)


def test_commands_for_other_bots() -> None:
    assert addressed_elsewhere("/start@some_other_bot", "newsbot_test_bot")
    assert not addressed_elsewhere("/start@NewsBot_Test_Bot", "newsbot_test_bot")
    assert not addressed_elsewhere("/start", "newsbot_test_bot")


# --- limits ----------------------------------------------------------------------------------


def _keyboard_fits(markup: object) -> None:
    rows = markup.inline_keyboard  # type: ignore[attr-defined]
    buttons = [button for row in rows for button in row]
    assert len(buttons) <= 100
    assert all(len(row) <= 8 for row in rows)
    assert all(len(b.callback_data.encode()) <= 64 for b in buttons)


def test_a_full_list_of_the_longest_subscriptions_fits_in_pages() -> None:
    rows = [
        SubscriptionView(MAX_ID - i, "&" * 250 + f" {i}", bool(i % 2))
        for i in range(MAX_SUBSCRIPTIONS)
    ]
    shown: list[str] = []
    page = 0
    while True:
        text, buttons = list_page(rows, page, True, lambda s: s)
        assert len(text.replace("&amp;", "&")) <= 4096
        if buttons is None:
            break
        _keyboard_fits(buttons)
        shown.append(text)
        labels = [b.text for b in buttons.inline_keyboard[0]]
        if "More ▶" not in labels:
            break
        page += 1
    assert page + 1 == 9  # 100 subscriptions, 12 a page
    for page in range(12):
        _keyboard_fits(removal_buttons(rows, page, lambda s: s))


def test_language_keyboards_are_three_to_a_row() -> None:
    for markup in (language_keyboard("en"), settings_keyboard(SETTINGS, lambda s: s)):
        _keyboard_fits(markup)
    assert all(len(row) <= 3 for row in language_keyboard("en").inline_keyboard)
    assert sum(len(row) for row in language_keyboard("en").inline_keyboard) == len(LANGUAGES)


def test_ten_searches_a_minute_per_chat() -> None:
    limit = ChatRateLimit()
    assert all(limit.allow(1, NOW + timedelta(seconds=i)) for i in range(10))
    assert not limit.allow(1, NOW + timedelta(seconds=30))
    assert limit.allow(2, NOW + timedelta(seconds=30))  # another chat is not slowed
    assert limit.allow(1, NOW + timedelta(seconds=61))
