"""When an alert may go out: quiet hours across midnight and DST, hourly and daily digests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.preferences import Preferences, in_quiet_hours, parse_languages, release_at
from handlers.settings import ChatSettings, apply_setting, find_zone, suggest_zones

VIENNA = "Europe/Vienna"


def night(timezone: str = VIENNA, mode: str = "instant", hour: int | None = None) -> Preferences:
    """Quiet hours 22:00–07:00 on the reader's wall clock."""
    return Preferences(timezone, mode, hour, quiet_start=22 * 60, quiet_end=7 * 60)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_instant_without_quiet_hours_is_now() -> None:
    now = utc(2025, 6, 1, 12, 34, 56)
    assert release_at(now, Preferences()) == now


def test_hourly_digest_waits_for_the_next_full_hour() -> None:
    assert release_at(utc(2025, 6, 1, 12, 5), Preferences(alert_mode="hourly")) == utc(
        2025, 6, 1, 13
    )
    assert release_at(utc(2025, 6, 1, 12, 59, 59), Preferences(alert_mode="hourly")) == utc(
        2025, 6, 1, 13
    )
    # Exactly on the hour: that digest is going out now.
    assert release_at(utc(2025, 6, 1, 13), Preferences(alert_mode="hourly")) == utc(2025, 6, 1, 13)


def test_hourly_digest_uses_the_local_full_hour_in_half_hour_zones() -> None:
    # Kolkata is UTC+05:30: local full hours fall on :30 UTC.
    prefs = Preferences(timezone="Asia/Kolkata", alert_mode="hourly")
    assert release_at(utc(2025, 6, 1, 12, 40), prefs) == utc(2025, 6, 1, 13, 30)


def test_daily_digest_at_the_chosen_local_hour() -> None:
    prefs = Preferences(timezone=VIENNA, alert_mode="daily", digest_hour=8)
    # 05:00 UTC in June is 07:00 in Vienna (CEST): today's 08:00 local, 06:00 UTC.
    assert release_at(utc(2025, 6, 1, 5), prefs) == utc(2025, 6, 1, 6)
    # 07:00 UTC is 09:00 local: tomorrow's digest.
    assert release_at(utc(2025, 6, 1, 7), prefs) == utc(2025, 6, 2, 6)
    # In winter (CET, UTC+1) the same local hour is 07:00 UTC.
    assert release_at(utc(2025, 1, 10, 3), prefs) == utc(2025, 1, 10, 7)


def test_daily_digest_across_the_spring_dst_change() -> None:
    prefs = Preferences(timezone=VIENNA, alert_mode="daily", digest_hour=8)
    # Saturday evening before the change (CET) → Sunday 08:00 CEST, which is 06:00 UTC.
    assert release_at(utc(2025, 3, 29, 20), prefs) == utc(2025, 3, 30, 6)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2025, 6, 1, 19, 59), utc(2025, 6, 1, 19, 59)),  # 21:59 local: not yet quiet
        (utc(2025, 6, 1, 20, 0), utc(2025, 6, 2, 5, 0)),  # 22:00 local → 07:00 tomorrow
        (utc(2025, 6, 1, 23, 30), utc(2025, 6, 2, 5, 0)),  # 01:30 local, after midnight
        (utc(2025, 6, 2, 4, 59), utc(2025, 6, 2, 5, 0)),  # 06:59 local
        (utc(2025, 6, 2, 5, 0), utc(2025, 6, 2, 5, 0)),  # 07:00 local: quiet is over
    ],
)
def test_quiet_hours_across_midnight_in_the_readers_zone(now: datetime, expected: datetime) -> None:
    prefs = night()
    assert release_at(now, prefs) == expected


def test_quiet_hours_on_the_autumn_dst_night() -> None:
    # 26 Oct 2025: Vienna falls back from CEST to CET at 03:00; the night is 25 h long.
    prefs = night()
    # 23:00 CEST on the 25th is 21:00 UTC; 07:00 CET on the 26th is 06:00 UTC.
    assert release_at(utc(2025, 10, 25, 21), prefs) == utc(2025, 10, 26, 6)
    assert in_quiet_hours(utc(2025, 10, 26, 5, 59), prefs)
    assert not in_quiet_hours(utc(2025, 10, 26, 6), prefs)


def test_quiet_hours_on_the_spring_dst_night() -> None:
    # 30 Mar 2025: 02:00 CET jumps to 03:00 CEST; 07:00 CEST is 05:00 UTC.
    prefs = night()
    assert release_at(utc(2025, 3, 30, 0, 30), prefs) == utc(2025, 3, 30, 5)


def test_quiet_hours_within_one_day() -> None:
    prefs = Preferences(quiet_start=13 * 60, quiet_end=15 * 60)
    assert release_at(utc(2025, 6, 1, 14), prefs) == utc(2025, 6, 1, 15)
    assert release_at(utc(2025, 6, 1, 12), prefs) == utc(2025, 6, 1, 12)
    assert release_at(utc(2025, 6, 1, 16), prefs) == utc(2025, 6, 1, 16)


def test_the_same_utc_moment_is_quiet_in_one_zone_and_not_in_another() -> None:
    moment = utc(2025, 6, 1, 21)  # 23:00 in Vienna, 17:00 in New York
    assert in_quiet_hours(moment, night())
    assert not in_quiet_hours(moment, night("America/New_York"))


def test_a_digest_due_inside_quiet_hours_waits_for_their_end() -> None:
    prefs = night(mode="daily", hour=6)
    # The 06:00 digest falls inside 22–07, so it goes out at 07:00 local (05:00 UTC).
    assert release_at(utc(2025, 6, 1, 12), prefs) == utc(2025, 6, 2, 5)
    hourly = night(mode="hourly")
    assert release_at(utc(2025, 6, 1, 19, 30), hourly) == utc(2025, 6, 2, 5)


def test_equal_start_and_end_mean_no_quiet_hours_and_unknown_zones_fall_back_to_utc() -> None:
    assert not in_quiet_hours(utc(2025, 6, 1, 3), Preferences(quiet_start=60, quiet_end=60))
    prefs = Preferences(timezone="Mars/Olympus", alert_mode="daily", digest_hour=8)
    assert release_at(utc(2025, 6, 1, 7), prefs) == utc(2025, 6, 1, 8)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        release_at(datetime(2025, 6, 1, 12), Preferences())


def test_article_languages_are_read_from_the_stored_list() -> None:
    assert parse_languages("de, en,") == {"de", "en"}
    assert parse_languages(None) == frozenset()


ZONES = st.sampled_from([VIENNA, "UTC", "America/New_York", "Asia/Kolkata", "Australia/Sydney"])


@given(
    now=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
    ),
    timezone=ZONES,
    mode=st.sampled_from(["instant", "hourly", "daily"]),
    hour=st.integers(0, 23),
    start=st.integers(0, 23),
    end=st.integers(0, 23),
)
def test_release_is_never_early_never_quiet_and_within_a_day(
    now: datetime, timezone: str, mode: str, hour: int, start: int, end: int
) -> None:
    prefs = Preferences(timezone, mode, hour, start * 60, end * 60)
    moment = release_at(now, prefs)
    assert moment >= now
    assert moment - now <= (datetime(2000, 1, 3) - datetime(2000, 1, 1))
    assert not in_quiet_hours(moment, prefs)


# --- the /settings taps and /timezone names (pure parts of handlers/settings.py) -------------

SETTINGS = ChatSettings("de", "UTC", "instant", None, None, None, frozenset())


def test_article_language_toggles_and_none_means_every_language() -> None:
    assert apply_setting(SETTINGS, "set:al:de") == {"article_languages": "de"}
    both = ChatSettings("de", "UTC", "instant", None, None, None, frozenset({"de", "en"}))
    assert apply_setting(both, "set:al:en") == {"article_languages": "de"}
    only = ChatSettings("de", "UTC", "instant", None, None, None, frozenset({"de"}))
    # Unticking the last language must not silence every article.
    assert apply_setting(only, "set:al:de") == {"article_languages": None}
    assert apply_setting(both, "set:al:all") == {"article_languages": None}
    assert apply_setting(SETTINGS, "set:al:xx") is None


def test_mode_hour_quiet_and_language_taps() -> None:
    assert apply_setting(SETTINGS, "set:mode:hourly") == {"alert_mode": "hourly"}
    assert apply_setting(SETTINGS, "set:hour:7") == {"alert_mode": "daily", "digest_hour": 7}
    assert apply_setting(SETTINGS, "set:hour:24") is None
    assert apply_setting(SETTINGS, "set:quiet:1320-420") == {"quiet_start": 1320, "quiet_end": 420}
    assert apply_setting(SETTINGS, "set:quiet:off") == {"quiet_start": None, "quiet_end": None}
    assert apply_setting(SETTINGS, "set:lang:en") == {"language": "en"}
    assert apply_setting(SETTINGS, "set:lang:nl") is None
    assert apply_setting(SETTINGS, "set:mode:weekly") is None


def test_time_zone_names_are_found_in_any_case_and_misspellings_get_suggestions() -> None:
    assert find_zone("europe/vienna") == "Europe/Vienna"
    assert find_zone("utc") == "UTC"
    assert find_zone("America/New York") == "America/New_York"
    assert find_zone("Europe/Viena") is None
    assert "Europe/Vienna" in suggest_zones("Europe/Viena")
    assert suggest_zones("vienna") == ["Europe/Vienna"]
