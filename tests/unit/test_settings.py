"""Settings: the operator contract's names, clear messages for missing or bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

NAMES = [
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_URL",
    "DATABASE_URL",
    "FEEDS_FILE",
    "POLL_INTERVAL",
    "ADMIN_IDS",
    "RETENTION_DAYS",
    "LOG_LEVEL",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_match_the_design() -> None:
    settings = load_settings()
    assert settings.DATABASE_URL == "sqlite:///data/newsbot.db"
    assert Path("feeds.opml") == settings.FEEDS_FILE
    assert settings.POLL_INTERVAL == 300
    assert settings.RETENTION_DAYS == 365
    assert settings.LOG_LEVEL == "INFO"
    assert settings.admin_ids == frozenset()


def test_env_example_documents_every_setting() -> None:
    example = (Path(__file__).parents[2] / ".env.example").read_text()
    for name in NAMES:
        assert f"\n{name}=" in example


def test_dot_env_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=123:abc\nPOLL_INTERVAL=1\nADMIN_IDS=1, 2\n")
    settings = load_settings()
    assert settings.require_token() == "123:abc"
    assert settings.POLL_INTERVAL == 1
    assert settings.admin_ids == {1, 2}


def test_missing_token_says_what_to_set() -> None:
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN is not set"):
        load_settings().require_token()


def test_malformed_token_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "not a token")
    with pytest.raises(SettingsError, match="malformed"):
        load_settings().require_token()


@pytest.mark.parametrize(
    ("name", "value"),
    [("POLL_INTERVAL", "soon"), ("POLL_INTERVAL", "0"), ("ADMIN_IDS", "alice"), ("LOG_LEVEL", "X")],
)
def test_bad_values_become_one_line(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name) as caught:
        load_settings()
    assert "\n" not in str(caught.value)


def test_cli_prints_one_line_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.__main__ import main

    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.strip().startswith("newsbot: TELEGRAM_BOT_TOKEN is not set")
    assert "Traceback" not in err


@pytest.mark.parametrize("command", [["run"], ["poll", "--once"], ["search", "Kim"], ["feeds"]])
def test_a_database_the_bot_cannot_drive_is_refused_at_start_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    from bot.__main__ import main

    monkeypatch.setenv("DATABASE_URL", "mysql://bot@localhost/news")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:" + "A" * 35)
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "newsbot: DATABASE_URL: unsupported backend 'mysql'; use sqlite:///path or postgresql://…"
    )
