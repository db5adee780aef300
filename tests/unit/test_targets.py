"""`/subscribe @channel QUERY`: which chat a command names, and why a reader may not manage it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.targets import (
    MalformedTarget,
    missing_right,
    parse_target,
    refusal_text,
)


@pytest.mark.parametrize(
    ("args", "target", "rest"),
    [
        ("@newsbot_channel Nordkorea source:krone", "@newsbot_channel", "Nordkorea source:krone"),
        ("@Kanal5", "@Kanal5", ""),
        ("-1001234567890   kim  jong", -1001234567890, "kim  jong"),
        ("https://t.me/weltnachrichten Putin", "@weltnachrichten", "Putin"),
        ("t.me/weltnachrichten", "@weltnachrichten", ""),
        ("Nordkorea", None, "Nordkorea"),
        ("-sport Putin", None, "-sport Putin"),
        ("-1005 Putin", None, "-1005 Putin"),  # excludes the word 1005
        ("", None, ""),
    ],
)
def test_the_first_word_names_a_chat_or_not(args: str, target: object, rest: str) -> None:
    assert parse_target(args) == (target, rest)


@pytest.mark.parametrize(
    "args",
    ["@abc Putin", "@1channel", "@chan-nel", "@" + "a" * 33, "@", "t.me/a", "-100" + "9" * 20],
)
def test_a_chat_name_that_cannot_exist_is_malformed(args: str) -> None:
    with pytest.raises(MalformedTarget) as raised:
        parse_target(args)
    assert raised.value.typed == args.split()[0]


@given(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{4,31}", fullmatch=True), st.text(max_size=30))
def test_any_valid_username_is_a_target(name: str, query: str) -> None:
    target, rest = parse_target(f"@{name} {query}")
    assert target == "@" + name
    assert rest == query.strip()


@given(st.integers(min_value=10**6, max_value=10**15))
def test_any_channel_id_in_64_bits_is_a_target(chat: int) -> None:
    typed = f"-100{chat}"
    assert parse_target(f"{typed} Putin") == (int(typed), "Putin")


@given(st.text(max_size=40))
def test_any_text_is_a_target_a_query_or_malformed(args: str) -> None:
    try:
        target, rest = parse_target(args)
    except MalformedTarget:
        return
    assert target is None or isinstance(target, int) or target.startswith("@")
    assert len(rest) <= len(args)


@pytest.mark.parametrize(
    ("chat_type", "user", "bot", "can_post", "missing"),
    [
        ("channel", "creator", "administrator", True, None),
        ("channel", "administrator", "administrator", True, None),
        ("channel", "member", "administrator", True, "not_admin"),
        ("channel", "left", "left", None, "not_admin"),
        ("channel", "administrator", "administrator", False, "bot_cannot_post"),
        ("channel", "administrator", "member", None, "bot_cannot_post"),
        ("channel", "administrator", "left", None, "bot_cannot_post"),
        ("supergroup", "administrator", "member", None, None),
        ("supergroup", "administrator", "kicked", None, "bot_cannot_post"),
        ("group", "member", "member", None, "not_admin"),
    ],
)
def test_the_reader_must_be_admin_and_the_bot_able_to_post(
    chat_type: str, user: str, bot: str, can_post: bool | None, missing: str | None
) -> None:
    found = missing_right(chat_type, user, bot, bot_can_post_messages=can_post)
    assert found == missing


def test_a_restricted_bot_that_may_not_send_cannot_post_in_a_group() -> None:
    found = missing_right("supergroup", "creator", "restricted", bot_can_send_messages=False)
    assert found == "bot_cannot_post"


def test_each_refusal_names_the_chat_and_what_is_missing() -> None:
    def _(text: str) -> str:
        return text

    assert "not an administrator of @kanal" in refusal_text("not_admin", "@kanal", _)
    assert "cannot post in @kanal" in refusal_text("bot_cannot_post", "@kanal", _)
