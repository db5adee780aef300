"""`newsbot bench stories`: story grouping quality on the labelled set, and its speed.

Quality: the labelled set in `tests/data/stories/` (real coverage, every article marked with
its event) is fed in publication order to `StoryGrouper` and to today's rule (same canonical
link, or the same headline within a day); printed are pairwise precision and recall (over all
pairs of articles: grouped together by the method vs. labelled one event) and the messages a
reader of broad queries gets per multi-outlet event (the distinct stories among its articles).

Over-fitting: a two-fold check (the events split in two halves by a hash of their label;
thresholds chosen from a small grid on one half, measured on the other). Arrival order: in
how many orders of a cluster of distinct events with the same people some story holds two.

Speed: a 48-hour window of 50,000 generated articles (German and English, word frequencies
of real headlines and teasers, from `bench.match`), then new articles grouped against it:
articles per CPU second, cold (the first time: unseen names folded and stemmed, stale
lengths recomputed) and warm (the same articles again), the window's own memory
(`StoryGrouper.memory_bytes`) and the process's RSS growth while loading it (which includes
the word caches), next to a baseline measured in the same run on a sample: the same
similarity computed against every article in the window, without the inverted index.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import random
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import current_rss_mb, table
from feeds.stories import Report, StoryGrouper, Tuning, headline_key

# The labelled set lives next to the tests: this part of the bench needs a checkout.
DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "stories"


@dataclass(frozen=True, slots=True)
class Labelled:
    """One article of the labelled set and the event it reports."""

    event: str
    outlet: str
    report: Report
    part: str = ""
    """The file it comes from (`corpus`: real feed items; `memory`: written from memory), so
    that each half can be measured on its own (a rule tuned on one half shows on the other)."""


def load_labelled(folder: Path = DATA) -> list[Labelled]:
    """Every labelled article of the set's `*.jsonl` files, oldest first."""
    rows: list[Labelled] = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            report = Report(
                title=item["title"],
                description=item["description"],
                language=item["language"],
                published=datetime.fromisoformat(item["published"]),
                source=item["outlet"],
                link=item["link"],
            )
            rows.append(Labelled(item["event"], item["outlet"], report, path.stem))
    rows.sort(key=lambda row: (row.report.published, row.report.title))
    return rows


def group_with_grouper(reports: Sequence[Report], grouper: StoryGrouper | None = None) -> list[int]:
    """Story ids from `StoryGrouper`, in arrival order."""
    grouper = StoryGrouper() if grouper is None else grouper
    counter = itertools.count(1)
    return [grouper.add(report, lambda: next(counter)) for report in reports]


def group_by_link_or_headline(reports: Sequence[Report]) -> list[int]:
    """Today's rule (feeds/story_keys.py): the same canonical link, or the same headline key (12
    characters or more) within a day, is the same story; anything else is a new story."""
    by_link: dict[str, int] = {}
    by_key: dict[str, list[tuple[datetime, int]]] = {}
    stories: list[int] = []
    for number, report in enumerate(reports):
        story = by_link.get(report.link) if report.link else None
        key = headline_key(report.title)
        if story is None and len(key) >= 12:
            for when, known in by_key.get(key, []):
                if abs(when - report.published) <= timedelta(days=1):
                    story = known
                    break
        if story is None:
            story = number
        if report.link:
            by_link.setdefault(report.link, story)
        by_key.setdefault(key, []).append((report.published, story))
        stories.append(story)
    return stories


@dataclass(frozen=True, slots=True)
class Quality:
    """How a grouping compares with the labels."""

    precision: float
    recall: float
    messages_per_event: float
    """Distinct stories among a multi-outlet event's articles, averaged over those events."""
    wrong_merges: tuple[tuple[str, str], ...]
    """Pairs of distinct events that ended up in one story (what a reader would miss)."""


def evaluate(rows: Sequence[Labelled], stories: Sequence[int]) -> Quality:
    """Pairwise precision and recall of `stories` against the labelled events."""
    true_pairs = predicted_pairs = both = 0
    for (a, story_a), (b, story_b) in itertools.combinations(zip(rows, stories, strict=True), 2):
        same_event = a.event == b.event
        same_story = story_a == story_b
        true_pairs += same_event
        predicted_pairs += same_story
        both += same_event and same_story
    events: dict[str, set[int]] = {}
    outlets: dict[str, set[str]] = {}
    for row, story in zip(rows, stories, strict=True):
        events.setdefault(row.event, set()).add(story)
        outlets.setdefault(row.event, set()).add(row.outlet)
    multi = [event for event, names in outlets.items() if len(names) > 1]
    members: dict[int, set[str]] = {}
    for row, story in zip(rows, stories, strict=True):
        members.setdefault(story, set()).add(row.event)
    wrong = sorted(
        {pair for names in members.values() for pair in itertools.combinations(sorted(names), 2)}
    )
    return Quality(
        precision=both / predicted_pairs if predicted_pairs else 1.0,
        recall=both / true_pairs if true_pairs else 1.0,
        messages_per_event=sum(len(events[e]) for e in multi) / len(multi) if multi else 0.0,
        wrong_merges=tuple(wrong),
    )


def quality_table(rows: Sequence[Labelled]) -> tuple[Quality, Quality, str]:
    """Before (today's rule) and after (`StoryGrouper`), and both as a Markdown table."""
    reports = [row.report for row in rows]
    before = evaluate(rows, group_by_link_or_headline(reports))
    after = evaluate(rows, group_with_grouper(reports))
    lines = table(
        ["method", "pairwise precision", "pairwise recall", "messages per multi-outlet event"],
        [
            [name, f"{q.precision:.3f}", f"{q.recall:.3f}", f"{q.messages_per_event:.2f}"]
            for name, q in (("same link or headline (before)", before), ("StoryGrouper", after))
        ],
    )
    return before, after, lines


READER_QUERIES = ("Kim Jong Un", "Nordkorea", "North Korea", "Putin", "Xi Jinping")
"""The reader of issue 13: subscribed to these five topics (76 messages for 23 events)."""


def reader_messages(rows: Sequence[Labelled], stories: Sequence[int]) -> tuple[int, int, float]:
    """What the reader of `READER_QUERIES` receives: (events with a match, alerts, alerts per
    multi-outlet event with a match). One alert per story that any of the reader's
    subscriptions matches, as the outbox keeps it (later outlets edit it)."""
    from feeds.index import SubscriptionIndex
    from feeds.models import Article
    from feeds.query import parse_query

    index = SubscriptionIndex.build(
        (number, 1, text, parse_query(text)) for number, text in enumerate(READER_QUERIES, 1)
    )
    alerted: dict[str, set[int]] = {}
    outlets: dict[str, set[str]] = {}
    for row, story in zip(rows, stories, strict=True):
        report = row.report
        article = Article(
            guid=report.link,
            link=report.link,
            canonical_link=report.link,
            title=report.title,
            teaser=report.description[:300],
            published=report.published,
            language=report.language,
            description=report.description,
        )
        if index.match(article):
            alerted.setdefault(row.event, set()).add(story)
            outlets.setdefault(row.event, set()).add(row.outlet)
    messages = sum(len(stories_of) for stories_of in alerted.values())
    multi = [event for event, names in outlets.items() if len(names) > 1]
    per_event = sum(len(alerted[event]) for event in multi) / len(multi) if multi else 0.0
    return len(alerted), messages, per_event


# ---------------------------------------------------------------------------------------------
# Over-fitting and arrival order


def fold_of(event: str) -> int:
    """The half of the labelled set an event belongs to (a stable hash of its label)."""
    return zlib.crc32(event.encode()) % 2


# The thresholds the two-fold check chooses among: the defaults and their neighbours.
TUNING_GRID = tuple(
    Tuning(same_language=same, cross_language=cross, decay=decay)
    for same in (0.13, 0.16, 0.19)
    for cross in (0.15, 0.18)
    for decay in (2.0, 3.0)
)


def _choose(rows: Sequence[Labelled], grid: Sequence[Tuning]) -> Tuning:
    """The grid's thresholds with the best recall at precision 0.97 or more on `rows` (the
    best precision if none reaches it; fewer messages, then grid order, break ties)."""

    def rank(tuning: Tuning) -> tuple[bool, float, float]:
        grouper = StoryGrouper(tuning=tuning)
        quality = evaluate(rows, group_with_grouper([row.report for row in rows], grouper))
        good = quality.precision >= 0.97
        return good, quality.recall if good else quality.precision, -quality.messages_per_event

    ranks = [rank(tuning) for tuning in grid]
    return grid[max(range(len(grid)), key=lambda n: (ranks[n], -n))]


def two_fold(
    rows: Sequence[Labelled], grid: Sequence[Tuning] = TUNING_GRID
) -> list[tuple[int, Tuning, Quality, Quality]]:
    """For each half of the events: the thresholds chosen on the other half, and the quality
    on this half with them and with the defaults (a rule fitted to single labels shows as a
    drop from the defaults' numbers to the held-out ones)."""
    results = []
    for held_out in (0, 1):
        tune = [row for row in rows if fold_of(row.event) != held_out]
        test = [row for row in rows if fold_of(row.event) == held_out]
        chosen = _choose(tune, grid)
        grouper = StoryGrouper(tuning=chosen)
        tuned = evaluate(test, group_with_grouper([row.report for row in test], grouper))
        default = evaluate(test, group_with_grouper([row.report for row in test]))
        results.append((held_out, chosen, tuned, default))
    return results


# The story-alert test's feeds: Kim's train, the Xi–Putin gas talks and the parade, in
# Beijing on two days with the same people, by an English and a German outlet each.
BEIJING = (
    ("kim-train-arrives-beijing-2025", "Reuters"),
    ("kim-train-arrives-beijing-2025", "tagesschau.de"),
    ("xi-putin-talks-gas-2025", "Reuters"),
    ("xi-putin-talks-gas-2025", "tagesschau.de"),
    ("beijing-victory-day-parade-2025", "BBC News"),
    ("beijing-victory-day-parade-2025", "tagesschau.de"),
)


def order_dependence(cluster: Sequence[Labelled], orders: int | None = None) -> tuple[int, int]:
    """In how many arrival orders of `cluster` some story holds two events, and how many
    orders were tried: all of them (`orders=None`), or a deterministic sample."""
    if orders is None:
        tried = list(itertools.permutations(cluster))
    else:
        rng = random.Random(13)
        tried = [tuple(rng.sample(list(cluster), len(cluster))) for _ in range(orders)]
    wrong = 0
    for order in tried:
        quality = evaluate(order, group_with_grouper([row.report for row in order]))
        wrong += bool(quality.wrong_merges)
    return wrong, len(tried)


def _order_lines(rows: Sequence[Labelled]) -> list[str]:
    pairs = {(row.event, row.outlet): row for row in rows}
    six = [pairs[pair] for pair in BEIJING]
    events = {event for event, _outlet in BEIJING}
    every = [row for row in rows if row.event in events]
    lines = []
    for name, cluster, orders in (
        ("the story-alert test's 6 Beijing reports", six, None),
        (f"all {len(every)} reports of those 3 events", every, 200),
    ):
        wrong, tried = order_dependence(cluster, orders)
        lines.append(f"  arrival orders merging two events, {name}: {wrong} of {tried}")
    return lines


# ---------------------------------------------------------------------------------------------
# Speed


def _generated_reports(count: int, rng: random.Random, start: datetime) -> list[Report]:
    from bench.match import generate_articles

    step = timedelta(hours=48) / count
    return [
        Report(title, teaser, language, start + step * number, f"feed{number % 1000}")
        for number, (title, teaser, language) in enumerate(generate_articles(count, rng))
    ]


def _brute_force_rate(grouper: StoryGrouper, reports: Sequence[Report]) -> float:
    """Articles/s when every article of the window is scored (no inverted index)."""
    started = time.process_time()
    for report in reports:
        grouper.score_all(report)
    return len(reports) / (time.process_time() - started)


def speed(window: int, probe: int, baseline: int, seed: int) -> list[list[object]]:
    """Group `probe` new articles against a window of `window` articles."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    stored = _generated_reports(window + probe, rng, start)
    ids = itertools.count(1)
    gc.collect()
    rss_before = current_rss_mb()
    grouper = StoryGrouper(window=timedelta(hours=49))
    started = time.process_time()
    grouper.load((report, next(ids)) for report in stored[:window])
    load_s = time.process_time() - started
    gc.collect()
    rss_mb = current_rss_mb() - rss_before
    fresh = stored[window:]
    started = time.process_time()
    joined = sum(grouper.place(report).story_id is not None for report in fresh)
    cold = len(fresh) / (time.process_time() - started)
    started = time.process_time()
    for report in fresh:
        grouper.place(report)
    warm = len(fresh) / (time.process_time() - started)
    naive = _brute_force_rate(grouper, fresh[:baseline])
    return [
        [
            f"{len(grouper):,}",
            f"{load_s:.1f} s",
            f"{grouper.memory_bytes() / 2**20:.0f} MB",
            f"{rss_mb:.0f} MB",
            f"{cold:,.0f}",
            f"{warm:,.0f}",
            f"{naive:,.1f}",
            f"{warm / naive:,.0f}×",
            f"{joined / len(fresh):.1%}",
        ]
    ]


def main(argv: list[str]) -> int:
    """Print the quality table and the speed table."""
    parser = argparse.ArgumentParser(prog="newsbot bench stories")
    parser.add_argument("--window", type=int, default=50_000, help="articles in the window")
    parser.add_argument("--articles", type=int, default=5_000, help="new articles grouped")
    parser.add_argument("--baseline", type=int, default=50, help="articles for the baseline")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    rows = load_labelled()
    events = {row.event for row in rows}
    print(f"labelled set: {len(rows)} articles, {len(events)} events")
    _before, after, lines = quality_table(rows)
    print(lines)
    reports = [row.report for row in rows]
    for name, grouping in (
        ("same link or headline (before)", group_by_link_or_headline(reports)),
        ("StoryGrouper", group_with_grouper(reports)),
    ):
        events_seen, messages, per_event = reader_messages(rows, grouping)
        print(
            f"  the reader of {' · '.join(READER_QUERIES)}, {name}: {messages} messages for "
            f"{events_seen} events, {per_event:.2f} per event several outlets matched"
        )
    for part in sorted({row.part for row in rows}):
        half = [row for row in rows if row.part == part]
        quality = evaluate(half, group_with_grouper([row.report for row in half]))
        print(
            f"  {part} alone ({len(half)} articles): precision {quality.precision:.3f}, "
            f"recall {quality.recall:.3f}, messages per event {quality.messages_per_event:.2f}"
        )
    for pair in after.wrong_merges:
        print("  merged:", " + ".join(pair))
    for held_out, chosen, tuned, default in two_fold(rows):
        values = (
            f"same_language {chosen.same_language:g}, cross_language "
            f"{chosen.cross_language:g}, decay {chosen.decay:g}"
        )
        print(
            f"  2-fold, half {held_out} held out: tuned on the other half ({values}): "
            f"precision {tuned.precision:.3f}, recall {tuned.recall:.3f}, messages per event "
            f"{tuned.messages_per_event:.2f} (defaults: {default.precision:.3f}, "
            f"{default.recall:.3f}, {default.messages_per_event:.2f})"
        )
    for line in _order_lines(rows):
        print(line)
    print()
    print(
        table(
            [
                "window",
                "load",
                "window memory",
                "RSS growth",
                "articles/s cold",
                "articles/s warm",
                "compare-all baseline /s",
                "speed-up",
                "joined a story",
            ],
            speed(args.window, args.articles, args.baseline, args.seed),
        )
    )
    return 0
