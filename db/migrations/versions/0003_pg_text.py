"""PostgreSQL: length-limited text columns become TEXT

Revision ID: 0003_pg_text
Revises: 0002
Create Date: 2026-11-30 06:30:00

SQLite never enforces a VARCHAR length; PostgreSQL does, so one feed's over-long link or
title would fail the transaction that stores fifty feeds' articles. Both databases now keep
whatever the code hands them (the code bounds what needs bounding: guids, headline keys).
Nothing changes on SQLite.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_pg_text"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    columns = bind.execute(
        sa.text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = 'character varying' "
            "AND table_name <> 'alembic_version' ORDER BY table_name, column_name"
        )
    ).all()
    for table, column in columns:
        op.alter_column(table, column, type_=sa.Text())


def downgrade() -> None:
    """Nothing to undo that matters: the lengths were never a rule of the data."""
