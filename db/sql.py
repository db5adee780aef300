"""SQL helpers every storage module shares: dialect-aware inserts and chunked IN lists."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


def dialect_insert(session: AsyncSession, model: Any) -> Any:
    """An INSERT for the session's dialect that can say ON CONFLICT DO NOTHING."""
    if session.bind.dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def count(session: AsyncSession, query: Any) -> int:
    """The integer a COUNT query returns (0 for NULL)."""
    return int(await session.scalar(query) or 0)


def rowcount(result: Any) -> int:
    """Rows an UPDATE or DELETE touched."""
    return int(result.rowcount or 0)
