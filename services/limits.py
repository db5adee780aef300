"""Per-chat rate limits: how often one chat may run an expensive command (a pure value + clock).

One chat hammering /search or its paging buttons must not slow the bot for everyone else.
The caller passes the time (the services' injected clock), so tests need no sleeping.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

FORGET_AFTER = 10_000
"""Chats remembered before the ones idle for a whole window are dropped (bounded memory)."""


@dataclass
class ChatRateLimit:
    """At most `limit` uses per chat in any `window`; a refused use does not count."""

    limit: int = 10
    window: timedelta = timedelta(minutes=1)
    _uses: dict[int, deque[datetime]] = field(default_factory=dict)

    def allow(self, chat_id: int, now: datetime) -> bool:
        """Count one use for the chat now, or say no when its window is full."""
        uses = self._uses.setdefault(chat_id, deque())
        while uses and now - uses[0] >= self.window:
            uses.popleft()
        if len(uses) >= self.limit:
            return False
        uses.append(now)
        if len(self._uses) > FORGET_AFTER:
            self._forget_idle(now)
        return True

    def _forget_idle(self, now: datetime) -> None:
        idle = [
            chat for chat, uses in self._uses.items() if not uses or now - uses[-1] >= self.window
        ]
        for chat in idle:
            del self._uses[chat]
