"""Which chat a command from the private chat acts for: `/subscribe @channel QUERY`.

`parse_target` reads an optional first word naming a channel or group: its `@username`
(also written `t.me/username`) or its numeric id (`-100…`, as Telegram numbers channels and
supergroups). `missing_right` decides, from the two `getChatMember` answers, whether the
reader may manage that chat's subscriptions, and the refusal texts say which of the two
conditions is missing. Pure: no Telegram calls here, the handlers make them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

Translate = Callable[[str], str]

__all__ = [
    "MalformedTarget",
    "Missing",
    "Target",
    "bot_cannot_post_text",
    "malformed_target_text",
    "missing_right",
    "not_admin_text",
    "parse_target",
    "refusal_text",
]

Target = str | int
"""`"@username"` or a numeric chat id: what `chat_id` takes in the Bot API."""
Missing = Literal["not_admin", "bot_cannot_post"]

_INT64_MIN = -(2**63)
# Telegram's username rules: 5–32 characters, letters, digits and underscores, a letter first.
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")
_LINK = re.compile(r"(?:https?://)?(?:www\.)?t(?:elegram)?\.me/(?P<name>[^/?#\s]+)/?", re.I)
# Channel and supergroup ids: -100 then the chat's number (ten digits today). A shorter
# `-100…` is left to the query, where `-1005` excludes the word 1005.
_CHANNEL_ID = re.compile(r"-100\d{7,}")
_ADMINS = frozenset({"creator", "administrator"})
_BOT_SENDS_IN_GROUP = frozenset({"creator", "administrator", "member", "restricted"})


class MalformedTarget(ValueError):
    """The first word names a chat (`@…`, `t.me/…`, `-100…`) that cannot exist."""

    def __init__(self, typed: str) -> None:
        super().__init__(typed)
        self.typed = typed


def parse_target(args: str) -> tuple[Target | None, str]:
    """The chat named by the first word of `args` and the rest; (None, args) when the first
    word names no chat. Raises `MalformedTarget` for a word that tries to and cannot be one.
    """
    stripped = args.strip()
    words = stripped.split(maxsplit=1)
    if not words:
        return None, stripped
    first, rest = words[0], (words[1] if len(words) > 1 else "")
    link = _LINK.fullmatch(first)
    if link is not None:
        name = link.group("name").lstrip("@")
        if _USERNAME.fullmatch(name):
            return "@" + name, rest
        raise MalformedTarget(first)
    if first.startswith("@"):
        if _USERNAME.fullmatch(first[1:]):
            return first, rest
        raise MalformedTarget(first)
    if _CHANNEL_ID.fullmatch(first):
        number = int(first)
        if number < _INT64_MIN:
            raise MalformedTarget(first)
        return number, rest
    return None, stripped


def missing_right(
    chat_type: str,
    user_status: str,
    bot_status: str,
    *,
    bot_can_post_messages: bool | None = None,
    bot_can_send_messages: bool | None = None,
) -> Missing | None:
    """Which condition fails for a reader managing the chat's subscriptions, None if none.

    `*_status` are `getChatMember` statuses. The reader must be its creator or an
    administrator (checked first: a stranger learns nothing about the bot's rights there).
    In a channel the bot must be an administrator allowed to post (`can_post_messages`); in a
    group it must be a member that may send messages (a restricted bot without
    `can_send_messages` may not).
    """
    if user_status not in _ADMINS:
        return "not_admin"
    if chat_type == "channel":
        can_post = bot_status == "creator" or (
            bot_status == "administrator" and bot_can_post_messages is not False
        )
    else:
        can_post = bot_status in _BOT_SENDS_IN_GROUP and not (
            bot_status == "restricted" and bot_can_send_messages is False
        )
    return None if can_post else "bot_cannot_post"


def not_admin_text(chat: str, _: Translate) -> str:
    return _(
        "You are not an administrator of {chat}, so you cannot change its subscriptions. "
        "Ask one of its administrators to do it."
    ).format(chat=chat)


def bot_cannot_post_text(chat: str, _: Translate) -> str:
    return _(
        "I cannot post in {chat}. Add me to it as an administrator allowed to post messages, "
        "then try again."
    ).format(chat=chat)


def malformed_target_text(typed: str, _: Translate) -> str:
    return _(
        "{target} is not a channel or group name. Write its @username (5 to 32 letters, "
        "digits or underscores, starting with a letter) or its id such as -1001234567890."
    ).format(target=typed)


_REFUSALS: dict[Missing, Callable[[str, Translate], str]] = {
    "not_admin": not_admin_text,
    "bot_cannot_post": bot_cannot_post_text,
}


def refusal_text(missing: Missing, chat: str, _: Translate) -> str:
    """The one reply for a refused `/subscribe @chat …`, `/list @chat`, `/unsubscribe @chat`."""
    return _REFUSALS[missing](chat, _)
