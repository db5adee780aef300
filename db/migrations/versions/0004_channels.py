"""channels, forum topics, scopes: where a subscription delivers and what it alerts on

Revision ID: 0004_channels
Revises: 0003
Create Date: 2026-11-30 06:45:00

A subscription made inside a forum topic delivers into it: `message_thread_id` (NULL: the
chat itself, or a forum's General topic). A scoped subscription (`source:NAME`, `lang:xx`)
keeps its scope as JSON in `scope_json` (NULL: every feed and language). Issue 14.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_channels"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("message_thread_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("scope_json", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("scope_json")
        batch.drop_column("message_thread_id")
