"""The aiohttp Bot API connection: what the bot sends arrives, and failures are PTB's errors
(the delivery loop retries an alert on NetworkError, TimedOut included, and never marks it
sent without a message id). The fake Bot API served from its own process, as the paid
benchmark runs it, records the same things as the in-process one."""

from __future__ import annotations

import socket

import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError, TimedOut

from bench.fakes import FakeBotAPI, FakeBotAPIProcess
from bot.telegram_request import AiohttpRequest

TOKEN = "123456:test-token_for-the-fake-api"


async def test_a_message_sent_over_aiohttp_arrives_with_its_markup() -> None:
    with FakeBotAPI() as api:
        async with Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest()) as bot:
            message = await bot.send_message(501, "<b>Kim</b> & more", parse_mode="HTML")
            with pytest.raises(BadRequest, match="parse entities"):
                await bot.send_message(501, "<b>unclosed", parse_mode="HTML")
        sent = api.sent_messages(501)
    assert [m["text"] for m in sent] == ["Kim & more"]
    assert message.message_id == sent[0]["message_id"]


async def test_a_refused_connection_is_a_network_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(NetworkError):  # getMe, the first request, already fails
        async with Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=AiohttpRequest()):
            pass


async def test_an_answer_too_late_is_timed_out() -> None:
    with FakeBotAPI() as api:
        request = AiohttpRequest(read_timeout=0.3)
        async with Bot(TOKEN, base_url=api.base_url, request=request) as bot:
            api.latency = 2.0
            with pytest.raises(TimedOut):
                await bot.send_message(501, "hello")


async def test_the_fake_in_its_own_process_records_what_was_sent() -> None:
    with FakeBotAPIProcess(record_calls=False) as api:
        limits = api.set_limits(paid_per_second=1000)
        async with Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest()) as bot:
            for chat in (601, 602, 603):
                await bot.send_message(chat, f"to {chat}", allow_paid_broadcast=chat == 603)
        sent = api.sent_messages()
        assert sorted(api.delivered_chats()) == [601, 602, 603]
        assert [m["allow_paid_broadcast"] for m in sent] == [False, False, True]
        assert api.limit_violations(limits) == []
        assert api.count_429 == 0
