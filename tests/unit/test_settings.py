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
    "HTTP_LISTEN",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "TELEGRAM_PROXY",
    "PAID_BROADCAST",
    "FEED_ALLOWED_PORTS",
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
    assert settings.HTTP_LISTEN == "127.0.0.1:8080"
    assert settings.listen == ("127.0.0.1", 8080)
    assert settings.WEBHOOK_URL == settings.WEBHOOK_SECRET == settings.TELEGRAM_PROXY == ""
    assert settings.PAID_BROADCAST is False
    assert settings.feed_ports == frozenset()


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
    [
        ("POLL_INTERVAL", "soon"),
        ("POLL_INTERVAL", "0"),
        ("ADMIN_IDS", "alice"),
        ("LOG_LEVEL", "X"),
        ("HTTP_LISTEN", "8080"),
        ("HTTP_LISTEN", "localhost:http"),
        ("WEBHOOK_URL", "http://bot.example.org/hook"),
        ("WEBHOOK_SECRET", "has spaces and ünicode"),
        ("TELEGRAM_PROXY", "ftp://proxy:21"),
        ("PAID_BROADCAST", "sometimes"),
        ("FEED_ALLOWED_PORTS", "8080,ssh"),
        ("FEED_ALLOWED_PORTS", "70000"),
    ],
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


def test_a_webhook_without_its_secret_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import main

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:" + "A" * 35)
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/telegram")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("newsbot: invalid setting: WEBHOOK_URL is set without WEBHOOK_SECRET")


def test_operator_settings_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_LISTEN", "0.0.0.0:9100")
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/telegram")
    monkeypatch.setenv("WEBHOOK_SECRET", "s3cret_-value")
    monkeypatch.setenv("TELEGRAM_PROXY", "socks5://127.0.0.1:1080")
    monkeypatch.setenv("PAID_BROADCAST", "true")
    monkeypatch.setenv("FEED_ALLOWED_PORTS", "8080, 8443")
    settings = load_settings()
    assert settings.listen == ("0.0.0.0", 9100)
    assert settings.PAID_BROADCAST is True
    assert settings.feed_ports == {8080, 8443}


def test_an_empty_http_listen_turns_the_server_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_LISTEN", "")
    assert load_settings().listen is None
