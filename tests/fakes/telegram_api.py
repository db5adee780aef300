"""A fake Telegram Bot API over real HTTP on loopback, for tests and benchmarks.

Point python-telegram-bot at it (``ApplicationBuilder().base_url(api.base_url)`` or
``TELEGRAM_API_URL=api.base_url``), inject what readers do (``push_message``,
``push_callback_query``, ``push_my_chat_member``) and inspect what the bot did (``calls``,
``sent_messages``, ``edits``, ``callback_answers``, ``commands``). It answers in the Bot API's
JSON shape, validates the HTML parse mode like Telegram (see ``telegram_html``), and can answer
like Telegram under stress: flood limits with 429 ``retry_after``, blocked chats (403),
migrated groups, injected 5xx, lost responses.

Every handler thread and every test thread share one re-entrant lock and a condition variable
that is notified on every recorded call, so ``wait_for`` never needs a sleep.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import HTTP as HTTP_POLICY
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.loopback import BackgroundServer, QuietHandler
from tests.fakes.telegram_html import (
    EntityParseError,
    ParsedText,
    parse_html,
    strip_outer_whitespace,
    utf16_length,
)

JSONDict = dict[str, Any]

MAX_MESSAGE_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64
# Requests a blocked reader's chat refuses (reading chat info still works on real Telegram).
_BLOCKABLE_PREFIXES = ("send", "edit", "copy", "forward", "delete", "pin")
# Form fields that Telegram reads as plain strings; everything else may be JSON-encoded (PTB
# sends ``reply_markup`` etc. as JSON inside a form field) or a number.
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "title",
        "description",
        "short_description",
        "name",
        "language_code",
        "message_effect_id",
        "business_connection_id",
        "emoji",
        "secret_token",
    }
)
_TOKEN_RE = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_MIGRATED = "Bad Request: group chat was upgraded to a supergroup chat"
_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


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


class Rejection(NamedTuple):
    """One 429 answer under the flood limits; ``scope`` is "global", "chat" or "group"."""

    time: float  # time.monotonic()
    method: str
    chat_id: int | str | None
    scope: str
    retry_after: int


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


@dataclass
class FloodLimits:
    """Telegram's documented limits; ``None`` switches one off.

    A private chat may receive ``per_chat_burst`` messages in any window of
    ``per_chat_burst / per_chat_per_second`` seconds (a short burst, 1/s on average); a group
    (negative chat id) ``per_group_per_minute`` in any 60 s; all chats together
    ``global_per_second`` in any 1 s. With ``penalize``, a 429 also bans its scope until
    ``retry_after`` has passed, as Telegram does.
    """

    global_per_second: int | None = 30
    per_chat_per_second: float | None = 1.0
    per_chat_burst: int = 3
    per_group_per_minute: int | None = 20
    penalize: bool = True

    @property
    def chat_window(self) -> float:
        assert self.per_chat_per_second
        return self.per_chat_burst / self.per_chat_per_second


@dataclass
class _Injected:
    status: int
    description: str
    parameters: JSONDict | None
    chat_id: int | str | None
    remaining: int


@dataclass
class _Drop:
    deliver: bool
    remaining: int


@dataclass
class _FloodState:
    limits: FloodLimits
    global_window: deque[float] = field(default_factory=deque)
    chat_windows: dict[int | str, deque[float]] = field(default_factory=dict)
    banned_until: dict[int | str | None, float] = field(default_factory=dict)


class _DropConnection(Exception):
    """Close the connection without an answer (a lost response)."""


def _decode_field(name: str, value: str) -> Any:
    if name in _STRING_FIELDS:
        return value
    if name in ("chat_id", "from_chat_id") and not value.lstrip("-").isdigit():
        return value  # "@channelusername"
    try:
        return json.loads(value)
    except ValueError:
        return value


def decode_params(query: str, content_type: str, body: bytes) -> JSONDict:
    """Bot API parameters from a query string and a JSON, form or multipart body."""
    params: JSONDict = {k: _decode_field(k, v) for k, v in parse_qsl(query)}
    mime = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return params
    if mime == "application/json":
        decoded = json.loads(body)
        if isinstance(decoded, dict):
            params.update(decoded)
    elif mime == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = message_from_bytes(head + body, policy=HTTP_POLICY)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                continue
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            filename = part.get_filename()
            if filename is not None:
                params[name] = {"filename": filename, "size": len(data)}
            else:
                params[name] = _decode_field(name, data.decode("utf-8"))
    else:  # application/x-www-form-urlencoded, PTB's default
        text = body.decode("utf-8")
        params.update({k: _decode_field(k, v) for k, v in parse_qsl(text, keep_blank_values=True)})
    return params


def _chat_key(value: Any) -> int | str:
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


def _is_group(chat_id: int | str) -> bool:
    return isinstance(chat_id, str) or chat_id < 0


def _max_in_window(times: list[float], window: float) -> int:
    best, start = 0, 0
    for end, now in enumerate(times):
        while now - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


class _Handler(QuietHandler):
    server_version = "FakeBotAPI/1.0"

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        api: FakeBotAPI = self.server.owner
        body = self.read_body()
        parts = urlsplit(self.path)
        try:
            status, payload = api._handle_http(
                parts.path, parts.query, self.headers.get("Content-Type", ""), body
            )
        except _DropConnection:
            self.close_connection = True
            return
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_body(status, data, {"Content-Type": "application/json"})


class FakeBotAPI(BackgroundServer):
    """The Telegram Bot API on ``http://127.0.0.1:PORT/bot<token>/<method>``.

    Use ``with FakeBotAPI() as api:`` or ``start()``/``stop()``. Thread-safe; the waiting
    helpers have ``*_async`` twins for tests that run the Application on the same event loop.
    """

    handler_class = _Handler

    def __init__(
        self,
        *,
        valid_token: str | None = None,
        latency: float = 0.0,
        strict_entities: bool = True,
        bot_username: str = "newsbot_test_bot",
        bot_first_name: str = "Newsbot",
        record_calls: bool = True,
    ) -> None:
        super().__init__()
        self.valid_token = valid_token
        self.latency = latency
        self.strict_entities = strict_entities
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
        self._chats: dict[int | str, JSONDict] = {}
        self._next_message_id: dict[int | str, int] = {}
        self._messages: dict[tuple[int | str, int], JSONDict] = {}
        self._sent: list[JSONDict] = []
        self._edits: list[JSONDict] = []
        self._deleted: list[tuple[int | str, int]] = []
        self._queries: dict[str, bool] = {}  # callback query id -> answered
        self._query_ids = itertools.count(1)
        self._answers: list[JSONDict] = []
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._members: dict[tuple[int | str, int], str] = {}
        self._blocked: dict[int | str, str] = {}
        self._migrated: dict[int | str, int] = {}
        self._injected: dict[str, list[_Injected]] = {}
        self._drops: dict[str, list[_Drop]] = {}
        self._flood: _FloodState | None = None
        self._delivery_times: list[float] = []
        self._chat_delivery_times: dict[int | str, list[float]] = {}

    # ------------------------------------------------------------------ addresses

    @property
    def base_url(self) -> str:
        """For ``TELEGRAM_API_URL`` / PTB ``base_url``: the token and ``/method`` are appended."""
        return f"{self.origin}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.origin}/file/bot"

    @property
    def bot_id(self) -> int:
        """The numeric id of the token last used (0 before the first request)."""
        with self._lock:
            return self._bot_id

    def _before_stop(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def start(self) -> FakeBotAPI:
        with self._lock:
            self._closed = False
        super().start()
        return self

    # ------------------------------------------------------------------ HTTP entry point

    def _handle_http(
        self, path: str, query: str, content_type: str, body: bytes
    ) -> tuple[int, JSONDict]:
        self.pause(self.latency)
        match = re.fullmatch(r"/bot([^/]*)/([A-Za-z_]+)/?", path)
        if match is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        token, method = match.groups()
        token_match = _TOKEN_RE.match(token)
        if token_match is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        bot_id = int(token_match.group(1))
        if bot_id == 0 or (self.valid_token is not None and token != self.valid_token):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        try:
            params = decode_params(query, content_type, body)
        except (ValueError, UnicodeDecodeError) as exc:
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}
        with self._changed:
            self._bot_id = bot_id
        try:
            result = self._dispatch(method, params)
        except ApiError as error:
            with self._changed:
                self._failures.append(
                    Failure(
                        time.monotonic(),
                        method,
                        params.get("chat_id"),
                        error.status,
                        error.description,
                    )
                )
                self._changed.notify_all()
            return error.status, error.payload()
        return 200, {"ok": True, "result": result}

    def _dispatch(self, method: str, params: JSONDict) -> Any:
        name = method.lower()
        if name == "getupdates":
            self._record(method, params)
            return self._get_updates(params)
        with self._changed:
            self._record(method, params)
            self._changed.notify_all()
            self._raise_injected(name, params)
            drop = self._take_drop(name)
            if drop is not None and not drop.deliver:
                raise _DropConnection
            result = self._call(name, method, params)
            self._changed.notify_all()
        if drop is not None:
            raise _DropConnection
        return result

    def _record(self, method: str, params: JSONDict) -> None:
        if self.record_calls:
            with self._lock:
                self._calls.append(Call(method, params))

    def _call(self, name: str, method: str, params: JSONDict) -> Any:
        handler = _METHODS.get(name)
        chat_id = params.get("chat_id")
        if chat_id is not None and "inline_message_id" not in params:
            key = _chat_key(chat_id)
            if key in self._migrated:
                raise ApiError(400, _MIGRATED, {"migrate_to_chat_id": self._migrated[key]})
            if key in self._blocked and name.startswith(_BLOCKABLE_PREFIXES):
                raise ApiError(403, self._blocked[key])
        if handler is None:
            return True  # setChatMenuButton, sendChatAction, ...: recorded, accepted
        return handler(self, params)

    def _raise_injected(self, name: str, params: JSONDict) -> None:
        queue = self._injected.get(name)
        if not queue:
            return
        chat = params.get("chat_id")
        for index, injected in enumerate(queue):
            if injected.chat_id is None or str(injected.chat_id) == str(chat):
                injected.remaining -= 1
                if injected.remaining <= 0:
                    del queue[index]
                raise ApiError(injected.status, injected.description, injected.parameters)

    def _take_drop(self, name: str) -> _Drop | None:
        queue = self._drops.get(name)
        if not queue:
            return None
        drop = queue[0]
        drop.remaining -= 1
        if drop.remaining <= 0:
            queue.pop(0)
        return drop

    # ------------------------------------------------------------------ updates

    def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        deadline = time.monotonic() + timeout
        with self._changed:
            # Telegram lets one long poll run at a time: a new one ends the previous with 409.
            self._poll_generation += 1
            generation = self._poll_generation
            self._changed.notify_all()
            self._confirm(offset)
            while True:
                if generation != self._poll_generation:
                    raise ApiError(409, _CONFLICT)
                if self._closed:
                    return []
                if self._updates:
                    return [dict(u) for u in self._updates[:limit]]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._changed.wait(remaining)

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

    def push_update(self, raw: JSONDict) -> JSONDict:
        """Queue a raw Update dict (``update_id`` is assigned when missing); returns it."""
        with self._changed:
            update = dict(raw)
            if "update_id" not in update:
                update["update_id"] = self._next_update_id
            self._next_update_id = max(self._next_update_id, int(update["update_id"])) + 1
            query = update.get("callback_query")
            if isinstance(query, dict) and "id" in query:
                self._queries.setdefault(str(query["id"]), False)  # answerable once
            self._updates.append(update)
            self._changed.notify_all()
            return update

    def pending_updates(self) -> list[JSONDict]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        with self._lock:
            return [dict(u) for u in self._updates]

    # ------------------------------------------------------------------ what readers do

    def _user(self, user_id: int, first_name: str, language_code: str | None) -> JSONDict:
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        return user

    def register_chat(
        self,
        chat_id: int,
        chat_type: str | None = None,
        *,
        title: str | None = None,
        first_name: str = "Reader",
    ) -> JSONDict:
        """Create or update a chat; ``chat_type`` defaults from the id (positive = private,
        -100… = supergroup, other negative = group)."""
        with self._lock:
            kind = chat_type or _default_chat_type(chat_id)
            if kind == "private":
                chat: JSONDict = {"id": chat_id, "type": "private", "first_name": first_name}
            else:
                chat = {"id": chat_id, "type": kind, "title": title or f"Group {chat_id}"}
            self._chats[chat_id] = chat
            return dict(chat)

    def _chat(self, key: int | str) -> JSONDict:
        chat = self._chats.get(key)
        if chat is not None:
            return chat
        if isinstance(key, str):
            return self.register_chat(-1001000000000, "channel", title=key)
        return self.register_chat(key)

    def _new_message_id(self, key: int | str) -> int:
        message_id = self._next_message_id.get(key, 0) + 1
        self._next_message_id[key] = message_id
        return message_id

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
    ) -> JSONDict:
        """A reader writes ``text`` in ``chat_id``; returns the Message dict queued as an Update.

        ``user_id`` defaults to ``chat_id`` in a private chat and to 1111 in a group. A text
        starting with "/" gets a ``bot_command`` entity, so PTB's CommandHandler sees it.
        """
        with self._changed:
            kind = chat_type or _default_chat_type(chat_id)
            known = self._chats.get(chat_id)
            if known is None or known["type"] != kind or (title and known.get("title") != title):
                self.register_chat(chat_id, kind, title=title, first_name=first_name)
            sender = user_id if user_id is not None else (chat_id if kind == "private" else 1111)
            message: JSONDict = {
                "message_id": self._new_message_id(chat_id),
                "from": self._user(sender, first_name, language_code),
                "chat": dict(self._chats[chat_id]),
                "date": int(time.time()),
                "text": text,
            }
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                message["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": utf16_length(command)}
                ]
            self.push_update({"message": message})
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
            key: int | str = chat_id
            message = self._messages.get((key, message_id))
            if message is None:
                message = {
                    "message_id": message_id,
                    "chat": dict(self._chat(key)),
                    "date": int(time.time()),
                    "text": "",
                }
            query_id = str(next(self._query_ids))
            self._queries[query_id] = False
            sender = user_id if user_id is not None else chat_id
            self.push_update(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": self._user(sender, first_name, language_code),
                        "chat_instance": str(chat_id),
                        "data": data,
                        "message": _public(message),
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
                self.register_chat(chat_id, chat_type)
            if old_status is None:
                old_status = "member" if new_status in ("kicked", "left") else "left"
            bot_user = self._bot_user()
            sender = user_id if user_id is not None else (chat_id if chat_id > 0 else 1111)
            update = self.push_update(
                {
                    "my_chat_member": {
                        "chat": dict(self._chats[chat_id]),
                        "from": self._user(sender, "Reader", "en"),
                        "date": int(time.time()),
                        "old_chat_member": _member(bot_user, old_status),
                        "new_chat_member": _member(bot_user, new_status),
                    }
                }
            )
            return update

    # ------------------------------------------------------------------ configuration

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """getChatMember answers ``status`` ("creator", "administrator", "member", "left",
        "kicked", "restricted") for this (chat, user); the default is "member"."""
        with self._lock:
            self._members[(chat_id, user_id)] = status

    def block_chat(
        self, chat_id: int, description: str = "Forbidden: bot was blocked by the user"
    ) -> None:
        """Sends and edits to ``chat_id`` answer 403 ``description`` until ``unblock_chat``."""
        with self._lock:
            self._blocked[chat_id] = description

    def unblock_chat(self, chat_id: int) -> None:
        with self._lock:
            self._blocked.pop(chat_id, None)

    def migrate_chat(self, old_id: int, new_id: int) -> None:
        """Any request naming ``old_id`` answers 400 with ``migrate_to_chat_id=new_id``."""
        with self._lock:
            self._migrated[old_id] = new_id
            old = self._chats.get(old_id)
            title = old.get("title") if old else None
            self.register_chat(new_id, "supergroup", title=title)

    def fail_next(
        self,
        method: str,
        status: int = 500,
        description: str = "Internal Server Error",
        times: int = 1,
        *,
        chat_id: int | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` (for ``chat_id`` only, if given) answer
        ``status``/``description``; nothing is delivered."""
        parameters: JSONDict = {}
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        with self._lock:
            self._injected.setdefault(method.lower(), []).append(
                _Injected(status, description, parameters or None, chat_id, times)
            )

    def drop_next(self, method: str, times: int = 1, *, deliver: bool = False) -> None:
        """Close the connection instead of answering the next ``times`` calls of ``method``
        (PTB raises NetworkError). With ``deliver=True`` the message is delivered first: the
        response, not the request, is lost."""
        with self._lock:
            self._drops.setdefault(method.lower(), []).append(_Drop(deliver, times))

    def set_limits(
        self,
        global_per_second: int | None = 30,
        per_chat_per_second: float | None = 1.0,
        per_chat_burst: int = 3,
        per_group_per_minute: int | None = 20,
        *,
        penalize: bool = True,
    ) -> FloodLimits:
        """Enforce Telegram's flood limits on send methods (see FloodLimits); returns them."""
        limits = FloodLimits(
            global_per_second, per_chat_per_second, per_chat_burst, per_group_per_minute, penalize
        )
        with self._lock:
            self._flood = _FloodState(limits)
        return limits

    def clear_limits(self) -> None:
        with self._lock:
            self._flood = None

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

    # ------------------------------------------------------------------ flood control

    def _check_flood(self, method: str, key: int | str) -> None:
        state = self._flood
        if state is None:
            return
        limits = state.limits
        now = time.monotonic()
        for scope_key in (None, key):
            until = state.banned_until.get(scope_key, 0.0)
            if until > now:
                scope = "global" if scope_key is None else ("group" if _is_group(key) else "chat")
                self._reject(method, key, scope, until - now, ban=False)
        if limits.global_per_second is not None:
            window = state.global_window
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= limits.global_per_second:
                self._reject(method, key, "global", window[0] + 1.0 - now, ban_key=None)
        group = _is_group(key)
        if group and limits.per_group_per_minute is not None:
            self._check_chat_window(method, key, now, 60.0, limits.per_group_per_minute, "group")
        elif not group and limits.per_chat_per_second is not None:
            self._check_chat_window(
                method, key, now, limits.chat_window, limits.per_chat_burst, "chat"
            )

    def _check_chat_window(
        self, method: str, key: int | str, now: float, span: float, allowed: int, scope: str
    ) -> None:
        assert self._flood is not None
        window = self._flood.chat_windows.setdefault(key, deque())
        while window and now - window[0] >= span:
            window.popleft()
        if len(window) >= allowed:
            self._reject(method, key, scope, window[0] + span - now, ban_key=key)

    def _reject(
        self,
        method: str,
        key: int | str,
        scope: str,
        wait: float,
        *,
        ban_key: int | str | None = None,
        ban: bool = True,
    ) -> None:
        """Answer 429; with ``penalize``, ban ``ban_key`` (None = everything) meanwhile."""
        retry_after = max(1, math.ceil(wait))
        assert self._flood is not None
        if ban and self._flood.limits.penalize:
            self._flood.banned_until[ban_key] = time.monotonic() + retry_after
        self._rejections.append(Rejection(time.monotonic(), method, key, scope, retry_after))
        raise ApiError(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )

    def _count_delivery(self, key: int | str) -> None:
        now = time.monotonic()
        self._delivery_times.append(now)
        self._chat_delivery_times.setdefault(key, []).append(now)
        state = self._flood
        if state is not None:
            state.global_window.append(now)
            state.chat_windows.setdefault(key, deque()).append(now)

    # ------------------------------------------------------------------ Bot API methods

    def _bot_user(self) -> JSONDict:
        return {
            "id": self._bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _get_me(self, params: JSONDict) -> JSONDict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _delete_webhook(self, params: JSONDict) -> bool:
        if params.get("drop_pending_updates") in (True, "true"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    def _scope_key(self, params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be an array of at most 100 commands")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.match(
                str(command.get("command", ""))
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            description = str(command.get("description", ""))
            if not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[self._scope_key(params)] = [dict(c) for c in commands]
        return True

    def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return [dict(c) for c in self._commands.get(self._scope_key(params), [])]

    def _delete_my_commands(self, params: JSONDict) -> bool:
        self._commands.pop(self._scope_key(params), None)
        return True

    def _parse_text(self, params: JSONDict) -> tuple[ParsedText, str | None]:
        raw = params.get("text")
        text = "" if raw is None else str(raw)
        parse_mode = params.get("parse_mode")
        if parse_mode is not None and not isinstance(parse_mode, str):
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        mode = (parse_mode or "").lower()
        if mode == "html":
            try:
                parsed = parse_html(text, strict_entities=self.strict_entities)
            except EntityParseError as error:
                raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None
        elif mode in ("", "markdown", "markdownv2"):
            entities = params.get("entities")
            parsed = ParsedText(text, list(entities) if isinstance(entities, list) else [])
        else:
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        parsed = strip_outer_whitespace(parsed)
        if not parsed.text:
            raise ApiError(400, "Bad Request: message text is empty")
        if len(parsed.text) > MAX_MESSAGE_LENGTH:
            raise ApiError(400, "Bad Request: message is too long")
        return parsed, parse_mode

    @staticmethod
    def _check_markup(params: JSONDict) -> JSONDict | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard") or []:
            for button in row:
                if not str(button.get("text", "")).strip():
                    raise ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _send_message(self, params: JSONDict) -> JSONDict:
        key = _chat_key(params.get("chat_id"))
        parsed, parse_mode = self._parse_text(params)
        markup = self._check_markup(params)
        self._check_flood("sendMessage", key)
        message: JSONDict = {
            "message_id": self._new_message_id(key),
            "from": self._bot_user(),
            "chat": dict(self._chat(key)),
            "date": int(time.time()),
            "text": parsed.text,
        }
        if parsed.entities:
            message["entities"] = parsed.entities
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self._count_delivery(key)
        record = {
            **message,
            "html": params.get("text") if (parse_mode or "").lower() == "html" else None,
            "parse_mode": parse_mode,
            "reply_markup": markup,
            "link_preview_options": params.get("link_preview_options"),
            "disable_notification": params.get("disable_notification"),
        }
        self._messages[(key, message["message_id"])] = record
        self._sent.append(record)
        return message

    def _find_message(self, params: JSONDict, not_found: str) -> tuple[int | str, JSONDict]:
        key = _chat_key(params.get("chat_id"))
        message_id = params.get("message_id")
        record = self._messages.get((key, int(message_id))) if message_id is not None else None
        if record is None:
            raise ApiError(400, f"Bad Request: {not_found}")
        return key, record

    def _edit_message_text(self, params: JSONDict) -> JSONDict | bool:
        if "inline_message_id" in params:
            return True
        key, record = self._find_message(params, "message to edit not found")
        parsed, parse_mode = self._parse_text(params)
        markup = self._check_markup(params)
        if (
            parsed.text == record["text"]
            and parsed.entities == record.get("entities", [])
            and markup == record.get("reply_markup")
        ):
            raise ApiError(400, _NOT_MODIFIED)
        html = params.get("text") if (parse_mode or "").lower() == "html" else None
        self._apply_edit(record, text=parsed.text, entities=parsed.entities, markup=markup)
        record.update(html=html, parse_mode=parse_mode)
        self._edits.append(
            {
                "method": "editMessageText",
                "chat_id": key,
                "message_id": record["message_id"],
                "text": parsed.text,
                "html": html,
                "parse_mode": parse_mode,
                "reply_markup": markup,
            }
        )
        return _public(record)

    def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict | bool:
        if "inline_message_id" in params:
            return True
        key, record = self._find_message(params, "message to edit not found")
        markup = self._check_markup(params)
        if markup == record.get("reply_markup"):
            raise ApiError(400, _NOT_MODIFIED)
        self._apply_edit(
            record, text=record["text"], entities=record.get("entities"), markup=markup
        )
        self._edits.append(
            {
                "method": "editMessageReplyMarkup",
                "chat_id": key,
                "message_id": record["message_id"],
                "text": record["text"],
                "html": record.get("html"),
                "parse_mode": record.get("parse_mode"),
                "reply_markup": markup,
            }
        )
        return _public(record)

    @staticmethod
    def _apply_edit(
        record: JSONDict, *, text: str, entities: list[JSONDict] | None, markup: JSONDict | None
    ) -> None:
        record["text"] = text
        record["edit_date"] = int(time.time())
        if entities:
            record["entities"] = entities
        else:
            record.pop("entities", None)
        # Editing without reply_markup removes the inline keyboard, as on Telegram.
        record["reply_markup"] = markup

    def _delete_message(self, params: JSONDict) -> bool:
        key, record = self._find_message(params, "message to delete not found")
        del self._messages[(key, record["message_id"])]
        record["deleted"] = True
        self._deleted.append((key, record["message_id"]))
        return True

    def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if self._queries.get(query_id, True):
            raise ApiError(400, _QUERY_INVALID)
        self._queries[query_id] = True
        self._answers.append(
            {
                "callback_query_id": query_id,
                "text": params.get("text"),
                "show_alert": bool(params.get("show_alert", False)),
                "url": params.get("url"),
            }
        )
        return True

    def _get_chat(self, params: JSONDict) -> JSONDict:
        chat = self._chat(_chat_key(params.get("chat_id")))
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _member_user(self, user_id: int) -> JSONDict:
        if user_id == self._bot_id:
            return self._bot_user()
        return {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}

    def _get_chat_member(self, params: JSONDict) -> JSONDict:
        key = _chat_key(params.get("chat_id"))
        self._chat(key)
        user_id = int(params.get("user_id") or 0)
        status = self._members.get((key, user_id), "member")
        return _member(self._member_user(user_id), status)

    def _get_chat_administrators(self, params: JSONDict) -> list[JSONDict]:
        key = _chat_key(params.get("chat_id"))
        return [
            _member(self._member_user(user_id), status)
            for (chat, user_id), status in self._members.items()
            if chat == key and status in ("creator", "administrator")
        ]

    # ------------------------------------------------------------------ inspection

    @property
    def calls(self) -> list[Call]:
        """Every request received, in order: ``(method, params)``."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[JSONDict]:
        """Parameters of every call of ``method`` (case-insensitive)."""
        name = method.lower()
        with self._lock:
            return [c.params for c in self._calls if c.method.lower() == name]

    def sent_messages(self, chat_id: int | None = None) -> list[JSONDict]:
        """Messages delivered by sendMessage (as stored, i.e. after later edits), in order.

        Each has the Telegram Message fields (``message_id``, ``chat``, ``date``, ``text``:
        the visible text, ``entities``) plus ``html`` (the raw HTML sent, or None),
        ``parse_mode``, ``reply_markup``, ``link_preview_options``, ``disable_notification``.
        """
        with self._lock:
            return [dict(m) for m in self._sent if chat_id is None or m["chat"]["id"] == chat_id]

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

    def delivery_times(self, chat_id: int | None = None) -> list[float]:
        """``time.monotonic()`` of each delivered send (all chats, or one chat)."""
        with self._lock:
            if chat_id is None:
                return list(self._delivery_times)
            return list(self._chat_delivery_times.get(chat_id, []))

    def delivered_chats(self) -> list[int | str]:
        with self._lock:
            return list(self._chat_delivery_times)

    def max_rate_observed(self, window: float = 1.0, chat_id: int | None = None) -> int:
        """Most messages delivered within any ``window`` seconds (all chats, or one chat)."""
        return _max_in_window(self.delivery_times(chat_id), window)

    def limit_violations(self, limits: FloodLimits | None = None) -> list[str]:
        """Where delivered traffic broke ``limits`` (default: Telegram's); empty when none.

        Useful with the limits *not* enforced, to prove the bot paces itself.
        """
        limits = limits or FloodLimits()
        problems: list[str] = []
        with self._lock:
            per_chat = {k: list(v) for k, v in self._chat_delivery_times.items()}
            everything = list(self._delivery_times)
        if limits.global_per_second is not None:
            peak = _max_in_window(everything, 1.0)
            if peak > limits.global_per_second:
                problems.append(f"global: {peak} messages within 1 s")
        for key, times in per_chat.items():
            if _is_group(key) and limits.per_group_per_minute is not None:
                peak = _max_in_window(times, 60.0)
                if peak > limits.per_group_per_minute:
                    problems.append(f"group {key}: {peak} messages within 60 s")
            elif not _is_group(key) and limits.per_chat_per_second is not None:
                peak = _max_in_window(times, limits.chat_window)
                if peak > limits.per_chat_burst:
                    problems.append(f"chat {key}: {peak} messages within {limits.chat_window:g} s")
        return problems

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

    def wait_for_call(self, method: str, count: int = 1, timeout: float = 10.0) -> bool:
        """Wait until ``method`` has been called at least ``count`` times."""
        return self.wait_for(lambda: len(self.calls_to(method)) >= count, timeout)

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
        return await asyncio.to_thread(self.wait_for_call, method, count, timeout)


def _public(record: JSONDict) -> JSONDict:
    """The Telegram Message dict of a stored record (without the fake's extra keys)."""
    message = {
        k: v
        for k, v in record.items()
        if k
        not in ("html", "parse_mode", "link_preview_options", "disable_notification", "deleted")
    }
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


def _member(user: JSONDict, status: str) -> JSONDict:
    """A ChatMember dict with the fields PTB requires for ``status``."""
    member: JSONDict = {"status": status, "user": dict(user)}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(can_be_edited=False, is_anonymous=False)
        member.update(dict.fromkeys(_ADMIN_RIGHTS, True))
    elif status == "kicked":
        member["until_date"] = 0
    elif status == "restricted":
        member.update(is_member=True, until_date=0)
        member.update(dict.fromkeys(_RESTRICTIONS, False))
    return member


_METHODS: dict[str, Callable[[FakeBotAPI, JSONDict], Any]] = {
    "getme": FakeBotAPI._get_me,
    "deletewebhook": FakeBotAPI._delete_webhook,
    "getwebhookinfo": FakeBotAPI._get_webhook_info,
    "setmycommands": FakeBotAPI._set_my_commands,
    "getmycommands": FakeBotAPI._get_my_commands,
    "deletemycommands": FakeBotAPI._delete_my_commands,
    "sendmessage": FakeBotAPI._send_message,
    "editmessagetext": FakeBotAPI._edit_message_text,
    "editmessagereplymarkup": FakeBotAPI._edit_message_reply_markup,
    "deletemessage": FakeBotAPI._delete_message,
    "answercallbackquery": FakeBotAPI._answer_callback_query,
    "getchat": FakeBotAPI._get_chat,
    "getchatmember": FakeBotAPI._get_chat_member,
    "getchatadministrators": FakeBotAPI._get_chat_administrators,
}


def messages_text(messages: Iterable[JSONDict]) -> list[str]:
    """The visible texts of messages, a small convenience for assertions."""
    return [m["text"] for m in messages]


__all__ = [
    "ApiError",
    "Call",
    "Failure",
    "FakeBotAPI",
    "FloodLimits",
    "Rejection",
    "decode_params",
    "messages_text",
]
