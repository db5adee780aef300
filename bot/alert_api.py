"""The two Bot API calls that carry alerts, without building PTB objects for every message.

`ExtBot.send_message` turns each answer into a `Message` (about 60 TelegramObjects set
attribute by attribute) and each argument into a `RequestParameter` through PTB's generic
input handling: together more CPU than the HTTP exchange itself, and at 1,000 paid broadcasts
a second the bot's one core runs out. Delivery needs one number back, the message id. So this
sends through the same pieces PTB uses — the bot's rate limiter, its request object (and with
it the 429 metrics, timeouts and PTB's error mapping: `RetryAfter`, `Forbidden`, `BadRequest`,
`ChatMigrated`, `NetworkError` are raised exactly as `send_message` raises them) and its
`Defaults` — and reads only `message_id` from the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from telegram import TelegramObject
from telegram.error import TelegramError
from telegram.ext import ExtBot
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter


class Sent(Protocol):
    @property
    def message_id(self) -> int: ...


class AlertAPI(Protocol):
    """What delivery needs of the Bot API (tests hand in a fake with these two methods)."""

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Sent: ...

    async def send_photo(self, chat_id: int, photo: str, **kwargs: Any) -> Sent: ...


@dataclass(frozen=True, slots=True)
class SentMessage:
    message_id: int


class LeanBotAPI:
    """`send_message` / `send_photo` of an `ExtBot` that return only the message id."""

    def __init__(self, bot: ExtBot[Any]) -> None:
        self._bot = bot
        defaults = bot.defaults
        preview = defaults.link_preview_options if defaults is not None else None
        self._parse_mode = defaults.parse_mode if defaults is not None else None
        self._preview = preview.to_dict() if isinstance(preview, TelegramObject) else None

    async def send_message(
        self, chat_id: int, text: str, *, rate_limit_args: Any = None, **kwargs: Any
    ) -> SentMessage:
        params: dict[str, Any] = {"chat_id": chat_id, "text": text}
        params.update(kwargs)
        if "link_preview_options" not in params:
            params["link_preview_options"] = self._preview
        return await self._call("sendMessage", params, rate_limit_args)

    async def send_photo(
        self,
        chat_id: int,
        photo: str,
        *,
        caption: str | None = None,
        rate_limit_args: Any = None,
        **kwargs: Any,
    ) -> SentMessage:
        params: dict[str, Any] = {"chat_id": chat_id, "photo": photo, "caption": caption}
        params.update(kwargs)
        return await self._call("sendPhoto", params, rate_limit_args)

    async def _call(
        self, endpoint: str, params: dict[str, Any], rate_limit_args: Any
    ) -> SentMessage:
        bot = self._bot
        if "parse_mode" not in params:
            params["parse_mode"] = self._parse_mode
        # As Bot._post: None means "not given"; objects go as their JSON dicts.
        data = {
            key: value.to_dict() if isinstance(value, TelegramObject) else value
            for key, value in params.items()
            if value is not None
        }
        request_data = RequestData(
            [RequestParameter(key, value, None) for key, value in data.items()]
        )
        url = f"{bot.base_url}/{endpoint}"

        async def post() -> Any:
            return await bot.request.post(url=url, request_data=request_data)

        limiter = bot.rate_limiter
        if limiter is None:
            result = await post()
        else:
            result = await limiter.process_request(
                callback=post,
                args=(),
                kwargs={},
                endpoint=endpoint,
                data=data,
                rate_limit_args=rate_limit_args,
            )
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if not isinstance(message_id, int):
            raise TelegramError(f"{endpoint} answered without a message id: {result!r:.200}")
        return SentMessage(message_id)
