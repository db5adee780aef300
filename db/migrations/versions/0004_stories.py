"""stories: an alert names every subscription that matched

Revision ID: 0004_stories
Revises: 0003
Create Date: 2026-11-30 07:00:00

One alert per (chat, story) now names all of the chat's subscriptions that matched the story,
not only the first: `alerts.matched_queries` holds them (a JSON list of the query texts,
oldest subscription first); NULL on older rows, which name `query_text` alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_stories"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("alerts", sa.Column("matched_queries", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch_op:
        batch_op.drop_column("matched_queries")
