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
