"""A fake Telegram Bot API over real HTTP on loopback, for tests and benchmarks.

Point python-telegram-bot at it (``ApplicationBuilder().base_url(api.base_url)`` or
``TELEGRAM_API_URL=api.base_url``), act as readers do and look at what the bot did (see
``_telegram_state``). It answers in the Bot API's JSON shape, validates the HTML parse mode like
Telegram (``_telegram_html``), enforces flood limits on demand (``_telegram_flood``) and can
fail like Telegram under stress: injected errors, lost responses.

This module is the HTTP side: routing ``/bot<token>/<method>``, decoding parameters, and the
faults a test injects between the wire and the methods (``_telegram_methods``).
"""

from __future__ import annotations

import contextlib
import gc
import json
import multiprocessing
import multiprocessing.process
import re
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

from bench.fakes._loopback import BackgroundServer, QuietHandler
from bench.fakes._telegram_flood import ChatKey, FloodLimits, Rejection
from bench.fakes._telegram_methods import BotMethods
from bench.fakes._telegram_state import ApiError, Call, Failure, JSONDict

# Form fields that Telegram reads as plain strings; everything else may be JSON-encoded (PTB
# sends ``reply_markup`` etc. as JSON inside a form field) or a number.
_STRING_FIELDS = frozenset(
    {"text", "caption", "photo", "parse_mode", "callback_query_id", "url", "language_code"}
)
_PATH_RE = re.compile(r"/bot([^/]*)/([A-Za-z_]+)/?")
_TOKEN_RE = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")


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


class _DropConnection(Exception):
    """Close the connection without an answer (a lost response)."""


def _decode_field(name: str, value: str) -> Any:
    if name in _STRING_FIELDS:
        return value
    if name == "chat_id" and not value.lstrip("-").isdigit():
        return value  # "@channelusername"
    try:
        return json.loads(value)
    except ValueError:
        return value


def decode_params(query: str, content_type: str, body: bytes) -> JSONDict:
    """Bot API parameters from a query string and a JSON or form body (PTB sends forms;
    multipart only for file uploads, which newsbot never makes)."""
    params: JSONDict = {k: _decode_field(k, v) for k, v in parse_qsl(query)}
    if not body:
        return params
    if content_type.split(";", 1)[0].strip().lower() == "application/json":
        decoded = json.loads(body)
        if isinstance(decoded, dict):
            params.update(decoded)
    else:
        text = body.decode("utf-8")
        params.update({k: _decode_field(k, v) for k, v in parse_qsl(text, keep_blank_values=True)})
    return params


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
            status, payload = api._answer_http(
                parts.path, parts.query, self.headers.get("Content-Type", ""), body
            )
        except _DropConnection:
            self.close_connection = True
            return
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_body(status, data, {"Content-Type": "application/json"})


class FakeBotAPI(BackgroundServer, BotMethods):
    """The Telegram Bot API on ``http://127.0.0.1:PORT/bot<token>/<method>``.

    Use ``with FakeBotAPI() as api:`` or ``start()``/``stop()``. Any well-formed token is
    accepted unless ``valid_token`` names the one; ``latency`` delays every answer.
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
        BackgroundServer.__init__(self)
        BotMethods.__init__(
            self,
            strict_entities=strict_entities,
            bot_username=bot_username,
            bot_first_name=bot_first_name,
            record_calls=record_calls,
        )
        self.valid_token = valid_token
        self.latency = latency
        self._injected: dict[str, list[_Injected]] = {}
        self._drops: dict[str, list[_Drop]] = {}

    @property
    def base_url(self) -> str:
        """For ``TELEGRAM_API_URL`` / PTB ``base_url``: the token and ``/method`` are appended."""
        return f"{self.origin}/bot"

    def start(self) -> FakeBotAPI:
        with self._lock:
            self._closed = False
        super().start()
        return self

    def _before_stop(self) -> None:
        """End long polls at once instead of at their timeout."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    # ------------------------------------------------------------------ faults

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

    # ------------------------------------------------------------------ HTTP

    def _answer_http(
        self, path: str, query: str, content_type: str, body: bytes
    ) -> tuple[int, JSONDict]:
        """Status and JSON body for one request; raises _DropConnection for a lost answer."""
        self.pause(self.latency)
        match = _PATH_RE.fullmatch(path)
        token_match = _TOKEN_RE.match(match.group(1)) if match else None
        if match is None or token_match is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        token, method = match.groups()
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
                failure = Failure(
                    time.monotonic(), method, params.get("chat_id"), error.status, error.description
                )
                self._failures.append(failure)
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
            result = self._call(method, params)
            self._changed.notify_all()
        if drop is not None:
            raise _DropConnection
        return result

    def _record(self, method: str, params: JSONDict) -> None:
        if self.record_calls:
            with self._lock:
                self._calls.append(Call(method, params))


class FakeBotAPIProcess:
    """The same FakeBotAPI, served from a child process (benchmarks).

    In the bot's own process the fake's handler threads and the bot's event loop share one
    GIL: at hundreds of requests a second the benchmark timed the fake as much as the bot
    (about 200 messages/s with no bot logic at all). The child answers the same HTTP; what it
    recorded comes back over a pipe, one call at a time. Only plain calls cross the pipe (no
    waiting helpers, no fault injection): arguments and results must pickle.
    """

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._process: multiprocessing.process.BaseProcess | None = None
        self._pipe: Connection | None = None
        self._port = 0

    def start(self) -> FakeBotAPIProcess:
        if self._process is not None:
            return self
        # spawn, not fork: the parent may already run threads (a forked lock stays locked).
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(
            target=_serve_in_child, args=(theirs, self._options), name="FakeBotAPI", daemon=True
        )
        process.start()
        theirs.close()
        self._process, self._pipe = process, ours
        self._port = int(self._ask("port"))
        return self

    def stop(self) -> None:
        process, pipe = self._process, self._pipe
        if process is None or pipe is None:
            return
        with contextlib.suppress(OSError):
            pipe.send(None)
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join()
        pipe.close()
        self._process = self._pipe = None

    def __enter__(self) -> FakeBotAPIProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _ask(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """An attribute of the child's FakeBotAPI, or the result of calling it."""
        if self._pipe is None:
            raise RuntimeError("FakeBotAPIProcess is not started")
        self._pipe.send((name, args, kwargs))
        ok, value = self._pipe.recv()
        if not ok:
            raise value
        return value

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/bot"

    def set_limits(self, *args: Any, **kwargs: Any) -> FloodLimits:
        return cast(FloodLimits, self._ask("set_limits", *args, **kwargs))

    def clear_records(self) -> None:
        self._ask("clear_records")

    def sent_messages(self, chat_id: int | None = None) -> list[JSONDict]:
        return cast(list[JSONDict], self._ask("sent_messages", chat_id))

    def delivered_chats(self) -> list[ChatKey]:
        return cast(list[ChatKey], self._ask("delivered_chats"))

    def limit_violations(self, limits: FloodLimits | None = None) -> list[str]:
        return cast(list[str], self._ask("limit_violations", limits))

    @property
    def count_429(self) -> int:
        return int(self._ask("count_429"))

    @property
    def rejections(self) -> list[Rejection]:
        return cast(list[Rejection], self._ask("rejections"))

    def cpu_seconds(self) -> float:
        """CPU time the child has used (user and system): what answering cost the fake."""
        return float(self._ask("cpu_seconds"))


def _serve_in_child(pipe: Connection, options: dict[str, Any]) -> None:
    """The child's life: serve until the parent says stop (None) or goes away."""
    # No cyclic garbage collection here: with tens of thousands of sent messages recorded, a
    # full collection stalls every request thread for tens of milliseconds, and the requests
    # that queued meanwhile reach the flood windows in one burst, a 429 Telegram (whose rate
    # windows do not pause) would not send. A fake lives for one test or benchmark.
    gc.disable()
    with FakeBotAPI(**options) as api, pipe:
        while True:
            try:
                request = pipe.recv()
            except EOFError:
                return
            if request is None:
                return
            name, args, kwargs = request
            try:
                value = time.process_time() if name == "cpu_seconds" else getattr(api, name)
                if callable(value):
                    value = value(*args, **kwargs)
            except Exception as error:  # the parent re-raises it
                pipe.send((False, error))
            else:
                pipe.send((True, value))
