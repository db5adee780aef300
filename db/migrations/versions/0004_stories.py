"""stories: an alert names every subscription that matched and the outlets that joined later

Revision ID: 0004_stories
Revises: 0003
Create Date: 2026-11-30 07:00:00

One alert per (chat, story) now names all of the chat's subscriptions that matched the story,
not only the first (`alerts.matched_queries`, a JSON list of query texts, oldest subscription
first; NULL on older rows, which name `query_text` alone), and the outlets that reported the
story after it (`alerts.outlets`, a JSON list of [source, link]). When either grows after the
alert was sent, `edit_due_at` says when the message is to be edited; `edited_at` paces edits.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models

revision: str = "0004_stories"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("alerts", sa.Column("matched_queries", sa.Text(), nullable=True))
    op.add_column("alerts", sa.Column("outlets", sa.Text(), nullable=True))
    op.add_column("alerts", sa.Column("edit_due_at", db.models.UTCDateTime(), nullable=True))
    op.add_column("alerts", sa.Column("edited_at", db.models.UTCDateTime(), nullable=True))
    op.create_index("ix_alerts_edit_due_at", "alerts", ["edit_due_at"])


def downgrade() -> None:
    op.drop_index("ix_alerts_edit_due_at", table_name="alerts")
    with op.batch_alter_table("alerts") as batch_op:
        for column in ("edited_at", "edit_due_at", "outlets", "matched_queries"):
            batch_op.drop_column(column)
