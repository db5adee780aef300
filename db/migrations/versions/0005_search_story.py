"""search by story: an index on articles (story_id, feed_id)

Revision ID: 0005_search_story
Revises: 0004_channels
Create Date: 2026-11-30 08:40:00

/search shows a story once with the number of other outlets that carried it ("+3 outlets"):
counting a page's stories' outlets reads each story's articles by `story_id`, which without
this index is a scan of every stored article per page. The feed id in the index lets the
count read the index alone (no article row). Issue 13, item 4.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_search_story"
down_revision: str | None = "0004_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_articles_story_feed", "articles", ["story_id", "feed_id"])


def downgrade() -> None:
    op.drop_index("ix_articles_story_feed", table_name="articles")
