"""Precision and intent recall of the matcher on the labelled topic set, per cause.

    .venv/bin/python tests/data/topics/evaluate.py [-v]

Every distinct query of `labelled.jsonl` becomes one subscription; each pair counts as a
true positive, a miss, a false match or a correct rejection. `-v` lists misses and false
matches. It prints numbers and never fails: the targets (precision ≥ 0.98, intent recall
≥ 0.90) are for a reader to compare.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from feeds.matcher import Matcher
from feeds.query import parse_query

LABELLED = Path(__file__).with_name("labelled.jsonl")
POSITIVE_CAUSES = ("plain", "script", "demonym", "compound", "cldr", "inflection")
NEGATIVE_CAUSES = ("trap", "unrelated")


def main(verbose: bool) -> None:
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    ids = {query: index for index, query in enumerate(sorted({row["query"] for row in rows}))}
    matcher = Matcher.build((index, parse_query(query)) for query, index in ids.items())
    found, missed, wrong, rejected = Counter[str](), Counter[str](), Counter[str](), Counter[str]()
    for row in rows:
        hit = ids[row["query"]] in matcher.match(row["title"], row["description"], row["lang"])
        cause = row["cause"]
        if row["label"]:
            (found if hit else missed)[cause] += 1
        else:
            (wrong if hit else rejected)[cause] += 1
        if verbose and hit != row["label"]:
            kind = "missed" if row["label"] else "false match"
            print(f"{kind:12} {row['query']:12} {cause:10} {row['title'][:70]}")
    true_positives, false_positives = sum(found.values()), sum(wrong.values())
    wanted = true_positives + sum(missed.values())
    print(
        f"precision {true_positives / max(1, true_positives + false_positives):.2f} "
        f"({true_positives} of {true_positives + false_positives}); "
        f"intent recall {true_positives / max(1, wanted):.2f} ({true_positives} of {wanted})"
    )
    for cause in POSITIVE_CAUSES:
        print(f"  {cause:10} found {found[cause]} of {found[cause] + missed[cause]}")
    for cause in NEGATIVE_CAUSES:
        print(f"  {cause:10} matched {wrong[cause]} of {wrong[cause] + rejected[cause]}")


if __name__ == "__main__":
    main(verbose="-v" in sys.argv[1:])
