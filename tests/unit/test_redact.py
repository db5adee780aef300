"""The bot token never reaches the log: messages, arguments, tracebacks (issue 11 item 6)."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest

from bot import redact

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET_HALF = TOKEN.split(":")[1]


@pytest.fixture
def log_output(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """The root logger writing to a buffer, with the redaction installed as `main` does."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    redact.install([TOKEN, "webhook-secret-value"])
    try:
        yield buffer
    finally:
        root.removeHandler(handler)


def test_token_in_message_arguments_and_traceback_is_redacted(log_output: io.StringIO) -> None:
    log = logging.getLogger("telegram.ext.Application")
    log.warning("POST https://api.telegram.org/bot%s/getMe", TOKEN)
    log.warning("the secret half alone: %s", SECRET_HALF)
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        log.exception("while starting")
    try:
        raise ValueError("webhook secret webhook-secret-value is wrong")
    except ValueError as error:
        logging.getLogger("httpx").error("failed", exc_info=error)

    text = log_output.getvalue()
    assert TOKEN not in text
    assert SECRET_HALF not in text
    assert "webhook-secret-value" not in text
    assert "bot[REDACTED]/getMe" in text
    assert "Traceback" in text  # the traceback is kept, only the secret is gone
    assert "was rejected by the server" in text


def test_uncaught_exception_output_is_redacted(
    log_output: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        raise RuntimeError(f"https://api.telegram.org/bot{TOKEN}/getUpdates failed")
    except RuntimeError as error:
        sys.excepthook(type(error), error, error.__traceback__)
    err = capsys.readouterr().err
    assert "RuntimeError" in err
    assert SECRET_HALF not in err


def test_the_public_bot_id_alone_is_not_mangled() -> None:
    assert redact.Redactor([TOKEN])("bot id 123456789 is fine") == "bot id 123456789 is fine"
