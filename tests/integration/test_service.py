"""`newsbot run` as a service: health, metrics, webhook, one instance, faults at start."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.fakes import FakeBotAPI, FeedServer
from bot.leader import AnotherInstance
from bot.service import CannotStart, Service
from bot.settings import Settings
from tests.integration.harness import TOKEN, db_count, eventually, make_settings

SEED = Path(__file__).parents[1] / "data" / "seed" / "krone-de-kim-china.xml"
HOOK = "https://bot.example.org/telegram/hook"
SECRET = "a-webhook-secret_0123456789"


@contextlib.asynccontextmanager
async def serving(settings: Settings, **options: Any) -> AsyncIterator[Service]:
    """`newsbot run` in this loop; stopped as SIGTERM stops it."""
    stop = asyncio.Event()
    service = Service(settings, stop, delays=(0.05,), **options)
    task = asyncio.create_task(service.run())
    try:
        yield service
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def _up(service: Service) -> str:
    """The HTTP server's base URL, once the service reports itself active."""
    assert await eventually(
        lambda: service.http.port is not None and service.health.role == "active"
    )
    return f"http://127.0.0.1:{service.http.port}"


def _stored(settings: Settings) -> int:
    """Articles stored so far (0 before the schema exists)."""
    try:
        return db_count(settings, "SELECT count(*) FROM articles")
    except sqlite3.OperationalError:
        return 0


def _settings(api: FakeBotAPI, tmp_path: Path, feeds: list[str], **extra: Any) -> Settings:
    return make_settings(api.base_url, tmp_path, feeds, HTTP_LISTEN="127.0.0.1:0", **extra)


async def test_healthz_and_metrics_describe_a_running_bot(tmp_path: Path) -> None:
    with FakeBotAPI() as api, FeedServer() as feeds:
        url = feeds.set_feed("/krone.xml", SEED.read_bytes())
        settings = _settings(api, tmp_path, [url])
        async with serving(settings) as service, httpx.AsyncClient() as client:
            base = await _up(service)
            assert await eventually(lambda: _stored(settings) > 0)
            health = await client.get(f"{base}/healthz")
            assert health.status_code == 200
            assert health.json()["role"] == "active"
            assert await eventually(
                lambda: service.metrics.count("newsbot_feeds_polled_total") >= 1
            )
            metrics = (await client.get(f"{base}/metrics")).text
            for name in (
                "newsbot_feeds_polled_total",
                "newsbot_feeds_failed_total",
                "newsbot_poll_duration_seconds_bucket",
                "newsbot_articles_stored_total",
                'newsbot_alerts{status="sent"}',
                'newsbot_alerts{status="parked"}',
                "newsbot_outbox_depth",
                "newsbot_outbox_oldest_due_age_seconds",
                "newsbot_telegram_429_total",
                "newsbot_subscriptions_indexed",
                "newsbot_process_group_rss_bytes",
            ):
                assert name in metrics, name
            stored = db_count(settings, "SELECT count(*) FROM articles")
            assert f"newsbot_articles_stored_total {float(stored)}" in metrics


@pytest.mark.sqlite_only("a file lock guards one SQLite file; PostgreSQL elects a leader")
async def test_a_second_instance_on_the_same_sqlite_file_refuses_to_start(tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        settings = _settings(api, tmp_path, [])
        async with serving(settings) as first:
            await _up(first)
            with pytest.raises(AnotherInstance, match="another newsbot run") as refused:
                await Service(settings, asyncio.Event()).run()
            assert "\n" not in str(refused.value)


async def test_webhook_needs_the_secret_header_and_serves_updates(tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        settings = _settings(api, tmp_path, [], WEBHOOK_URL=HOOK, WEBHOOK_SECRET=SECRET)
        async with serving(settings) as service, httpx.AsyncClient() as client:
            base = await _up(service)
            [registered] = api.calls_to("setWebhook")
            assert registered["url"] == HOOK
            assert registered["secret_token"] == SECRET
            assert not api.calls_to("getUpdates")

            api.push_message(1001, "/start")
            update = api.pending_updates()[0]
            forged = await client.post(f"{base}/telegram/hook", json=update)
            wrong = await client.post(
                f"{base}/telegram/hook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
            )
            assert (forged.status_code, wrong.status_code) == (403, 403)
            await asyncio.sleep(0.5)
            assert api.sent_messages(1001) == []

            real = await client.post(
                f"{base}/telegram/hook",
                content=json.dumps(update),
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
            assert real.status_code == 200
            assert await api.wait_for_messages_async(1001, 1)

    # Back to long polling: the webhook is deleted, or getUpdates would be refused.
    with FakeBotAPI() as api:
        settings = _settings(api, tmp_path, [])
        async with serving(settings) as service:
            await _up(service)
            assert api.calls_to("deleteWebhook")
            assert await eventually(lambda: bool(api.calls_to("getUpdates")))


async def test_telegram_unreachable_at_start_is_a_line_per_retry_while_feeds_are_polled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with FakeBotAPI() as api, FeedServer() as feeds:
        url = feeds.set_feed("/krone.xml", SEED.read_bytes())
        api.drop_next("getMe", times=1000)
        settings = _settings(api, tmp_path, [url])
        async with serving(settings) as service, httpx.AsyncClient() as client:
            assert await eventually(lambda: _stored(settings) > 0)
            assert await eventually(lambda: service.http.port is not None)
            health = await client.get(f"http://127.0.0.1:{service.http.port}/healthz")
            assert health.status_code == 503
            assert "Telegram" in health.json()["reason"]
            retries = [r for r in caplog.records if "cannot reach Telegram at" in r.getMessage()]
            assert len(retries) >= 2
            assert all(r.exc_info is None for r in retries)
            assert "retrying in 0.05 s" in retries[0].getMessage()
            assert "127.0.0.1" in retries[0].getMessage()

            api.drop_next("getMe", times=0)  # Telegram is back
            api._drops.clear()  # the fake has no public "stop dropping"
            await _up(service)
            assert api.calls_to("getUpdates") or await eventually(
                lambda: bool(api.calls_to("getUpdates"))
            )


async def test_a_refused_token_is_one_line_and_never_shows_the_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeBotAPI(valid_token="999:another-token-entirely") as api:
        settings = _settings(api, tmp_path, [])
        with pytest.raises(CannotStart) as refused:
            await Service(settings, asyncio.Event()).run()
        assert str(refused.value).startswith("Telegram refused TELEGRAM_BOT_TOKEN")
        assert TOKEN not in str(refused.value)
        assert TOKEN.split(":")[1] not in caplog.text


def test_newsbot_run_with_a_refused_token_exits_2_in_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.__main__ import main

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # main installs a redacting one
    with FakeBotAPI(valid_token="999:another-token-entirely") as api:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_API_URL", api.base_url)
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/newsbot.db")
        monkeypatch.setenv("HTTP_LISTEN", "127.0.0.1:0")
        assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("newsbot: Telegram refused TELEGRAM_BOT_TOKEN")
    assert TOKEN.split(":")[1] not in err + caplog.text


async def test_an_unreachable_database_is_a_line_per_retry_and_503(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing listens on port 9 (discard) of loopback: the connection is refused.
    settings = make_settings(
        "http://127.0.0.1:9/bot",
        tmp_path,
        [],
        DATABASE_URL="postgresql://newsbot:pw@127.0.0.1:9/news",
        HTTP_LISTEN="127.0.0.1:0",
    )
    async with serving(settings, leader_retry=0.05) as service, httpx.AsyncClient() as client:
        assert await eventually(
            lambda: (
                service.http.port is not None
                and len([r for r in caplog.records if "cannot reach the database" in r.message])
                >= 2
            )
        )
        answer = await client.get(f"http://127.0.0.1:{service.http.port}/healthz")
        assert answer.status_code == 503
        assert "database unreachable" in answer.json()["reason"]
    retries = [r for r in caplog.records if "cannot reach the database" in r.message]
    assert all(r.exc_info is None and "\n" not in r.message for r in retries)
    assert "retrying in 0.05 s" in retries[0].message
    assert "pw" not in caplog.text.replace("password", "")


async def test_healthz_is_503_when_the_delivery_loop_has_ended(tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        settings = _settings(api, tmp_path, [])
        async with serving(settings) as service, httpx.AsyncClient() as client:
            base = await _up(service)
            assert (await client.get(f"{base}/healthz")).status_code == 200
            delivery = next(t for t in asyncio.all_tasks() if t.get_name() == "delivery")
            delivery.cancel()
            assert await eventually(lambda: delivery.done())
            answer = await client.get(f"{base}/healthz")
            assert answer.status_code == 503
            assert "the delivery loop ended" in answer.json()["reason"]


async def test_a_webhook_address_telegram_refuses_is_one_line(tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        api.fail_next("setWebhook", 400, "Bad Request: bad webhook: Failed to resolve host")
        settings = _settings(api, tmp_path, [], WEBHOOK_URL=HOOK, WEBHOOK_SECRET=SECRET)
        with pytest.raises(CannotStart) as refused:
            await Service(settings, asyncio.Event()).run()
    message = str(refused.value)
    assert message.startswith(f"Telegram refused WEBHOOK_URL {HOOK}: ")
    assert "failed to resolve host" in message.lower()
    assert "\n" not in message
