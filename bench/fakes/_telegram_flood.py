"""Telegram's flood limits as a model: which sends may go now, and where traffic broke them.

Pure bookkeeping on ``time.monotonic()`` timestamps; the fake's state holds the lock around it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

ChatKey = int | str


class Rejection(NamedTuple):
    """One 429 answer under the flood limits; ``scope`` is "global", "chat" or "group"."""

    time: float  # time.monotonic()
    method: str
    chat_id: int | str | None
    scope: str
    retry_after: int


@dataclass
class FloodLimits:
    """Telegram's documented limits; ``None`` switches one off.

    A private chat may receive ``per_chat_burst`` messages in any window of
    ``per_chat_burst / per_chat_per_second`` seconds (a short burst, 1/s on average); a group
    (negative chat id) ``per_group_per_minute`` in any 60 s; all chats together
    ``global_per_second`` in any 1 s. With ``penalize``, a 429 also bans its scope until
    ``retry_after`` has passed, as Telegram does. With ``paid_per_second``, a message sent
    with ``allow_paid_broadcast`` is not held to ``global_per_second`` (free messages are) but
    to ``paid_per_second`` for all messages together; per-chat and group limits stay.
    """

    global_per_second: int | None = 30
    per_chat_per_second: float | None = 1.0
    per_chat_burst: int = 3
    per_group_per_minute: int | None = 20
    penalize: bool = True
    paid_per_second: int | None = None

    @property
    def chat_window(self) -> float:
        assert self.per_chat_per_second
        return self.per_chat_burst / self.per_chat_per_second


def is_group(chat_id: ChatKey) -> bool:
    """Groups and channels (negative ids, ``@username``) have the per-minute limit."""
    return isinstance(chat_id, str) or chat_id < 0


@dataclass
class FloodGate:
    """Enforces ``limits``: sliding windows of recent sends, and the bans 429s imposed."""

    limits: FloodLimits
    global_window: deque[float] = field(default_factory=deque)
    """Free sends only; ``all_window`` holds paid and free ones."""
    all_window: deque[float] = field(default_factory=deque)
    chat_windows: dict[ChatKey, deque[float]] = field(default_factory=dict)
    banned_until: dict[ChatKey | None, float] = field(default_factory=dict)

    def refuse(self, key: ChatKey, now: float, *, paid: bool = False) -> tuple[str, int] | None:
        """None if a send to ``key`` may go at ``now``, else the 429's scope and retry_after."""
        paid = paid and self.limits.paid_per_second is not None
        for banned in (None, key):
            if banned is None and paid:
                continue  # a paid message is not held by a ban on the free rate
            until = self.banned_until.get(banned, 0.0)
            if until > now:
                return _scope(banned, key), _whole_seconds(until - now)
        full = self._full_window(key, now, paid=paid)
        if full is None:
            return None
        scope, ban_key, wait = full
        retry_after = _whole_seconds(wait)
        if self.limits.penalize:
            self.banned_until[ban_key] = now + retry_after
        return scope, retry_after

    def admit(self, key: ChatKey, now: float, *, paid: bool = False) -> None:
        """Count a delivered send in the windows it occupies."""
        if not (paid and self.limits.paid_per_second is not None):
            self.global_window.append(now)
        self.all_window.append(now)
        self.chat_windows.setdefault(key, deque()).append(now)

    def _full_window(
        self, key: ChatKey, now: float, *, paid: bool = False
    ) -> tuple[str, ChatKey | None, float] | None:
        limits = self.limits
        if limits.paid_per_second is not None:
            _expire(self.all_window, now, 1.0)
            if len(self.all_window) >= limits.paid_per_second:
                return "global", None, self.all_window[0] + 1.0 - now
        if limits.global_per_second is not None and not paid:
            _expire(self.global_window, now, 1.0)
            if len(self.global_window) >= limits.global_per_second:
                return "global", None, self.global_window[0] + 1.0 - now
        if is_group(key):
            if limits.per_group_per_minute is None:
                return None
            scope, span, allowed = "group", 60.0, limits.per_group_per_minute
        else:
            if limits.per_chat_per_second is None:
                return None
            scope, span, allowed = "chat", limits.chat_window, limits.per_chat_burst
        window = self.chat_windows.setdefault(key, deque())
        _expire(window, now, span)
        if len(window) >= allowed:
            return scope, key, window[0] + span - now
        return None


def _scope(banned: ChatKey | None, key: ChatKey) -> str:
    if banned is None:
        return "global"
    return "group" if is_group(key) else "chat"


def _whole_seconds(wait: float) -> int:
    """Telegram's retry_after is whole seconds, at least one."""
    return max(1, math.ceil(wait))


def _expire(window: deque[float], now: float, span: float) -> None:
    while window and now - window[0] >= span:
        window.popleft()


def max_in_window(times: Sequence[float], window: float) -> int:
    """Most timestamps of the sorted ``times`` within any ``window`` seconds."""
    best, start = 0, 0
    for end, now in enumerate(times):
        while now - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def violations(
    limits: FloodLimits, everything: Sequence[float], per_chat: Mapping[ChatKey, Sequence[float]]
) -> list[str]:
    """Where delivered traffic (all sends, and sends per chat) broke ``limits``."""
    problems: list[str] = []
    # With paid broadcasts the fake does not tell free from paid afterwards: all together.
    overall = limits.paid_per_second or limits.global_per_second
    if overall is not None:
        peak = max_in_window(everything, 1.0)
        if peak > overall:
            problems.append(f"global: {peak} messages within 1 s")
    for key, times in per_chat.items():
        if is_group(key) and limits.per_group_per_minute is not None:
            peak = max_in_window(times, 60.0)
            if peak > limits.per_group_per_minute:
                problems.append(f"group {key}: {peak} messages within 60 s")
        elif not is_group(key) and limits.per_chat_per_second is not None:
            peak = max_in_window(times, limits.chat_window)
            if peak > limits.per_chat_burst:
                problems.append(f"chat {key}: {peak} messages within {limits.chat_window:g} s")
    return problems
