"""The test suite's databases: a SQLite file per test, or a PostgreSQL database per test.

`NEWSBOT_TEST_DATABASE=postgresql` runs the whole suite on PostgreSQL. The server is the one
`NEWSBOT_TEST_POSTGRES_URL` names (`.ci/run` starts one), or a throw-away server this module
starts once per session (`initdb` + `pg_ctl` from `/usr/lib/postgresql/*/bin`, as the `postgres`
user when the suite runs as root). Each test gets a fresh database copied from a migrated
template (`CREATE DATABASE … TEMPLATE`, a few milliseconds), dropped when the test ends.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from db.engine import migrate, run_blocking

BACKEND = os.environ.get("NEWSBOT_TEST_DATABASE", "sqlite").strip().lower() or "sqlite"
if BACKEND not in ("sqlite", "postgresql"):
    raise RuntimeError(f"NEWSBOT_TEST_DATABASE={BACKEND!r}: use sqlite or postgresql")
ON_POSTGRES = BACKEND == "postgresql"
TEMPLATE = f"newsbot_template_{os.getpid()}"
"""Per process: two suites may share one server."""

_names = itertools.count(1)
_server_url: str | None = None
_created: list[str] = []


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def _database_url(name: str) -> str:
    assert _server_url is not None, "the PostgreSQL server is not started"
    return make_url(_server_url).set(database=name).render_as_string(hide_password=False)


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(as_user: list[str], *args: object) -> None:
    quiet = subprocess.DEVNULL
    subprocess.run([*as_user, *map(str, args)], stdout=quiet, stderr=quiet, check=True)


@contextlib.contextmanager
def _own_server() -> Iterator[str]:
    """A throw-away PostgreSQL server on a loopback port, stopped and deleted afterwards."""
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = binaries[-1] if binaries else shutil.which("initdb")
    if initdb is None:
        raise RuntimeError(
            "NEWSBOT_TEST_DATABASE=postgresql needs PostgreSQL's server binaries "
            "(apt-get install postgresql) or NEWSBOT_TEST_POSTGRES_URL"
        )
    bin_dir = Path(initdb).parent
    root = Path(tempfile.mkdtemp(prefix="newsbot-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", _free_port()
    _run(as_user, bin_dir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    _run(as_user, bin_dir / "pg_ctl", "-D", data, "-l", root / "log", "-o", options, "-w", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        _run(as_user, bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def postgres_session() -> Iterator[None]:
    """For the whole session: the server and the migrated template every test copies."""
    global _server_url
    given = os.environ.get("NEWSBOT_TEST_POSTGRES_URL", "")
    with contextlib.ExitStack() as stack:
        _server_url = given or stack.enter_context(_own_server())
        run_blocking(
            _admin(
                _server_url,
                f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)",
                f"CREATE DATABASE {TEMPLATE}",
            )
        )
        migrate(_database_url(TEMPLATE))
        try:
            yield
        finally:
            run_blocking(_admin(_server_url, f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)"))
            _server_url = None


def new_database_url(tmp_path: Path, name: str = "newsbot.db") -> str:
    """A fresh database for one test: a file under tmp_path, or a copy of the template."""
    if not ON_POSTGRES:
        return f"sqlite:///{tmp_path}/db/{name}"
    database = f"newsbot_test_{os.getpid()}_{next(_names)}"
    assert _server_url is not None
    run_blocking(_admin(_server_url, f"CREATE DATABASE {database} TEMPLATE {TEMPLATE}"))
    _created.append(database)
    return _database_url(database)


def drop_test_databases() -> None:
    """Drop the databases the test just used (its open connections are cut)."""
    if _server_url is None or not _created:
        return
    statements = [f"DROP DATABASE IF EXISTS {name} WITH (FORCE)" for name in _created]
    _created.clear()
    run_blocking(_admin(_server_url, *statements))


def _numbered(sql: str) -> str:
    """sqlite3's `?` placeholders as asyncpg's `$1, $2, …`."""
    counter = itertools.count(1)
    return re.sub(r"\?", lambda _match: f"${next(counter)}", sql)


async def _fetch(url: str, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        return [dict(record) for record in await connection.fetch(_numbered(sql), *params)]
    finally:
        await connection.close()


def fetch(database_url: str, sql: str, *params: object) -> list[dict[str, Any]]:
    """Rows read straight from the database, outside the bot (SQLite: read-only, WAL allows it).

    Write SQL both databases accept: `?` placeholders, `true`/`false` for booleans.
    """
    if database_url.startswith("sqlite:///"):
        path = database_url.removeprefix("sqlite:///")
        with contextlib.closing(sqlite3.connect(path, timeout=10)) as connection:
            connection.row_factory = sqlite3.Row
            return [dict(row) for row in connection.execute(sql, params).fetchall()]
    return run_blocking(_fetch(database_url, sql, params))


async def _execute(url: str, sql: str, params: tuple[Any, ...]) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        await connection.execute(_numbered(sql), *params)
    finally:
        await connection.close()


def execute(database_url: str, sql: str, *params: object) -> None:
    """A change written straight into the database, outside the bot (test setup only)."""
    if database_url.startswith("sqlite:///"):
        path = database_url.removeprefix("sqlite:///")
        with contextlib.closing(sqlite3.connect(path, timeout=10)) as connection, connection:
            connection.execute(sql, params)
        return
    run_blocking(_execute(database_url, sql, params))
