"""`newsbot db copy SRC DST`: move a database (SQLite → PostgreSQL) table by table.

Both schemas are migrated first, then each table is copied in key order, a batch per
transaction, resuming after the highest id the target already holds (and skipping any id it
has: `ON CONFLICT DO NOTHING`), so a run cut short is finished by running it again and a second
run copies nothing. The search index is not copied but rebuilt on the target from its articles
(the normalization is ours, the index structures are the database's). PostgreSQL's id sequences
are moved past the copied ids, so the bot's next insert does not collide, and its planner
statistics are refreshed. Counts are compared
at the end: every source row must be in the target.

The target is meant to be a new database, or one a previous copy filled: rows the bot wrote
there itself could take ids or feed URLs the source uses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Integer, MetaData, Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from db import search
from db.engine import backend_of, make_engine, make_sessionmaker, migrate
from db.models import Alert, Article, Base, Chat, Feed, Subscription
from db.sql import count, dialect_insert, rowcount
from db.unit import Database

__all__ = ["BATCH", "TableCount", "copy_database"]

BATCH = 1000

# Parents before children, so every foreign key finds its row; then the tables only the
# migrations know (the stored search texts), read from the source's schema.
MODEL_TABLES: tuple[Table, ...] = (
    Base.metadata.tables[Chat.__tablename__],
    Base.metadata.tables[Feed.__tablename__],
    Base.metadata.tables[Subscription.__tablename__],
    Base.metadata.tables[Article.__tablename__],
    Base.metadata.tables[Alert.__tablename__],
)
MIGRATION_TABLES = ("search_queries",)


@dataclass(frozen=True, slots=True)
class TableCount:
    """One table after the copy: rows copied by this run, rows in the source and the target."""

    table: str
    copied: int
    source: int
    target: int

    @property
    def complete(self) -> bool:
        return self.target >= self.source


Progress = Callable[[str, int], None]
"""Called after each committed batch with the table name and the rows it copied."""


def _ignore(_table: str, _rows: int) -> None:
    pass


def _key(table: Table) -> Column[Any]:
    (key,) = table.primary_key.columns
    return key


def _numbered(table: Table) -> bool:
    """Whether the table's key is an integer: ordered alike on both databases."""
    return isinstance(_key(table).type, Integer)


async def _highest_key(db: Database, table: Table) -> Any:
    async with db.read() as session:
        return await session.scalar(select(func.max(_key(table))))


async def _copy_table(
    source: Database, target: Database, table: Table, *, batch: int, progress: Progress
) -> int:
    """Rows of one table in key order; an integer key resumes after the target's highest.

    A text key (a token) is read whole every run: the two databases may sort text differently,
    so "after the highest" could skip rows; ON CONFLICT DO NOTHING keeps the rerun harmless.
    """
    key = _key(table)
    after = await _highest_key(target, table) if _numbered(table) else None
    copied = 0
    while True:
        query = select(table).order_by(key).limit(batch)
        if after is not None:
            query = query.where(key > after)
        async with source.read() as session:
            rows = [dict(row._mapping) for row in await session.execute(query)]
        if not rows:
            return copied
        async with target.write() as session:
            statement = dialect_insert(session, table).on_conflict_do_nothing()
            inserted = await session.execute(statement, rows)
        after = rows[-1][key.name]
        added = len(rows) if _numbered(table) else rowcount(inserted)
        copied += added
        progress(table.name, added)


async def _rebuild_search(target: Database, *, batch: int, progress: Progress) -> int:
    """Index the target's articles that have no index row yet, in id order."""
    articles = Base.metadata.tables[Article.__tablename__]
    docs = text("SELECT id FROM search_docs WHERE id >= :low AND id <= :high")
    after = 0
    indexed = 0
    while True:
        async with target.read() as session:
            rows = (
                await session.execute(
                    select(
                        articles.c.id,
                        articles.c.feed_id,
                        articles.c.title,
                        articles.c.teaser,
                        articles.c.language,
                        articles.c.published_at,
                        articles.c.fetched_at,
                    )
                    .where(articles.c.id > after)
                    .order_by(articles.c.id)
                    .limit(batch)
                )
            ).all()
            if not rows:
                return indexed
            bounds = {"low": rows[0][0], "high": rows[-1][0]}
            have = {int(row[0]) for row in await session.execute(docs, bounds)}
        missing = [search.document(*row) for row in rows if int(row[0]) not in have]
        if missing:
            async with target.write() as session:
                await search.index_articles(session, missing)
            indexed += len(missing)
            progress("search_docs", len(missing))
        after = rows[-1][0]


async def _after_bulk_load(target: Database, tables: Sequence[Table]) -> None:
    """PostgreSQL: sequences past the copied ids, and fresh planner statistics.

    Without statistics the planner guesses that a rare word matches often and walks the
    newest-first index through every row instead of asking the GIN index (100 ms, not 1 ms).
    """
    async with target.write() as session:
        for table in tables:
            if not _numbered(table):
                continue
            # Names come from the schema, never from input; a key without a sequence (chat
            # ids are Telegram's) is skipped.
            name, column = table.name, _key(table).name
            sequence = await session.scalar(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": name, "column": column},
            )
            if sequence is not None:
                await session.execute(
                    text(
                        f"SELECT setval(:sequence, coalesce(max({column}), 1), "  # noqa: S608
                        f"max({column}) IS NOT NULL) FROM {name}"
                    ),
                    {"sequence": sequence},
                )
        await session.execute(text("ANALYZE"))


async def _counts(db: Database, tables: Sequence[Table]) -> dict[str, int]:
    async with db.read() as session:
        return {
            table.name: await count(session, select(func.count()).select_from(table))
            for table in tables
        }


async def _tables(engine: AsyncEngine) -> tuple[Table, ...]:
    """The models' tables, then the migration-only ones as the (migrated) source has them."""
    reflected = MetaData()
    async with engine.connect() as connection:
        await connection.run_sync(reflected.reflect, only=list(MIGRATION_TABLES))
    return (*MODEL_TABLES, *(reflected.tables[name] for name in MIGRATION_TABLES))


async def copy_database(
    source_url: str,
    target_url: str,
    *,
    batch: int = BATCH,
    progress: Progress = _ignore,
) -> Sequence[TableCount]:
    """Copy every row of SOURCE into TARGET (both migrated first); the counts per table."""
    for url in (source_url, target_url):
        migrate(url)
    source_engine, target_engine = make_engine(source_url), make_engine(target_url)
    try:
        tables = await _tables(source_engine)
        source = Database(make_sessionmaker(source_engine))
        target = Database(make_sessionmaker(target_engine))
        copied = {
            table.name: await _copy_table(source, target, table, batch=batch, progress=progress)
            for table in tables
        }
        await _rebuild_search(target, batch=batch, progress=progress)
        if backend_of(target_url) == "postgresql":
            await _after_bulk_load(target, tables)
        in_source, in_target = await _counts(source, tables), await _counts(target, tables)
    finally:
        await source_engine.dispose()
        await target_engine.dispose()
    return [
        TableCount(table.name, copied[table.name], in_source[table.name], in_target[table.name])
        for table in tables
    ]
