"""What the service says about a fault it rides out: one line, and which errors mean the
database cannot be reached (start-up, the leader lock and the delivery loop alike)."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

DATABASE_UNREACHABLE = (OperationalError, DBAPIError, OSError)
"""What a database that cannot be reached raises (SQLite and PostgreSQL drivers alike)."""


def one_line(error: BaseException) -> str:
    """An error as one log line: whitespace collapsed, at most 300 characters."""
    return (" ".join(str(error).split()) or type(error).__name__)[:300]
