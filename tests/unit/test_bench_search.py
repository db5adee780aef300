"""`newsbot bench search` at a tiny size: it builds, serves and prints its table."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bench import search as bench


def test_bench_runs_at_tiny_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bench.db"
    bench.main(["--articles", "300", "--db", str(path), "--workers", "1", "--baseline-every", "50"])
    out = capsys.readouterr().out
    assert "/search newest first (200 queries)" in out
    assert "baseline: LIKE" in out and "p95" in out and "RSS serving" in out
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM articles").fetchone() == (300,)
        connection.execute(
            "INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)"
        )
    # A second run reuses the database of that size.
    bench.main(["--articles", "300", "--db", str(path), "--workers", "1", "--baseline-every", "50"])
    assert "reused" in capsys.readouterr().out


def test_generated_articles_are_german_and_english_and_deterministic() -> None:
    first, docs = bench.generate_chunk((0, 50, 1000, 7))
    again, _ = bench.generate_chunk((0, 50, 1000, 7))
    assert first == again
    assert {row[9] for row in first} == {"de", "en"}
    assert [doc[0] for doc in docs] == [row[0] for row in first]
    assert len(bench.query_mix(1000)) == 200
