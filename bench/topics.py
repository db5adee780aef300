"""`python -m bench.topics`: precision and intent recall of the real matcher on labelled pairs.

Reads the labelled (article, query) sets in `tests/data/topics/` (JSON Lines: `title`,
`description`, `lang`, `query`, `label` = whether a reader of that query wants the article,
`cause` = why it is hard: plain, script, demonym, compound, cldr, inflection, trap, unrelated),
matches each article against its query with `feeds.matcher.Matcher`, and prints one table per
file: per cause, the pairs, what was wanted, what matched, precision and intent recall.

Precision is over the matched pairs (how many of them the reader wanted); intent recall over
the wanted ones (how many of them matched). A cause without matched (or wanted) pairs shows
`–`. The evaluation test (`tests/unit/test_topics_eval.py`) asserts the targets on the totals.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.common import table
from feeds.matcher import Matcher
from feeds.query import parse_query

# The labelled sets live next to the tests: this bench needs a checkout.
DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "topics"
FILES = ("labelled.jsonl", "engine_seed.jsonl")
CAUSES = ("plain", "script", "demonym", "compound", "cldr", "inflection", "trap", "unrelated")


@dataclass(frozen=True, slots=True)
class Pair:
    """One labelled (article, query) pair."""

    id: str
    lang: str | None
    title: str
    description: str
    query: str
    label: bool
    cause: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the matcher did on one pair."""

    pair: Pair
    matched: bool


@dataclass(frozen=True, slots=True)
class Score:
    """Counts and rates over some outcomes."""

    pairs: int
    wanted: int
    matched: int
    hits: int
    """Matched and wanted."""

    @property
    def precision(self) -> float | None:
        return self.hits / self.matched if self.matched else None

    @property
    def recall(self) -> float | None:
        return self.hits / self.wanted if self.wanted else None


def load(path: Path) -> list[Pair]:
    """The pairs of one JSON Lines file."""
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        pairs.append(
            Pair(
                id=str(row["id"]),
                lang=row.get("lang") or None,
                title=str(row.get("title", "")),
                description=str(row.get("description", "")),
                query=str(row["query"]),
                label=bool(row["label"]),
                cause=str(row.get("cause", "plain")),
            )
        )
    return pairs


def evaluate(pairs: Sequence[Pair]) -> list[Outcome]:
    """Match every pair's article against its query, all queries in one matcher."""
    queries = sorted({pair.query for pair in pairs})
    number = {query: n for n, query in enumerate(queries)}
    matcher = Matcher.build((n, parse_query(query)) for query, n in number.items())
    outcomes = []
    for pair in pairs:
        found = matcher.match(pair.title, pair.description, pair.lang)
        outcomes.append(Outcome(pair, number[pair.query] in found))
    return outcomes


def score(outcomes: Iterable[Outcome]) -> Score:
    done = list(outcomes)
    return Score(
        pairs=len(done),
        wanted=sum(o.pair.label for o in done),
        matched=sum(o.matched for o in done),
        hits=sum(o.matched and o.pair.label for o in done),
    )


def by_cause(outcomes: Sequence[Outcome]) -> dict[str, Score]:
    causes = [c for c in CAUSES if any(o.pair.cause == c for o in outcomes)]
    causes += sorted({o.pair.cause for o in outcomes} - set(causes))
    return {cause: score(o for o in outcomes if o.pair.cause == cause) for cause in causes}


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def report(outcomes: Sequence[Outcome]) -> str:
    """The per-cause table, totals last, then the pairs the matcher got wrong."""
    rows = [
        (cause, s.pairs, s.wanted, s.matched, _rate(s.precision), _rate(s.recall))
        for cause, s in [*by_cause(outcomes).items(), ("all", score(outcomes))]
    ]
    text = table(("cause", "pairs", "wanted", "matched", "precision", "intent recall"), rows)
    wrong = [o for o in outcomes if o.matched != o.pair.label]
    for o in wrong:
        kind = "false match" if o.matched else "missed"
        text += f"\n{kind} [{o.pair.cause}] {o.pair.query!r}: {o.pair.title[:90]}"
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.topics", description=__doc__)
    parser.add_argument("files", nargs="*", type=Path, help="JSON Lines files (default: both)")
    args = parser.parse_args(argv)
    paths = args.files or [DATA / name for name in FILES if (DATA / name).exists()]
    for path in paths:
        print(f"\n{path.name}\n")
        print(report(evaluate(load(path))))


if __name__ == "__main__":
    main()
