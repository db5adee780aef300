"""Keeps secrets (the bot token, the webhook secret) out of every log line and traceback.

The token travels in every Bot API URL, so httpx's request lines, python-telegram-bot's
`InvalidToken` message and any traceback through a request may carry it. Redacting at the
handler catches all of them, whichever logger wrote the record.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Iterable
from types import TracebackType

REDACTED = "[REDACTED]"


class Redactor:
    """Replaces each secret (and a token's secret half on its own) with REDACTED."""

    def __init__(self, secrets: Iterable[str]) -> None:
        found: set[str] = set()
        for secret in secrets:
            secret = secret.strip()
            if not secret:
                continue
            found.add(secret)
            # The part after the colon is the actual secret of a bot token; the bot id before
            # it is public, and may show on its own in harmless places.
            _, colon, tail = secret.partition(":")
            if colon and len(tail) >= 8:
                found.add(tail)
        # Longest first, so that the whole token is replaced before its tail.
        self.secrets = sorted(found, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


class RedactingFilter(logging.Filter):
    """A handler filter: the record's message and traceback text, redacted."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: let the handler report it as usual
            return True
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            # The formatter reuses exc_text when set, so the traceback it prints is this one.
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = self.redact(text)
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install(secrets: Iterable[str]) -> Redactor:
    """Redact the secrets on every root handler and in tracebacks nobody caught."""
    redact = Redactor(secrets)
    redacting = RedactingFilter(redact)
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(redacting)

    def excepthook(
        kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        sys.stderr.write(redact("".join(traceback.format_exception(kind, error, tb))))

    sys.excepthook = excepthook
    return redact
