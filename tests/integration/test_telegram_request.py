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


async def test_alerts_sent_the_lean_way_carry_the_bots_defaults_and_raise_ptbs_errors() -> None:
    """Delivery reads only the message id back (bot/alert_api.py); what arrives, and what fails,
    must be what `ExtBot.send_message` would have sent and raised."""
    from telegram import LinkPreviewOptions
    from telegram.constants import ParseMode
    from telegram.error import ChatMigrated, Forbidden
    from telegram.ext import Defaults, ExtBot

    from bot.alert_api import LeanBotAPI

    defaults = Defaults(
        parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
    )
    with FakeBotAPI() as api:
        api.block_chat(702)
        api.migrate_chat(-703, -1000000000703)
        bot = ExtBot(TOKEN, base_url=api.base_url, request=AiohttpRequest(), defaults=defaults)
        async with bot:
            lean = LeanBotAPI(bot)
            markup = {"inline_keyboard": [[{"text": "🔕 Mute", "callback_data": "mute:7"}]]}
            sent = await lean.send_message(701, "<b>Kim</b> &amp; Putin", reply_markup=markup)
            plain = await lean.send_message(701, "<b> as typed", parse_mode=None)
            photo = await lean.send_photo(701, "https://example.org/a.jpg", caption="<i>cap</i>")
            with pytest.raises(Forbidden):
                await lean.send_message(702, "to a chat that blocked the bot")
            with pytest.raises(ChatMigrated) as migrated:
                await lean.send_message(-703, "to a group that became a supergroup")
            with pytest.raises(BadRequest, match="parse entities"):
                await lean.send_message(701, "<b>unclosed")
        first, second, third = api.sent_messages(701)
    assert (sent.message_id, plain.message_id, photo.message_id) == (
        first["message_id"],
        second["message_id"],
        third["message_id"],
    )
    assert first["text"] == "Kim & Putin" and first["parse_mode"] == "HTML"
    assert first["link_preview_options"] == {"is_disabled": True}
    assert first["reply_markup"] == markup
    assert second["text"] == "<b> as typed" and second["parse_mode"] in (None, "")
    assert third["caption"] == "cap" and third["photo_url"] == "https://example.org/a.jpg"
    assert migrated.value.new_chat_id == -1000000000703
