"""One active instance per PostgreSQL database; a standby takes over when it dies.

Needs a PostgreSQL server: set NEWSBOT_TEST_PG_DSN (e.g. postgresql://postgres@127.0.0.1:5432/
postgres); without it these tests are skipped.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from bot.leader import AdvisoryLeader, LeadershipLost, leader_engine
from tests.integration.harness import eventually, make_settings
from tests.integration.test_service import serving

DSN = os.environ.get("NEWSBOT_TEST_PG_DSN", "")
pytestmark = pytest.mark.skipif(not DSN, reason="set NEWSBOT_TEST_PG_DSN to a PostgreSQL server")

HOLDER = """
import asyncio, sys
from bot.leader import AdvisoryLeader, leader_engine

async def main():
    leader = AdvisoryLeader(leader_engine(sys.argv[1]), key=int(sys.argv[2]))
    assert await leader.try_acquire()
    print("held", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


@pytest.fixture
def key() -> int:
    """A lock key of this test's own, so that tests (and a real bot) do not meet."""
    return random.randrange(1, 2**62)


@pytest.fixture
async def leaders(key: int) -> AsyncIterator[list[AdvisoryLeader]]:
    made: list[AdvisoryLeader] = []
    yield made
    for leader in made:
        await leader.release()
        await leader.engine.dispose()


def _leader(
    leaders: list[AdvisoryLeader], key: int, *, retry_every: float = 5.0, check_every: float = 5.0
) -> AdvisoryLeader:
    leader = AdvisoryLeader(
        leader_engine(DSN), key=key, retry_every=retry_every, check_every=check_every
    )
    leaders.append(leader)
    return leader


async def test_only_one_process_is_active_at_a_time(
    leaders: list[AdvisoryLeader], key: int
) -> None:
    first, second = _leader(leaders, key), _leader(leaders, key)
    assert await first.try_acquire()
    assert not await second.try_acquire()
    await first.release()
    assert await second.try_acquire()
    assert not await first.try_acquire()


async def test_a_standby_takes_over_after_kill_9(
    leaders: list[AdvisoryLeader], key: int, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, DSN, str(key)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert holder.stdout is not None
        assert await asyncio.to_thread(holder.stdout.readline) == "held\n"
        standby = _leader(leaders, key, retry_every=0.5)
        assert not await standby.try_acquire()
        waiting = asyncio.create_task(standby.wait())
        await asyncio.sleep(1.0)
        assert not waiting.done()
        killed = time.monotonic()
        holder.send_signal(signal.SIGKILL)
        await asyncio.wait_for(waiting, 60)  # the contract: within 60 s
        with capsys.disabled():
            took = time.monotonic() - killed
            print(f"\ntakeover after kill -9: {took:.2f} s (retry every 0.5 s)")
        assert standby.is_leader
    finally:
        holder.kill()
        holder.wait()


async def test_the_active_process_notices_a_lost_lock_connection(
    leaders: list[AdvisoryLeader], key: int
) -> None:
    active = _leader(leaders, key, check_every=0.2)
    assert await active.try_acquire()
    engine = leader_engine(DSN)
    try:
        async with engine.connect() as admin:
            await admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND granted "
                    "AND (classid::bigint << 32) + objid::bigint = :key"
                ),
                {"key": key},
            )
            await admin.commit()
    finally:
        await engine.dispose()
    with pytest.raises(LeadershipLost):
        await asyncio.wait_for(active.hold(), 30)
    assert not active.is_leader


async def test_a_standby_instance_reports_itself_healthy_as_standby(
    leaders: list[AdvisoryLeader], tmp_path: Path
) -> None:
    from bot.leader import LEADER_KEY

    active = _leader(leaders, LEADER_KEY)
    if not await active.try_acquire():
        pytest.skip("another newsbot holds the leader lock on this server")
    settings = make_settings(
        "http://127.0.0.1:9/bot", tmp_path, [], DATABASE_URL=DSN, HTTP_LISTEN="127.0.0.1:0"
    )
    async with serving(settings, leader_retry=0.2) as service, httpx.AsyncClient() as client:
        assert await eventually(
            lambda: service.http.port is not None and service.health.role == "standby"
        )
        base = f"http://127.0.0.1:{service.http.port}"
        answer = await client.get(f"{base}/healthz")
        assert answer.status_code == 200
        assert answer.json()["role"] == "standby"
        metrics = (await client.get(f"{base}/metrics")).text
        assert "newsbot_active 0.0" in metrics


async def test_the_server_drops_a_vanished_leader_within_half_a_minute() -> None:
    engine = leader_engine(DSN)
    try:
        async with engine.connect() as connection:
            idle = await connection.scalar(text("SHOW tcp_keepalives_idle"))
            interval = await connection.scalar(text("SHOW tcp_keepalives_interval"))
            count = await connection.scalar(text("SHOW tcp_keepalives_count"))
    finally:
        await engine.dispose()
    assert (idle, interval, count) == ("10", "5", "3")  # seconds, seconds, probes
