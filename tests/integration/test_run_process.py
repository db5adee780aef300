"""`newsbot run` as an operator starts it: a process, stopped by SIGTERM; a second one refused."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.fakes import FakeBotAPI
from tests.integration.harness import TOKEN


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _healthy(port: int, process: subprocess.Popen[str]) -> bool:
    for _ in range(600):
        if process.poll() is not None:
            return False
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


def test_sigterm_stops_newsbot_run_and_a_second_one_is_refused(tmp_path: Path) -> None:
    port = _free_port()
    (tmp_path / "feeds.txt").write_text("")
    with FakeBotAPI() as api:
        env = {
            **os.environ,
            "PYTHONPATH": str(Path(__file__).parents[2]),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": api.base_url,
            "DATABASE_URL": f"sqlite:///{tmp_path}/data/newsbot.db",
            "FEEDS_FILE": str(tmp_path / "feeds.txt"),
            "HTTP_LISTEN": f"127.0.0.1:{port}",
        }
        first = _start(env, tmp_path)
        try:
            assert _healthy(port, first), first.communicate(timeout=30)
            second = _start({**env, "HTTP_LISTEN": ""}, tmp_path)
            _, refused = second.communicate(timeout=120)
            assert second.returncode == 2
            assert refused.startswith("newsbot: another newsbot run (pid ")
            assert refused.count("\n") == 1
            first.send_signal(signal.SIGTERM)
            _, log = first.communicate(timeout=60)
        finally:
            first.kill()
    assert first.returncode == 0
    assert "Traceback" not in log
    assert TOKEN.split(":")[1] not in log
