"""Readers subscribe to topics: the real matcher on labelled (article, query) pairs.

Each labelled set in `tests/data/topics/` (see `bench.topics` for the format and
`tests/data/SOURCES.md` for where the text comes from) must hold the targets of
issue 12 on its totals: precision at least 0.98, intent recall at least 0.90. The per-cause
table is printed (`pytest -s`) and by `python -m bench.topics`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.topics import DATA, FILES, evaluate, load, report, score

PRESENT = [DATA / name for name in FILES if (DATA / name).exists()]


@pytest.mark.parametrize("path", PRESENT, ids=[path.name for path in PRESENT])
def test_the_matcher_finds_what_readers_mean_without_false_alerts(path: Path) -> None:
    pairs = load(path)
    assert len(pairs) >= 40
    outcomes = evaluate(pairs)
    print(f"\n{path.name}\n{report(outcomes)}")
    total = score(outcomes)
    assert total.precision is not None and total.precision >= 0.98, report(outcomes)
    assert total.recall is not None and total.recall >= 0.90, report(outcomes)


def test_every_trap_holds() -> None:
    """The traps the issue names never alert, whatever the totals do."""
    outcomes = evaluate(load(DATA / "engine_seed.jsonl"))
    sprung = [o.pair.title for o in outcomes if o.pair.cause == "trap" and o.matched]
    assert sprung == []
