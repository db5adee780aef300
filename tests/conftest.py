"""Shared fixtures: temporary databases and paths to the test data."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A fresh SQLite file (its folder is created by the app)."""
    return f"sqlite:///{tmp_path}/db/newsbot.db"
