"""The fake Bot API's world: chats, messages, queued updates, and everything it recorded.

One re-entrant lock guards all of it, and a condition on that lock is notified on every change,
so ``wait_for`` never needs a sleep. Its public face is what a test does: act as a reader
(``push_message``, ``push_channel_post``, ``push_callback_query``, ``push_my_chat_member``), set
the scene (``block_chat``, ``set_limits``, ``add_channel``, ``make_forum``,
``mark_image_unreachable``, …) and look at what the bot did (``sent_messages``, ``sent_photos``,
``edits``, ``callback_answers``, ``commands``, …).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from bench.fakes._telegram_flood import (
    ChatKey,
    FloodGate,
    FloodLimits,
    Rejection,
    max_in_window,
    violations,
)
from bench.fakes._telegram_html import utf16_length

JSONDict = dict[str, Any]


class Call(NamedTuple):
    """One request the fake received: Bot API method name and its decoded parameters."""

    method: str
    params: JSONDict


class Failure(NamedTuple):
    """One error answer the fake gave."""

    time: float  # time.monotonic()
    method: str
    chat_id: int | str | None
    status: int
    description: str


class ApiError(Exception):
    """An error answer in the Bot API's shape."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def chat_key(value: Any) -> ChatKey:
    """A ``chat_id`` parameter as Telegram reads it: a number or an ``@username``."""
    if isinstance(value, bool):
        raise ApiError(400, "Bad Request: chat not found")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        if text.startswith("@"):
            return text
    raise ApiError(400, "Bad Request: chat not found")


def _default_chat_type(chat_id: int) -> str:
    """Telegram's id ranges: users are positive, supergroups -100…, basic groups negative."""
    if chat_id > 0:
        return "private"
    return "supergroup" if chat_id <= -1000000000000 else "group"


_RECORD_ONLY = frozenset(
    {
        "html",
        "parse_mode",
        "link_preview_options",
        "disable_notification",
        "photo_url",
        "allow_paid_broadcast",
    }
)
"""Keys the fake keeps on a sent message for the tests, not part of Telegram's Message."""


def public_message(record: JSONDict) -> JSONDict:
    """The Telegram Message dict of a stored record (without the fake's extra keys)."""
    message = {k: v for k, v in record.items() if k not in _RECORD_ONLY}
    if not message.get("reply_markup") or "inline_keyboard" not in message["reply_markup"]:
        message.pop("reply_markup", None)
    return message


_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)
_RESTRICTIONS = (
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_send_messages",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_manage_topics",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_edit_tag",
)


def chat_member(user: JSONDict, status: str, *, can_post_messages: bool | None = None) -> JSONDict:
    """A ChatMember dict with the fields PTB requires for ``status``; ``can_post_messages``
    is the channel right of an administrator (given only in channels, as Telegram does)."""
    member: JSONDict = {"status": status, "user": dict(user)}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(can_be_edited=False, is_anonymous=False)
        member.update(dict.fromkeys(_ADMIN_RIGHTS, True))
        if can_post_messages is not None:
            member.update(can_post_messages=can_post_messages, can_edit_messages=True)
    elif status == "kicked":
        member["until_date"] = 0
    elif status == "restricted":
        member.update(is_member=True, until_date=0)
        member.update(dict.fromkeys(_RESTRICTIONS, False))
    return member


class BotState:
    """Everything the fake knows, behind one lock; thread-safe.

    The waiting helpers have ``*_async`` twins for tests that run the Application on the
    same event loop.
    """

    def __init__(
        self,
        *,
        bot_username: str = "newsbot_test_bot",
        bot_first_name: str = "Newsbot",
        record_calls: bool = True,
    ) -> None:
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.record_calls = record_calls
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._closed = False
        self._bot_id = 0
        self._calls: list[Call] = []
        self._failures: list[Failure] = []
        self._rejections: list[Rejection] = []
        self._updates: list[JSONDict] = []
        self._next_update_id = 1
        self._poll_generation = 0
        self._chats: dict[ChatKey, JSONDict] = {}
        self._next_message_id: dict[ChatKey, int] = {}
        self._messages: dict[tuple[ChatKey, int], JSONDict] = {}
        self._sent: list[JSONDict] = []
        self._edits: list[JSONDict] = []
        self._queries: dict[str, bool] = {}  # callback query id -> answered
        self._query_ids = itertools.count(1)
        self._answers: list[JSONDict] = []
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._members: dict[tuple[ChatKey, int], str] = {}
        self._blocked: dict[ChatKey, str] = {}
        self._migrated: dict[ChatKey, int] = {}
        self._flood: FloodGate | None = None
        self._delivery_times: list[float] = []
        self._chat_delivery_times: dict[ChatKey, list[float]] = {}
        self._usernames: dict[str, int] = {}  # "@name" (lower case) -> chat id
        self._post_rights: dict[tuple[ChatKey, int], bool] = {}  # channel admins' can_post
        self._bot_in_channel: dict[ChatKey, tuple[str, bool]] = {}  # status, can_post_messages
        self._topics: dict[ChatKey, set[int]] = {}  # forum supergroup -> its open topics
        self._unreachable_images: set[str] = set()

    # ------------------------------------------------------------------ the world

    def _bot_user(self) -> JSONDict:
        return {
            "id": self._bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    @staticmethod
    def _user(user_id: int, first_name: str, language_code: str | None) -> JSONDict:
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        return user

    def _register_chat(
        self,
        chat_id: int,
        chat_type: str | None = None,
        *,
        title: str | None = None,
        first_name: str = "Reader",
    ) -> JSONDict:
        kind = chat_type or _default_chat_type(chat_id)
        if kind == "private":
            chat: JSONDict = {"id": chat_id, "type": "private", "first_name": first_name}
        else:
            chat = {"id": chat_id, "type": kind, "title": title or f"Group {chat_id}"}
        self._chats[chat_id] = chat
        return chat

    def _chat(self, key: ChatKey) -> JSONDict:
        chat = self._chats.get(key)
        if chat is not None:
            return chat
        if isinstance(key, str):
            return self._register_chat(-1001000000000, "channel", title=key)
        return self._register_chat(key)

    def _resolve(self, key: ChatKey) -> ChatKey:
        """A registered channel's ``@username`` as its numeric id; anything else unchanged."""
        if isinstance(key, str):
            return self._usernames.get(key.lower(), key)
        return key

    def _new_message_id(self, key: ChatKey) -> int:
        message_id = self._next_message_id.get(key, 0) + 1
        self._next_message_id[key] = message_id
        return message_id

    def _push_update(self, raw: JSONDict) -> JSONDict:
        """Queue an Update dict under the next ``update_id`` and wake the long poll."""
        with self._changed:
            update = {"update_id": self._next_update_id, **raw}
            self._next_update_id += 1
            self._updates.append(update)
            self._changed.notify_all()
            return update

    def _count_delivery(self, key: ChatKey, *, paid: bool = False) -> None:
        now = time.monotonic()
        self._delivery_times.append(now)
        self._chat_delivery_times.setdefault(key, []).append(now)
        if self._flood is not None:
            self._flood.admit(key, now, paid=paid)

    # ------------------------------------------------------------------ what readers do

    def push_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str | None = None,
        language_code: str | None = "en",
        first_name: str = "Reader",
        title: str | None = None,
        message_thread_id: int | None = None,
    ) -> JSONDict:
        """A reader writes ``text`` in ``chat_id``; returns the Message dict queued as an Update.

        ``user_id`` defaults to ``chat_id`` in a private chat and to 1111 in a group. A text
        starting with "/" gets a ``bot_command`` entity, so PTB's CommandHandler sees it.
        ``message_thread_id`` writes inside that topic of a forum (see ``make_forum``).
        """
        with self._changed:
            kind = chat_type or _default_chat_type(chat_id)
            known = self._chats.get(chat_id)
            if known is None or known["type"] != kind or (title and known.get("title") != title):
                self._register_chat(chat_id, kind, title=title, first_name=first_name)
            sender = user_id if user_id is not None else (chat_id if kind == "private" else 1111)
            message: JSONDict = {
                "message_id": self._new_message_id(chat_id),
                "from": self._user(sender, first_name, language_code),
                "chat": dict(self._chats[chat_id]),
                "date": int(time.time()),
                "text": text,
            }
            if message_thread_id is not None:
                message.update(message_thread_id=message_thread_id, is_topic_message=True)
            _mark_command(message, text)
            self._push_update({"message": message})
            return message

    def push_edited_message(self, message: JSONDict, text: str) -> JSONDict:
        """The reader edits a message pushed earlier (``push_message``'s result) to ``text``."""
        with self._changed:
            edited = {**message, "text": text, "edit_date": int(time.time())}
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                edited["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": utf16_length(command)}
                ]
            self._push_update({"edited_message": edited})
            return edited

    def push_channel_post(self, chat_id: int, text: str) -> JSONDict:
        """An administrator posts ``text`` in the channel ``chat_id`` (registered with
        ``add_channel``, else a new one): a ``channel_post`` update, sent by the channel."""
        with self._changed:
            chat = self._chats.get(chat_id)
            if chat is None or chat["type"] != "channel":
                chat = self._register_chat(chat_id, "channel")
            message: JSONDict = {
                "message_id": self._new_message_id(chat_id),
                "sender_chat": dict(chat),
                "chat": dict(chat),
                "date": int(time.time()),
                "text": text,
            }
            _mark_command(message, text)
            self._push_update({"channel_post": message})
            return message

    def push_callback_query(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        user_id: int | None = None,
        first_name: str = "Reader",
        language_code: str | None = "en",
    ) -> str:
        """A reader presses an inline button with ``data`` under a bot message; returns its id."""
        with self._changed:
            key: ChatKey = chat_id
            message = self._messages.get((key, message_id))
            if message is None:
                message = {
                    "message_id": message_id,
                    "chat": dict(self._chat(key)),
                    "date": int(time.time()),
                    "text": "",
                }
            query_id = str(next(self._query_ids))
            self._queries[query_id] = False  # answerable once
            sender = user_id if user_id is not None else chat_id
            self._push_update(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": self._user(sender, first_name, language_code),
                        "chat_instance": str(chat_id),
                        "data": data,
                        "message": public_message(message),
                    }
                }
            )
            return query_id

    def push_my_chat_member(
        self,
        chat_id: int,
        new_status: str,
        *,
        old_status: str | None = None,
        user_id: int | None = None,
        chat_type: str | None = None,
    ) -> JSONDict:
        """The bot's own membership changes: "kicked" (a reader blocked it), "left", "member"."""
        with self._changed:
            if chat_type is not None or chat_id not in self._chats:
                self._register_chat(chat_id, chat_type)
            if old_status is None:
                old_status = "member" if new_status in ("kicked", "left") else "left"
            bot_user = self._bot_user()
            sender = user_id if user_id is not None else (chat_id if chat_id > 0 else 1111)
            return self._push_update(
                {
                    "my_chat_member": {
                        "chat": dict(self._chats[chat_id]),
                        "from": self._user(sender, "Reader", "en"),
                        "date": int(time.time()),
                        "old_chat_member": chat_member(bot_user, old_status),
                        "new_chat_member": chat_member(bot_user, new_status),
                    }
                }
            )

    def pending_updates(self) -> list[JSONDict]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        with self._lock:
            return [dict(u) for u in self._updates]

    # ------------------------------------------------------------------ setting the scene

    def set_member_status(
        self, chat_id: int, user_id: int, status: str, *, can_post_messages: bool = True
    ) -> None:
        """getChatMember answers ``status`` ("creator", "administrator", "member", "left",
        "kicked", "restricted") for this (chat, user); the default is "member" ("left" in a
        channel). In a channel an administrator has ``can_post_messages`` as given."""
        with self._lock:
            self._members[(chat_id, user_id)] = status
            self._post_rights[(chat_id, user_id)] = can_post_messages

    def add_channel(
        self,
        chat_id: int,
        username: str | None = None,
        *,
        title: str | None = None,
        bot_status: str = "administrator",
        can_post_messages: bool = True,
    ) -> JSONDict:
        """A channel (``-100…``), reachable by ``@username`` too, with the bot in it as
        ``bot_status`` (see ``set_bot_status``); returns its Chat dict."""
        with self._lock:
            chat = self._register_chat(chat_id, "channel", title=title or f"Channel {chat_id}")
            if username:
                name = username if username.startswith("@") else "@" + username
                chat["username"] = name[1:]
                self._usernames[name.lower()] = chat_id
            self._bot_in_channel[chat_id] = (bot_status, can_post_messages)
            return dict(chat)

    def set_bot_status(self, chat_id: int, status: str, *, can_post_messages: bool = True) -> None:
        """The bot's own place in the channel ``chat_id``: "administrator" (posting only with
        ``can_post_messages``), "creator", "member", "left" or "kicked". Sends answer as
        Telegram does: 403 "bot is not a member of the channel chat" when left or kicked, 400
        "need administrator rights in the channel chat" without the right to post; and
        getChatMember for anyone but the bot answers 400 "member list is inaccessible" unless
        the bot is an administrator there."""
        with self._lock:
            self._bot_in_channel[chat_id] = (status, can_post_messages)

    def make_forum(
        self, chat_id: int, topics: tuple[int, ...] = (), *, title: str | None = None
    ) -> None:
        """``chat_id`` becomes a forum supergroup whose open topics are ``topics`` (their
        ``message_thread_id``); messages without a thread id go to the General topic."""
        with self._lock:
            chat = self._register_chat(chat_id, "supergroup", title=title)
            chat["is_forum"] = True
            self._topics[chat_id] = set(topics)

    def open_topic(self, chat_id: int, thread_id: int) -> None:
        with self._lock:
            self._topics.setdefault(chat_id, set()).add(thread_id)

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """Sends into this topic answer 400 "message thread not found" from now on."""
        with self._lock:
            self._topics.get(chat_id, set()).discard(thread_id)

    def mark_image_unreachable(self, url: str) -> None:
        """sendPhoto with this URL answers 400 "failed to get HTTP URL content", as Telegram
        does for an image it cannot download."""
        with self._lock:
            self._unreachable_images.add(url)

    def block_chat(
        self, chat_id: int, description: str = "Forbidden: bot was blocked by the user"
    ) -> None:
        """Sends and edits to ``chat_id`` answer 403 ``description`` from now on."""
        with self._lock:
            self._blocked[chat_id] = description

    def migrate_chat(self, old_id: int, new_id: int) -> None:
        """Any request naming ``old_id`` answers 400 with ``migrate_to_chat_id=new_id``."""
        with self._lock:
            self._migrated[old_id] = new_id
            old = self._chats.get(old_id)
            title = old.get("title") if old else None
            self._register_chat(new_id, "supergroup", title=title)

    def set_limits(
        self,
        global_per_second: int | None = 30,
        per_chat_per_second: float | None = 1.0,
        per_chat_burst: int = 3,
        per_group_per_minute: int | None = 20,
        *,
        penalize: bool = True,
        paid_per_second: int | None = None,
    ) -> FloodLimits:
        """Enforce Telegram's flood limits on sendMessage (see FloodLimits); returns them."""
        limits = FloodLimits(
            global_per_second,
            per_chat_per_second,
            per_chat_burst,
            per_group_per_minute,
            penalize,
            paid_per_second,
        )
        with self._lock:
            self._flood = FloodGate(limits)
        return limits

    def clear_records(self) -> None:
        """Forget recorded calls, sent messages, edits, answers, failures and 429s."""
        with self._lock:
            self._calls.clear()
            self._failures.clear()
            self._rejections.clear()
            self._sent.clear()
            self._edits.clear()
            self._answers.clear()
            self._delivery_times.clear()
            self._chat_delivery_times.clear()

    # ------------------------------------------------------------------ what the bot did

    def calls_to(self, method: str) -> list[JSONDict]:
        """Parameters of every call of ``method`` (case-insensitive)."""
        name = method.lower()
        with self._lock:
            return [c.params for c in self._calls if c.method.lower() == name]

    def sent_messages(self, chat_id: int | None = None) -> list[JSONDict]:
        """Messages delivered by sendMessage and sendPhoto (as stored, i.e. after later
        edits), in order.

        Each has the Telegram Message fields (``message_id``, ``chat``, ``date``, ``text``:
        the visible text, ``entities``; a photo has ``photo``, ``caption``,
        ``caption_entities`` instead of text, ``message_thread_id`` in a forum topic) plus
        ``html`` (the raw HTML sent, or None), ``parse_mode``, ``reply_markup``,
        ``link_preview_options``, ``disable_notification``, and ``photo_url`` for a photo.
        """
        with self._lock:
            return [dict(m) for m in self._sent if chat_id is None or m["chat"]["id"] == chat_id]

    def sent_photos(self, chat_id: int | None = None) -> list[JSONDict]:
        """The messages sent by sendPhoto (see ``sent_messages``)."""
        return [m for m in self.sent_messages(chat_id) if "photo" in m]

    def edits(self, chat_id: int | None = None, message_id: int | None = None) -> list[JSONDict]:
        """Successful editMessageText / editMessageReplyMarkup calls, in order."""
        with self._lock:
            return [
                dict(e)
                for e in self._edits
                if (chat_id is None or e["chat_id"] == chat_id)
                and (message_id is None or e["message_id"] == message_id)
            ]

    def callback_answers(self, query_id: str | None = None) -> list[JSONDict]:
        with self._lock:
            return [
                dict(a)
                for a in self._answers
                if query_id is None or a["callback_query_id"] == query_id
            ]

    def commands(self, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        """The command menu last set with setMyCommands for this scope (default scope)."""
        key = (json.dumps(scope or {"type": "default"}, sort_keys=True), language_code)
        with self._lock:
            return [dict(c) for c in self._commands.get(key, [])]

    @property
    def failures(self) -> list[Failure]:
        """Every error answer given (4xx/5xx, including 429s), in order."""
        with self._lock:
            return list(self._failures)

    @property
    def rejections(self) -> list[Rejection]:
        """Every 429 given under the flood limits, in order."""
        with self._lock:
            return list(self._rejections)

    @property
    def count_429(self) -> int:
        with self._lock:
            return len(self._rejections)

    def delivered_chats(self) -> list[ChatKey]:
        with self._lock:
            return list(self._chat_delivery_times)

    def max_rate_observed(self, window: float = 1.0, chat_id: int | None = None) -> int:
        """Most messages delivered within any ``window`` seconds (all chats, or one chat)."""
        with self._lock:
            if chat_id is None:
                times = list(self._delivery_times)
            else:
                times = list(self._chat_delivery_times.get(chat_id, []))
        return max_in_window(times, window)

    def limit_violations(self, limits: FloodLimits | None = None) -> list[str]:
        """Where delivered traffic broke ``limits`` (default: Telegram's); empty when none.

        Useful with the limits *not* enforced, to prove the bot paces itself.
        """
        with self._lock:
            per_chat = {k: list(v) for k, v in self._chat_delivery_times.items()}
            everything = list(self._delivery_times)
        return violations(limits or FloodLimits(), everything, per_chat)

    # ------------------------------------------------------------------ waiting

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Block until ``predicate()`` is true (re-checked after every call and push)."""
        with self._changed:
            return self._changed.wait_for(predicate, timeout)

    def wait_for_messages(
        self, chat_id: int, count: int = 1, timeout: float = 10.0
    ) -> list[JSONDict]:
        """Wait until ``chat_id`` has at least ``count`` sent messages; returns all of them
        (fewer if the timeout passed: assert on the result)."""
        self.wait_for(lambda: self._sent_count(chat_id) >= count, timeout)
        return self.sent_messages(chat_id)

    def _sent_count(self, chat_id: int) -> int:
        return sum(1 for m in self._sent if m["chat"]["id"] == chat_id)

    async def wait_for_async(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """``wait_for`` without blocking the event loop the Application runs on."""
        return await asyncio.to_thread(self.wait_for, predicate, timeout)

    async def wait_for_messages_async(
        self, chat_id: int, count: int = 1, timeout: float = 10.0
    ) -> list[JSONDict]:
        return await asyncio.to_thread(self.wait_for_messages, chat_id, count, timeout)

    async def wait_for_call_async(self, method: str, count: int = 1, timeout: float = 10.0) -> bool:
        """Wait until ``method`` has been called at least ``count`` times."""
        return await self.wait_for_async(lambda: len(self.calls_to(method)) >= count, timeout)


def _mark_command(message: JSONDict, text: str) -> None:
    """A text starting with "/" gets the ``bot_command`` entity Telegram gives it."""
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        message["entities"] = [
            {"type": "bot_command", "offset": 0, "length": utf16_length(command)}
        ]
