"""search paging per chat: search_queries keyed by a random token and the chat that searched

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 06:00:00

The paging buttons of /search carried a global, sequential id: anyone could page through
another chat's search by forging `s:1:0`. Now a stored search belongs to one chat and is named
by an unguessable token. Old buttons only ever held ids, so the old rows are of no use: the
table is recreated (an old button answers "This search has expired").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_search_queries_used_at", table_name="search_queries")
    op.drop_table("search_queries")
    op.create_table(
        "search_queries",
        sa.Column("token", sa.String(32), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("used_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_search_queries")),
        sa.UniqueConstraint("chat_id", "text", name=op.f("uq_search_queries_chat_id_text")),
    )
    op.create_index("ix_search_queries_used_at", "search_queries", ["used_at"])


def downgrade() -> None:
    op.drop_index("ix_search_queries_used_at", table_name="search_queries")
    op.drop_table("search_queries")
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
