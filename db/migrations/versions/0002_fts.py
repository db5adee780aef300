"""full-text search: search_docs, the search_fts FTS5 index with its triggers, search_queries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 12:00:00

The index is FTS5 on SQLite and a generated `tsvector` column with a GIN index on PostgreSQL
(see db.search and db.search_pg); `search_queries` (the texts behind /search paging buttons)
is the same on both. The index is filled for the articles already stored.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL_CHUNK = 2000

# External content: FTS5 stores only the index; the text is read from search_docs. Its delete
# and update triggers must hand FTS5 the old values, or the index silently rots.
FTS_SCHEMA = [
    """
    CREATE TABLE search_docs (
        id INTEGER PRIMARY KEY,
        sort_at INTEGER NOT NULL,
        title_norm TEXT NOT NULL,
        teaser_norm TEXT NOT NULL,
        meta TEXT NOT NULL
    )
    """,
    "CREATE INDEX ix_search_docs_sort_at ON search_docs (sort_at)",
    """
    CREATE VIRTUAL TABLE search_fts USING fts5(
        title_norm, teaser_norm, meta,
        content='search_docs', content_rowid='id',
        tokenize='unicode61 remove_diacritics 0'
    )
    """,
    """
    CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
        INSERT INTO search_fts (rowid, title_norm, teaser_norm, meta)
        VALUES (new.id, new.title_norm, new.teaser_norm, new.meta);
    END
    """,
    """
    CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
        INSERT INTO search_fts (search_fts, rowid, title_norm, teaser_norm, meta)
        VALUES ('delete', old.id, old.title_norm, old.teaser_norm, old.meta);
    END
    """,
    """
    CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN
        INSERT INTO search_fts (search_fts, rowid, title_norm, teaser_norm, meta)
        VALUES ('delete', old.id, old.title_norm, old.teaser_norm, old.meta);
        INSERT INTO search_fts (rowid, title_norm, teaser_norm, meta)
        VALUES (new.id, new.title_norm, new.teaser_norm, new.meta);
    END
    """,
    # Deleting an article (retention, feed removal) takes its index row along; a trigger rather
    # than a foreign key, so it holds even on a connection without PRAGMA foreign_keys.
    """
    CREATE TRIGGER articles_search_ad AFTER DELETE ON articles BEGIN
        DELETE FROM search_docs WHERE id = old.id;
    END
    """,
]

# PostgreSQL keeps the same search_docs rows (written by the same Python code) and derives the
# searchable vector from them: the text is normalized already, so the `simple` configuration
# only splits it at the spaces, never stems it again. Weights mark the columns as FTS5's column
# filters do: A headline, B teaser, D filter tokens. The foreign key (always enforced there)
# takes an article's index row along when retention or feed removal deletes the article.
POSTGRES_SCHEMA = [
    """
    CREATE TABLE search_docs (
        id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
        sort_at BIGINT NOT NULL,
        title_norm TEXT NOT NULL,
        teaser_norm TEXT NOT NULL,
        meta TEXT NOT NULL,
        doc TSVECTOR GENERATED ALWAYS AS (
            setweight(to_tsvector('simple', title_norm), 'A')
            || setweight(to_tsvector('simple', teaser_norm), 'B')
            || setweight(to_tsvector('simple', meta), 'D')
        ) STORED
    )
    """,
    "CREATE INDEX ix_search_docs_sort_at ON search_docs (sort_at, id)",
    "CREATE INDEX ix_search_docs_doc ON search_docs USING GIN (doc)",
]


def _postgres_text_columns(bind: sa.engine.Connection) -> None:
    """PostgreSQL: the length-limited text columns of 0001 become TEXT.

    SQLite never enforces a VARCHAR length; PostgreSQL does, so one feed's over-long link or
    title would fail the transaction that stores fifty feeds' articles. Both databases now keep
    whatever the code hands them (the code bounds what needs bounding: guids, headline keys).
    Done here, in the first revision with a PostgreSQL branch: no PostgreSQL database predates
    it.
    """
    columns = bind.execute(
        sa.text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = 'character varying' "
            "AND table_name <> 'alembic_version' ORDER BY table_name, column_name"
        )
    ).all()
    for table, column in columns:
        op.alter_column(table, column, type_=sa.Text())


def upgrade() -> None:
    op.create_table(
        "search_queries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_queries")),
        sa.UniqueConstraint("text", name=op.f("uq_search_queries_text")),
    )
    op.create_index("ix_search_queries_used_at", "search_queries", ["used_at"])
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        _postgres_text_columns(bind)
    schema = FTS_SCHEMA if bind.dialect.name == "sqlite" else POSTGRES_SCHEMA
    for statement in schema:
        op.execute(statement)
    _backfill(bind)


def _backfill(bind: sa.engine.Connection) -> None:
    """Index the articles stored before this revision, a chunk at a time."""
    from db.search import document

    articles = sa.table(
        "articles",
        sa.column("id", sa.Integer()),
        sa.column("feed_id", sa.Integer()),
        sa.column("title", sa.Text()),
        sa.column("teaser", sa.Text()),
        sa.column("language", sa.String()),
        sa.column("published_at", db.models.UTCDateTime()),
        sa.column("fetched_at", db.models.UTCDateTime()),
    )
    insert = sa.text(
        "INSERT INTO search_docs (id, sort_at, title_norm, teaser_norm, meta) "
        "VALUES (:id, :sort_at, :title_norm, :teaser_norm, :meta)"
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(
                articles.c.id,
                articles.c.feed_id,
                articles.c.title,
                articles.c.teaser,
                articles.c.language,
                articles.c.published_at,
                articles.c.fetched_at,
            )
            .where(articles.c.id > last)
            .order_by(articles.c.id)
            .limit(BACKFILL_CHUNK)
        ).all()
        if not rows:
            return
        documents = [document(*row) for row in rows]
        bind.execute(
            insert,
            [
                {"id": d[0], "sort_at": d[1], "title_norm": d[2], "teaser_norm": d[3], "meta": d[4]}
                for d in documents
            ],
        )
        last = rows[-1][0]


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS articles_search_ad")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.execute("DROP TABLE IF EXISTS search_docs")
    op.drop_index("ix_search_queries_used_at", table_name="search_queries")
    op.drop_table("search_queries")
