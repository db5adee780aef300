"""What /stats counts: chats, subscriptions, feed health, articles and alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Alert, Article, Chat, Feed, Subscription
from db.sql import count


@dataclass(frozen=True, slots=True)
class FeedProblem:
    """A failing feed, for the operator's list of worst offenders."""

    url: str
    title: str | None
    consecutive_failures: int
    last_error_kind: str | None
    last_error: str | None
    last_success_at: datetime | None


@dataclass(frozen=True, slots=True)
class BotStats:
    """What /stats shows."""

    chats_active: int
    chats_paused: int
    chats_blocked: int
    subscriptions: int
    feeds_healthy: int
    feeds_failing: int
    feeds_waiting: int
    """Active feeds not polled successfully yet and without a failure."""
    feeds_off: int
    worst_feeds: list[FeedProblem]
    articles_today: int
    articles_total: int
    alerts_sent: int
    alerts_queued: int
    alerts_parked: int
    alerts_failed: int


async def collect_stats(
    session: AsyncSession, *, now: datetime, day_start: datetime, worst: int = 5
) -> BotStats:
    """Counts for /stats: alerts over the 24 h before `now`, articles since `day_start`."""
    since = now - timedelta(hours=24)
    chats = select(func.count()).select_from(Chat)
    feeds = select(func.count()).select_from(Feed).where(Feed.active.is_(True))
    alerts = select(func.count()).select_from(Alert)
    problems = await session.scalars(
        select(Feed)
        .where(Feed.active.is_(True), Feed.consecutive_failures > 0)
        .order_by(Feed.consecutive_failures.desc(), Feed.id)
        .limit(worst)
    )
    return BotStats(
        chats_active=await count(
            session, chats.where(Chat.active.is_(True), Chat.paused.is_(False))
        ),
        chats_paused=await count(
            session, chats.where(Chat.active.is_(True), Chat.paused.is_(True))
        ),
        chats_blocked=await count(session, chats.where(Chat.active.is_(False))),
        subscriptions=await count(session, select(func.count()).select_from(Subscription)),
        feeds_healthy=await count(
            session, feeds.where(Feed.consecutive_failures == 0, Feed.last_success_at.is_not(None))
        ),
        feeds_failing=await count(session, feeds.where(Feed.consecutive_failures > 0)),
        feeds_waiting=await count(
            session, feeds.where(Feed.consecutive_failures == 0, Feed.last_success_at.is_(None))
        ),
        feeds_off=await count(
            session, select(func.count()).select_from(Feed).where(Feed.active.is_(False))
        ),
        worst_feeds=[
            FeedProblem(
                f.url,
                f.title,
                f.consecutive_failures,
                f.last_error_kind,
                f.last_error,
                f.last_success_at,
            )
            for f in problems
        ],
        articles_today=await count(
            session,
            select(func.count()).select_from(Article).where(Article.fetched_at >= day_start),
        ),
        articles_total=await count(session, select(func.count()).select_from(Article)),
        alerts_sent=await count(session, alerts.where(Alert.sent_at >= since)),
        alerts_queued=await count(
            session, alerts.where(Alert.status.in_(("queued", "held")), Alert.created_at >= since)
        ),
        alerts_parked=await count(
            session, alerts.where(Alert.status == "parked", Alert.created_at >= since)
        ),
        alerts_failed=await count(
            session, alerts.where(Alert.status == "failed", Alert.created_at >= since)
        ),
    )


@dataclass(frozen=True, slots=True)
class OutboxNumbers:
    """The outbox at one moment, for /metrics."""

    by_status: dict[str, int]
    due: int
    """Queued alerts whose time has come."""
    oldest_due_age: float
    """Seconds since the oldest due alert became due; 0 when none is due."""


async def outbox_numbers(session: AsyncSession, *, now: datetime) -> OutboxNumbers:
    """Alerts by status, and how many (and since when) are due now; one pass over the index."""
    rows = await session.execute(select(Alert.status, func.count()).group_by(Alert.status))
    due_filter = (Alert.status == "queued", Alert.next_attempt_at <= now)
    due_row = (
        await session.execute(
            select(func.count(), func.min(Alert.next_attempt_at)).where(*due_filter)
        )
    ).one()
    oldest = due_row[1]
    if isinstance(oldest, str):  # SQLite's MIN() returns the stored text, not the column type
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return OutboxNumbers(
        by_status={str(status): int(n) for status, n in rows.all()},
        due=int(due_row[0] or 0),
        oldest_due_age=max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0,
    )
