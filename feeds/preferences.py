"""When a reader wants an alert: alert mode, quiet hours and digest times in their time zone.

Pure functions over a `Preferences` value. The one question the delivery side asks is
`release_at(now, prefs)`: an alert queued at `now` may be delivered from this moment on.
Everything is computed on the reader's wall clock (quiet hours 22:00–07:00 mean 22:00 in
Vienna, summer or winter) and returned as aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "MINUTES_PER_DAY",
    "Preferences",
    "in_quiet_hours",
    "parse_languages",
    "release_at",
    "wants_language",
    "zone",
]

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class Preferences:
    """A chat's delivery preferences, as stored on its row."""

    timezone: str = "UTC"
    alert_mode: str = "instant"
    """`instant`: as soon as found; `hourly`: one digest at the next full hour; `daily`: one
    digest a day at `digest_hour` local time."""
    digest_hour: int | None = None
    """Local hour (0–23) of the daily digest; None means 8."""
    quiet_start: int | None = None
    """Quiet hours start, minutes after local midnight; None (or equal to the end): none."""
    quiet_end: int | None = None

    @property
    def has_quiet_hours(self) -> bool:
        return (
            self.quiet_start is not None
            and self.quiet_end is not None
            and self.quiet_start % MINUTES_PER_DAY != self.quiet_end % MINUTES_PER_DAY
        )


DEFAULT_DIGEST_HOUR = 8


def zone(name: str | None) -> ZoneInfo:
    """The reader's time zone; UTC when the stored name is unknown (never raises)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_languages(stored: str | None) -> frozenset[str]:
    """`"de,en"` → {"de", "en"}; empty means every language."""
    return frozenset(code.strip() for code in (stored or "").split(",") if code.strip())


def _wall(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    """The moment a local wall clock shows `minutes` after midnight on `day`, in UTC.

    A wall time skipped by a DST change (02:30 on the spring-forward day) is read with the
    offset before the change, i.e. it lands just after the gap: the alert is not lost.
    """
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz)
    return local.astimezone(UTC)


def _minutes(local: datetime) -> int:
    return local.hour * 60 + local.minute


def _quiet_end_after(moment: datetime, prefs: Preferences) -> datetime | None:
    """The end of the quiet period `moment` falls in, or None when it is not quiet."""
    if not prefs.has_quiet_hours:
        return None
    assert prefs.quiet_start is not None and prefs.quiet_end is not None
    tz = zone(prefs.timezone)
    local = moment.astimezone(tz)
    start, end = prefs.quiet_start % MINUTES_PER_DAY, prefs.quiet_end % MINUTES_PER_DAY
    now = _minutes(local)
    if start < end:  # 13:00–15:00: within one day
        return _wall(local.date(), end, tz) if start <= now < end else None
    # 22:00–07:00: across midnight; before the end it is the morning of the period.
    if now < end:
        return _wall(local.date(), end, tz)
    if now >= start:
        return _wall(local.date() + timedelta(days=1), end, tz)
    return None


def in_quiet_hours(moment: datetime, prefs: Preferences) -> bool:
    """Whether `moment` lies within the reader's quiet hours."""
    return _quiet_end_after(moment, prefs) is not None


def _next_full_hour(moment: datetime, tz: ZoneInfo) -> datetime:
    local = moment.astimezone(tz)
    if local.minute == 0 and local.second == 0 and local.microsecond == 0:
        return moment.astimezone(UTC)
    # Adding an hour in UTC, not on the wall clock, keeps DST days right; a zone with a
    # 30/45-minute offset still gets its local full hour.
    floor = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    return floor + timedelta(hours=1)


def _next_daily(moment: datetime, hour: int, tz: ZoneInfo) -> datetime:
    local = moment.astimezone(tz)
    today = _wall(local.date(), hour * 60, tz)
    if today >= moment:
        return today
    return _wall(local.date() + timedelta(days=1), hour * 60, tz)


def release_at(now: datetime, prefs: Preferences) -> datetime:
    """The moment an alert queued at `now` may be delivered (aware UTC, never before `now`).

    instant → now; hourly → the next full local hour; daily → the next `digest_hour:00`
    local. A moment inside quiet hours moves to the end of the quiet period, where everything
    held goes out together as one digest.
    """
    if now.tzinfo is None:
        raise ValueError("release_at needs an aware datetime")
    now = now.astimezone(UTC)
    tz = zone(prefs.timezone)
    if prefs.alert_mode == "hourly":
        moment = _next_full_hour(now, tz)
    elif prefs.alert_mode == "daily":
        hour = prefs.digest_hour if prefs.digest_hour is not None else DEFAULT_DIGEST_HOUR
        moment = _next_daily(now, hour % 24, tz)
    else:
        moment = now
    quiet_end = _quiet_end_after(moment, prefs)
    return quiet_end if quiet_end is not None else moment


def wants_language(article_languages: str | None, language: str | None) -> bool:
    """Whether a chat that reads `article_languages` ("de,en"; None: all) wants an article in
    `language` (None: unknown, always wanted)."""
    if not article_languages or language is None:
        return True
    return language in article_languages.split(",")
