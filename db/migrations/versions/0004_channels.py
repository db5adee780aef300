"""channels, topics, scopes, pictures: where a subscription delivers, what it alerts on, how

Revision ID: 0004_channels
Revises: 0003
Create Date: 2026-11-30 06:45:00

A subscription made inside a forum topic delivers into it: `message_thread_id` (NULL: the
chat itself, or a forum's General topic). A scoped subscription (`source:NAME`, `lang:xx`)
keeps its scope as JSON in `scope_json` (NULL: every feed and language). An article keeps its
picture's URL (`image`); a silent subscription alerts without a sound (`silent`); a chat says whether it wants pictures (`pictures`, on by default).
Issue 14.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_channels"
down_revision: str | None = "0004_stories"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("message_thread_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("scope_json", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("silent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("image", sa.String(2048), nullable=True))
    with op.batch_alter_table("chats") as batch:
        batch.add_column(
            sa.Column("pictures", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("pictures")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("image")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("silent")
        batch.drop_column("scope_json")
        batch.drop_column("message_thread_id")
