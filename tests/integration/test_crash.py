"""`kill -9` of `newsbot run` in the middle of a burst loses no alert; SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from bench.fakes import FakeBotAPI
from bot.settings import Settings
from tests.integration.harness import TOKEN, db_count, make_settings
from tests.integration.seed import seed_outbox

ROOT = Path(__file__).parents[2]


def _start(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": settings.TELEGRAM_API_URL,
        "DATABASE_URL": settings.DATABASE_URL,
        "FEEDS_FILE": str(settings.FEEDS_FILE),
        "POLL_INTERVAL": "1",
        "LOG_LEVEL": "INFO",
        "HTTP_LISTEN": "127.0.0.1:0",  # any free port: the default 8080 may be taken here
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=out, stderr=out
        )


def _wait(predicate: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return bool(predicate())  # type: ignore[operator]


def test_kill_9_mid_burst_then_restart_delivers_every_alert(tmp_path: Path) -> None:
    chats = {20_000 + i: 1 for i in range(80)}
    with FakeBotAPI(latency=0.05) as api:
        settings = make_settings(api.base_url, tmp_path, [])
        import asyncio

        asyncio.run(seed_outbox(settings.DATABASE_URL, chats))
        log = tmp_path / "bot.log"
        first = _start(settings, log)
        try:
            assert _wait(lambda: len(api.sent_messages()) >= 20, 60), log.read_text()
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        delivered_before = len(api.sent_messages())
        assert delivered_before < len(chats), "the kill came too late to test anything"

        second = _start(settings, log)
        try:
            sent = "SELECT count(*) FROM alerts WHERE status = 'sent'"
            assert _wait(lambda: db_count(settings, sent) == len(chats), 60), log.read_text()
        finally:
            second.send_signal(signal.SIGTERM)
            # Graceful: the process ends on its own soon after SIGTERM.
            assert second.wait(20) == 0, log.read_text()

    per_chat = Counter(m["chat"]["id"] for m in api.sent_messages())
    assert set(per_chat) == set(chats)
    duplicates = sum(n - 1 for n in per_chat.values())
    assert duplicates <= 32  # at most the messages in flight at the moment of the kill


def test_sigterm_during_a_poll_of_a_hanging_feed_stops_within_seconds(tmp_path: Path) -> None:
    from bench.fakes import FeedServer, rss

    with FakeBotAPI() as api, FeedServer() as feeds:
        url = feeds.set_feed("/slow.xml", rss([{"title": "Langsam", "guid": "1"}]), delay=30)
        settings = make_settings(api.base_url, tmp_path, [url])
        log = tmp_path / "bot.log"
        bot = _start(settings, log)
        try:
            assert _wait(lambda: feeds.count("/slow.xml") >= 1, 60), log.read_text()
        finally:
            bot.send_signal(signal.SIGTERM)
        # The feed would answer in 30 s and the fetch may wait 60; the bot does not.
        assert bot.wait(15) == 0, log.read_text()


def _stored(settings: Settings) -> int:
    try:
        return db_count(settings, "SELECT count(*) FROM articles")
    except sqlite3.Error:  # not created or migrated yet
        return 0


def test_parser_processes_do_not_outlive_a_killed_bot(tmp_path: Path) -> None:
    from bench.fakes import FeedServer, rss

    with FakeBotAPI() as api, FeedServer() as feeds:
        url = feeds.set_feed("/f.xml", rss([{"title": "Eins", "guid": "1"}]))
        settings = make_settings(api.base_url, tmp_path, [url])
        log = tmp_path / "bot.log"
        bot = _start(settings, log)
        try:
            assert _wait(lambda: _stored(settings) == 1, 60), log.read_text()
            children = subprocess.run(
                ["pgrep", "-P", str(bot.pid)], capture_output=True, text=True, check=False
            ).stdout.split()
            assert children, "the feed was parsed in a worker process"
        finally:
            bot.send_signal(signal.SIGKILL)
            bot.wait(10)
        assert _wait(lambda: not any(Path(f"/proc/{pid}").exists() for pid in children), 15)


@pytest.mark.postgres_only("several instances share one database only on PostgreSQL")
def test_two_instances_a_standby_takes_over_after_kill_9_of_the_active_one(
    tmp_path: Path,
) -> None:
    """Two `newsbot run` on one PostgreSQL database: the second stands by while the first
    delivers; after `kill -9` of the first it takes over within the contract's 60 s and
    delivers the rest. What arrives twice is at most what was in flight at the kill."""
    chats = {30_000 + i: 1 for i in range(150)}
    with FakeBotAPI(latency=0.05) as api:
        # The free rate (28/s) spreads 150 alerts over five seconds: the kill lands mid-burst.
        settings = make_settings(api.base_url, tmp_path, [])
        import asyncio

        asyncio.run(seed_outbox(settings.DATABASE_URL, chats))
        first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
        first = _start(settings, first_log)
        second: subprocess.Popen[bytes] | None = None
        try:
            assert _wait(lambda: len(api.sent_messages()) >= 10, 60), first_log.read_text()
            second = _start(settings, second_log)
            assert _wait(lambda: "standing by" in second_log.read_text(), 60), (
                second_log.read_text()
            )
            assert "now the active one" not in second_log.read_text()
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            killed = time.monotonic()
            time.sleep(0.5)  # the requests the first one had sent are answered meanwhile
            sent_at_kill = len(api.sent_messages())
            assert sent_at_kill < len(chats), "the kill came too late to test anything"
            assert _wait(lambda: "now the active one" in second_log.read_text(), 60), (
                second_log.read_text()
            )
            assert _wait(lambda: len(api.sent_messages()) > sent_at_kill, 60), (
                second_log.read_text()
            )
            took = time.monotonic() - killed
            sent = "SELECT count(*) FROM alerts WHERE status = 'sent'"
            assert _wait(lambda: db_count(settings, sent) == len(chats), 60), second_log.read_text()
        finally:
            first.kill()
            first.wait(10)
            if second is not None:
                second.send_signal(signal.SIGTERM)
                assert second.wait(20) == 0, second_log.read_text()
    per_chat = Counter(m["chat"]["id"] for m in api.sent_messages())
    twice = sum(n - 1 for n in per_chat.values())
    print(f"\ntakeover after kill -9 of the active newsbot run: {took:.1f} s; {twice} sent twice")
    assert took < 60
    assert set(per_chat) == set(chats)
    assert twice <= 32  # at most those in flight at the kill
