"""SQLAlchemy models: chats, subscriptions, feeds, articles and the outbox of alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, whatever the backend keeps."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use aware UTC datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Chat(Base):
    """A Telegram chat that talks to the bot (private chat or group)."""

    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(16), default="private")
    title: Mapped[str | None] = mapped_column(String(256))
    language: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    """False once Telegram said the bot is blocked/kicked; a later /start sets it again."""
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    alert_mode: Mapped[str] = mapped_column(String(16), default="instant")
    digest_hour: Mapped[int | None] = mapped_column(Integer)
    quiet_start: Mapped[int | None] = mapped_column(Integer)
    """Quiet hours start, minutes after local midnight (None: no quiet hours)."""
    quiet_end: Mapped[int | None] = mapped_column(Integer)
    article_languages: Mapped[str | None] = mapped_column(String(64))
    """Comma-separated language codes to receive; None: every language."""
    pictures: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    """Alerts show the article's picture (photo or large link preview); False: text only."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Subscription(Base):
    """A reader's query: the text as typed and its parsed form."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("chat_id", "query_text"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    query_text: Mapped[str] = mapped_column(String(256))
    query_json: Mapped[str] = mapped_column(Text)
    muted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    message_thread_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """The forum topic its alerts go to; None: the chat itself (a forum's General topic)."""
    scope_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    """`feeds.scope.Scope.to_json`: the feeds and languages it alerts on; None: all."""
    silent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Its alerts arrive without a sound (`disable_notification`)."""


class Feed(Base):
    """A feed to poll, with its HTTP validators and health."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str | None] = mapped_column(String(512))
    origin: Mapped[str] = mapped_column(String(8), default="file")
    """`file` (FEEDS_FILE, trusted) or `chat` (added by an admin, address-guarded)."""
    trusted: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str | None] = mapped_column(String(8))
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(128))
    interval_seconds: Mapped[float | None] = mapped_column()
    """The feed's own interval when it asked for a longer one (TTL, max-age, Retry-After)."""
    backlog_done: Mapped[bool] = mapped_column(Boolean, default=False)
    """Set by the first successful poll, which stores the backlog without alerting it."""
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_kind: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    gone_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Article(Base):
    """A stored news item; `story_id` groups the same story across feeds."""

    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("feed_id", "guid"),
        Index("ix_articles_published", "published_at"),
        Index("ix_articles_canonical_link", "canonical_link"),
        Index("ix_articles_title_key", "title_key"),
        Index("ix_articles_feed_link", "feed_id", "link"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    story_id: Mapped[int | None] = mapped_column(Integer)
    guid: Mapped[str] = mapped_column(String(2048))
    link: Mapped[str] = mapped_column(String(2048))
    canonical_link: Mapped[str] = mapped_column(String(2048))
    title: Mapped[str] = mapped_column(Text)
    title_key: Mapped[str] = mapped_column(String(512))
    teaser: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    image: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    """The item's picture (`feeds.models.Article.image`); None: it has none."""
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """Publication time; the fetch time when the feed gives none."""
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Alert(Base):
    """The outbox: one row per (chat, story) to deliver; survives crashes."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("chat_id", "story_id"),
        Index("ix_alerts_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="CASCADE", onupdate="CASCADE"), index=True
    )
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    story_id: Mapped[int] = mapped_column(Integer)
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="SET NULL")
    )
    query_text: Mapped[str] = mapped_column(String(256))
    """The subscription as typed when it matched (kept if the subscription is removed)."""
    matched_queries: Mapped[str | None] = mapped_column(Text)
    """Every subscription of the chat that matched, as a JSON list of query texts (oldest
    first); None: `query_text` alone."""
    outlets: Mapped[str | None] = mapped_column(Text)
    """Other outlets that reported the story later, a JSON list of [source, link]."""
    edit_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    """When the sent message is to be edited (outlets or subscriptions were added); None:
    no edit pending."""
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    """queued → sent; or held (paused/quiet), parked (kept failing), dropped (chat gone)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
