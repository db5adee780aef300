"""What `/metrics` shows, in Prometheus' text format.

One `Metrics` is built in the composition root with a registry of its own (no module-level
metrics: two bots in one test process must not share counters). Counters are bumped where
things happen (a poll ends, Telegram answers 429); the outbox and index gauges are read at
scrape time, so they are true even for alerts another instance delivered.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.poll import PollSummary
from db.stats import OutboxNumbers

CONTENT_TYPE = CONTENT_TYPE_LATEST
ALERT_STATUSES = ("queued", "held", "sent", "failed", "parked", "dropped")


class Metrics:
    """The bot's counters and gauges, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.feeds_polled = Counter(
            "newsbot_feeds_polled", "Feeds fetched (ok or not modified)", registry=r
        )
        self.feeds_failed = Counter("newsbot_feeds_failed", "Feed polls that failed", registry=r)
        self.poll_duration = Histogram(
            "newsbot_poll_duration_seconds",
            "Duration of one poll of the due feeds",
            buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
            registry=r,
        )
        self.articles_stored = Counter(
            "newsbot_articles_stored", "New articles stored by polls", registry=r
        )
        self.alerts_queued = Counter(
            "newsbot_alerts_queued", "Alerts queued by polls of this process", registry=r
        )
        self.telegram_429 = Counter(
            "newsbot_telegram_429", "Bot API answers 429 Too Many Requests", registry=r
        )
        self.alerts = Gauge(
            "newsbot_alerts", "Alerts in the outbox by status", ["status"], registry=r
        )
        self.outbox_depth = Gauge("newsbot_outbox_depth", "Alerts due for delivery now", registry=r)
        self.outbox_oldest_due_age = Gauge(
            "newsbot_outbox_oldest_due_age_seconds",
            "Seconds the oldest due alert has waited",
            registry=r,
        )
        self.subscriptions_indexed = Gauge(
            "newsbot_subscriptions_indexed", "Subscriptions in the matcher's index", registry=r
        )
        self.process_group_rss = Gauge(
            "newsbot_process_group_rss_bytes",
            "Resident memory of the bot and its parser processes",
            registry=r,
        )
        self.active = Gauge(
            "newsbot_active", "1 when this process polls and delivers, 0 on standby", registry=r
        )

    def observe_poll(self, summary: PollSummary) -> None:
        """Count one finished poll."""
        self.feeds_polled.inc(summary.count("ok") + summary.count("not_modified"))
        self.feeds_failed.inc(summary.count("error"))
        self.articles_stored.inc(summary.new_articles)
        self.alerts_queued.inc(summary.alerts_queued)
        self.poll_duration.observe(summary.seconds)

    def observe_outbox(self, numbers: OutboxNumbers) -> None:
        for status in ALERT_STATUSES:
            self.alerts.labels(status).set(numbers.by_status.get(status, 0))
        self.outbox_depth.set(numbers.due)
        self.outbox_oldest_due_age.set(numbers.oldest_due_age)

    def count(self, *samples: str) -> float:
        """The sum of these samples' current values (e.g. `newsbot_feeds_polled_total`)."""
        return sum(self.registry.get_sample_value(name) or 0.0 for name in samples)

    def render(self) -> bytes:
        self.process_group_rss.set(process_group_rss())
        return generate_latest(self.registry)


def process_group_rss(root: int | None = None) -> int:
    """Bytes of resident memory of a process and all its descendants (the parser workers)."""
    root = os.getpid() if root is None else root
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            statm = (entry / "statm").read_text()
        except OSError:  # the process ended while we looked
            continue
        # The command name in parentheses may contain spaces: split after its closing one.
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(statm.split()[1]) * page
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total
