"""Rate limiting for every request the bot makes, on top of PTB's AIORateLimiter.

AIORateLimiter paces requests (30/s overall, 20/min per group) but, when it retries after a
429, it pauses every other request too. Here a 429 waits for its own request only: replies to
readers retry a couple of times; the delivery loop, which paces and re-queues alerts per chat
itself, asks for no retry at all.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

JSONDict = dict[str, Any]
"""The request payload PTB hands a rate limiter (its own alias lives in the private
`telegram._utils.types`; ours keeps us off private modules)."""

NO_RETRY = -1
"""`rate_limit_args` for a request whose caller handles a 429 itself (the delivery loop)."""


def retry_seconds(error: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds (PTB 22 may give an int or a timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class _ExpectedRetryAfter(logging.Filter):
    """AIORateLimiter logs every 429 with a traceback once its retries (none, here) are spent;
    we handle and log them ourselves."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Rate limit hit after maximum of 0 retries")


logging.getLogger("telegram.ext.AIORateLimiter").addFilter(_ExpectedRetryAfter())


class PerRequestRateLimiter(AIORateLimiter):
    """AIORateLimiter's pacing; retries after a 429 wait for that request alone."""

    def __init__(self, *, retries: int = 2, **limits: Any) -> None:
        super().__init__(max_retries=0, **limits)
        self._retries = retries

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        if rate_limit_args == NO_RETRY and data.get("allow_paid_broadcast"):
            # A paid broadcast goes beyond the free 30/s this limiter keeps: the delivery loop
            # paces it (up to 1,000/s) and keeps the per-chat gaps itself.
            return await callback(*args, **kwargs)
        retries = 0 if rate_limit_args == NO_RETRY else (rate_limit_args or self._retries)
        attempt = 0
        while True:
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, None)
            except RetryAfter as error:
                if attempt >= retries:
                    raise
                attempt += 1
                await asyncio.sleep(retry_seconds(error) + 0.1)
