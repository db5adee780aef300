"""Story grouping: which story a new article reports, so one event alerts a reader once.

`StoryGrouper` keeps a 48-hour window of recent articles in memory, each read once into its
*keys*: the folded words of its title and the lead of its description, stemmed lightly (so
`Raketen` meets `Rakete` and `missiles` meets `missile`), and its *names*, the
language-neutral keys that tie reports in different languages together (runs of capitalized
words as written, countries and their adjectives as ISO codes, numbers). A name of several
words (`Kim Jong Un`) is one *unit*. A new article is compared only with the articles that
share two of its rarest keys or names (an inverted index, at most 400 postings read), with
each key weighted by its inverse document frequency over the window, so "Fort Lauderdale"
counts for much and "president" for little. It joins the story of its closest article when
the similarity clears a conservative threshold, and starts a story otherwise:

- same language: cosine over all keys, the title's keys counting more than the
  description's, with at least a minimum of shared evidence (a name of several words
  counting once) and something besides a country;
- different languages: cosine over the names alone, with at least two names in common, more
  evidence than within one language, and a name that is not a country's or two countries
  (`Spanien und Portugal`), and only into a story that has no report in the new article's
  language yet (if it has, and none of them was close, names alone do not outweigh that);
- the threshold quadruples over the window (a report a day later needs two and a half times
  the evidence: the same people make new news every day), and two reports of one outlet
  need more (an outlet's series share boilerplate: "Top 10:", "heise-Angebot:");
- a report joins only a story whose first report in its language it also resembles (half
  the threshold): stories do not drift, one report at a time, from one event to the next,
  so what joins does not depend on which report of an event came first;
- the same canonical link, or the same headline within a day, is the same story outright.

Everything is deterministic (no hashing of strings into random seeds, ties broken by arrival).
The state is plain values: `load()` rebuilds the window from stored (article, story id) pairs
after a restart, and story ids come from the caller (`add` takes an id factory) so storage
can persist them. Names are found with one table lookup per word (`feeds.countries`,
`feeds.aliases` for countries); `entity_for` adds a table of people and places across
languages and scripts (`Selenskyj` = `Zelensky`), measured not to help by default.
"""

from __future__ import annotations

import heapq
import math
import operator
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, lru_cache

from feeds.aliases import ORDINARY_WORDS, country_forms, demonyms
from feeds.countries import table as country_table
from feeds.normalize import analyze, canonical, fold, fold_word, is_unspaced

__all__ = [
    "WINDOW",
    "EntityKeys",
    "Placement",
    "Report",
    "StoryGrouper",
    "Tuning",
    "default_entity_keys",
    "entity_keys_with",
    "headline_key",
]

WINDOW = timedelta(hours=48)
"""How long a story stays open for new outlets: a news event's coverage is nearly all within
two days; later articles about it are follow-ups worth their own alert."""

SAME_HEADLINE_WINDOW = timedelta(days=1)
"""Today's rule, kept: the same headline within a day is the same story whatever it says."""

_MIN_HEADLINE_KEY = 12


@dataclass(frozen=True, slots=True)
class Report:
    """What the grouper needs to know of an article."""

    title: str
    description: str
    language: str | None
    published: datetime
    """Timezone-aware; the fetch time when the feed gives none."""
    source: str
    """The outlet (feed id or name): two reports of one outlet need a closer match."""
    link: str = ""
    """The canonical link (tracking parameters removed), empty when unknown."""


@dataclass(frozen=True, slots=True)
class Placement:
    """Where `StoryGrouper.place` put an article: an open story, or a new one."""

    story_id: int | None
    """The story it joins; None when it starts a story."""
    score: float
    """Similarity to the closest article of that story (1.0 for a shared link
    or headline); 0.0 for a new story."""


EntityKeys = Callable[[str, str | None], Iterable[str]]
"""The language-neutral keys of a text (`text, language -> keys`): people, places,
organizations, countries, numbers. Two reports in different languages are compared by these."""

# Function words and sentence openers: never names, and no evidence of one event either.
_NOT_NAMES_TEXT = (
    "der die das den dem des ein eine einer einem einen eines und oder aber in im an am auf "
    "aus bei mit nach von vor zu zum zur fur uber unter um als wie so ist sind war wird "
    "werden wurde hat haben sie er es wir ich nicht auch noch nur schon dass wenn weil man "
    "mehr sich was wer wo warum wieso neue neuer neues erste zwei drei vier funf bis seit "
    "gegen trotz wegen durch ohne nun jetzt heute doch erneut dieser diese dieses "
    "the a an and or but on at to of for from by with as is are was were be been has have "
    "had do does did will would can could should may might must it its he she they we you "
    "not no this that these those there here who what which when where why how all any "
    "some more most other such than then so if his her their our your after before over "
    "into about new first two three four five says said say amid despite why watch live "
    "up down out off just only very "
    "le la les un une des du de et en au aux dans pour par sur avec ce qui que est "
    "el los las y del al por para con se es una"
)
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())
_TOKEN = re.compile(r"[^\W_]+")
_MAX_NAME_WORDS = 4


def default_entity_keys(text: str, language: str | None) -> set[str]:
    """Capitalized names, numbers of two or more digits, and countries with their adjectives
    and demonyms as ISO codes (`feeds.countries`, `feeds.aliases`).

    `Nordkorea`, `North Korea`, `nordkoreanischen`, `North Korean` and `Corée du Nord` all
    give `@KP` (the longest name wins: `North Korea` counts once); `Putins` gives `putin`.
    In German every noun is capitalized too: those keys simply never meet an English report,
    and their weight counts against a cross-language match, which keeps it conservative.
    People and places across languages (`feeds.aliases.entity_for`) are not in by default:
    `entity_keys_with` adds such a table.
    """
    del language  # the table holds every language's names
    return {key for unit in name_units(text) for key in unit}


NameIndex = Callable[[str], str | None]
"""A table of people and places across languages and scripts, on folded names
(`"kim jong un" -> "kim-jong-un"`, `"peking" -> "beijing"`)."""


def name_units(text: str, entity_for: NameIndex | None = None) -> list[tuple[str, ...]]:
    """The names of a text, each as the keys of one *unit*: a country (`("@KP",)`), a number
    (`("#80",)`), or a run of adjacent capitalized words (`Kim Jong Un` gives one unit of
    the keys `kim` and `jong`, with `!kim-jong-un` when `entity_for` knows the name).

    A name of several words is one piece of evidence that two reports tell one event, not
    one per word; a table entry only lets two spellings of one name meet (`Peking`,
    `Beijing`), never adds a name of its own.
    """
    return _read(text, None, entity_for)[1]


_Word = tuple[str, tuple[str, ...], str | None]
"""What a token says, computed once per distinct token: its folded form (for the tables of
names), its keys (`_token_keys`), and its name key if it is capitalized (`Putins` → `putin`)."""

# Names run across spaces and hyphens only (`Kim Jong-un`); any other character, or two in a
# row, ends one (`… in Peking. Kims Begleiter …` are two names).
_BREAKS = re.compile(r"(?:[^\w \-\u00a0\u2011]|_)+|[ \-\u00a0\u2011]{2,}")


def _read(
    text: str, language: str | None, entity_for: NameIndex | None
) -> tuple[set[str], list[tuple[str, ...]]]:
    """A text's keys (`_token_keys` of every word) and its names (`name_units`), in one
    pass over its words: each article is read once."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    table, longest = _name_table()
    words = _WORDS
    content: set[str] = set()
    units: list[tuple[str, ...]] = []
    tokens: list[str] = []
    breaks: set[int] = set()  # where a segment without punctuation starts
    for segment in _BREAKS.split(text):
        breaks.add(len(tokens))
        tokens += _TOKEN.findall(segment)
    found = [words.get(token) or _word(token, language) for token in tokens]
    if found:
        content.update(*[word[1] for word in found])
        _names(tokens, found, breaks, table, longest, entity_for, units)
    return content, units


def _names(
    tokens: list[str],
    found: list[_Word],
    breaks: set[int],
    table: dict[str, tuple[str, bool]],
    longest: dict[str, int],
    entity_for: NameIndex | None,
    units: list[tuple[str, ...]],
) -> None:
    """`name_units` of a text's words, appended to `units`; a run of capitalized words is
    cut where punctuation stood (`breaks`), a country's name is not (`U.S.`, `Côte d’Ivoire`)."""
    count = len(tokens)
    run: list[int] = []  # the current run of capitalized words, by position
    end = 0  # tokens before it belong to a country's name already keyed
    # Most words are neither capitalized nor the start of a name: skipped in one pass.
    starts = [n for n, token in enumerate(tokens) if not token.islower() or found[n][0] in longest]
    for start in starts:
        if start < end:
            continue
        token = tokens[start]
        most = longest.get(found[start][0])
        if most is not None:
            for size in range(min(most, count - start), 0, -1):
                name = " ".join([w[0] for w in found[start : start + size]])
                known = table.get(name)
                # Lower case counts only for adjectives (`russischen`); names that are also
                # ordinary words (`trump`, `polish`) count only capitalized.
                if known is not None and (token[0].isupper() or known[1]):
                    if run:
                        _close(run, found, entity_for, units)
                    units.append((known[0],))
                    end = start + size
                    break
            if end > start:
                continue
        if token[0].isupper() and (run or found[start][2] is not None):
            # A name (German nouns too: see `default_entity_keys`), and a short word inside
            # one (`Kim Jong Un`: `Un` is no key of its own, but part of the name).
            if run and (run[-1] != start - 1 or start in breaks):
                _close(run, found, entity_for, units)
            run.append(start)
            continue
        if run:
            _close(run, found, entity_for, units)
        if len(token) > 1 and token.isdecimal():
            units.append(("#" + token,))
    if run:
        _close(run, found, entity_for, units)


def _close(
    run: list[int],
    found: list[_Word],
    entity_for: NameIndex | None,
    units: list[tuple[str, ...]],
) -> None:
    """Append the unit of a run of capitalized words to `units`, and empty the run."""
    keys = {key for n in run if (key := found[n][2]) is not None}
    if entity_for is not None:
        keys.update(_entities_of([found[n][0] for n in run], entity_for))
    if keys:
        units.append(tuple(sorted(keys)))
    run.clear()


def _word(token: str, language: str | None) -> _Word:
    """`_Word` of a token, remembered (unless its keys depend on the language)."""
    unspaced = is_unspaced(token)
    keys = _token_keys(token, language)
    if unspaced:
        return fold(token), keys, None
    name = keys[0] if keys and len(token) > 1 and token[0].isupper() else None
    word = fold_word(token), keys, name
    if len(_WORDS) >= _TOKEN_CACHE_LIMIT:
        _WORDS.clear()
    _WORDS[token] = word
    return word


def _entities_of(words: list[str], entity_for: NameIndex) -> set[str]:
    """The table's entities among a run of folded words (the longest name at each word)."""
    found: set[str] = set()
    start = 0
    while start < len(words):
        for width in range(min(_MAX_NAME_WORDS, len(words) - start), 0, -1):
            entity = entity_for(" ".join(words[start : start + width]))
            if entity is not None:
                found.add("!" + entity)
                start += width
                break
        else:
            start += 1
    return found


@cache
def _name_table() -> tuple[dict[str, tuple[str, bool]], dict[str, int]]:
    """Built once: every folded name (words joined by spaces) of a country or a country's
    adjective or demonym, with its key and whether it counts in lower case (German and French
    adjectives are written so); and the most words a name starting with each first word has.
    One lookup per word then finds every name in a text, whatever its length."""
    table: dict[str, tuple[str, bool]] = {}

    def put(name: str, key: str, lower_case: bool) -> None:
        words = [_fold_token(word) for word in _TOKEN.findall(name)]
        if 0 < len(words) <= _MAX_NAME_WORDS:
            joined = " ".join(words)
            lower_case = lower_case and joined not in ORDINARY_WORDS
            table.setdefault(joined, (sys.intern(key), lower_case))

    codes = country_table().codes
    for name, code in codes.items():
        put(name, "@" + code, False)
    # The press's abbreviations (`US: Donald Trump team denies …`): "US" is no name.
    for name, code in (("US", "US"), ("USA", "US"), ("UK", "GB")):
        put(name, "@" + code, False)
    for code in sorted(set(codes.values())):
        for name in country_forms(code):
            put(name, "@" + code, False)
        for name in demonyms(code):
            put(name, "@" + code, True)
    longest: dict[str, int] = {}
    for name in table:
        first, *rest = name.split(" ")
        longest[first] = max(len(rest) + 1, longest.get(first, 0))
    return table, longest


def entity_keys_with(entity_for: NameIndex) -> EntityKeys:
    """`default_entity_keys` plus the entities a table of people and places across languages
    and scripts knows, on folded names (`entity_for("selenskyj") == entity_for("zelensky")`):
    a hit adds the key `!<entity>`, which ties a German and an English report where the
    spellings differ."""

    def keys(text: str, language: str | None) -> set[str]:
        del language
        return {key for unit in name_units(text, entity_for) for key in unit}

    return keys


@lru_cache(maxsize=1 << 16)
def _fold_token(token: str) -> str:
    return fold(token) if is_unspaced(token) else fold_word(token)


def headline_key(title: str) -> str:
    """A headline reduced to folded words: two feeds' identical headlines meet here."""
    return fold(title)


@dataclass(frozen=True, slots=True)
class _Entry:
    """One article of the window, as the grouper remembers it."""

    story_id: int
    published: datetime
    language: str
    source: str
    keys: tuple[str, ...]
    """Lemmas and names, compared between reports in one language."""
    title_keys: tuple[str, ...]
    names: tuple[str, ...]
    """Names, numbers and country codes, compared across languages."""
    name_units: tuple[int, ...]
    """The unit (`name_units`) of each of `names`: `Kim Jong Un` is one name."""


@dataclass(frozen=True, slots=True)
class _Features:
    """A new report's keys (as in `_Entry`), computed once per report."""

    language: str
    keys: tuple[str, ...]
    """Sorted, so that sums over them do not depend on string hashing (deterministic)."""
    title_keys: frozenset[str]
    names: tuple[str, ...]
    name_units: tuple[int, ...]
    unit_of: dict[str, int]
    """`names` and `name_units` as a table."""
    name_set: frozenset[str]
    key_set: frozenset[str]
    """`keys` as a set: a comparison walks only the keys two reports share."""


@dataclass(frozen=True, slots=True)
class Tuning:
    """The grouper's thresholds (defaults measured on tests/data/stories)."""

    same_language: float = 0.16
    """Minimum weighted cosine of two reports in one language."""
    cross_language: float = 0.15
    """Minimum weighted cosine over the names of two reports in different languages."""
    min_shared_names: int = 2
    """Names two reports in different languages must share at least."""
    min_evidence: float = 6.0
    """Minimum summed IDF of the keys two reports share, a name of several words counting
    with its rarest word: about one rare word's worth (`ln(window / 2)`: 6.2 in a young
    window, 10 in a full one), so two short headlines that share only common words
    (`president`, `says`, a country) are no story however alike they look."""
    min_name_evidence: float = 9.0
    """The same across languages, over the shared names alone: a headline's two names
    (`Trump`, `American`) are no evidence of one event; a report's four or five are."""
    title_weight: float = 2.0
    """How much more a headline's key counts than a key of the description only."""
    same_source: float = 1.6
    """Threshold factor for two reports from one outlet."""
    decay: float = 3.0
    """The threshold rises by this multiple of itself over the window: four times as high for
    two reports 48 hours apart. Coverage of one event comes within hours; the same people
    and places make new events every day (Kim's arrival in Beijing, the parade a day later)."""
    seed_share: float = 0.5
    """A report joins a story only if it scores this share of `same_language` with the
    story's first report in its language (0: no such check)."""
    probe_keys: int = 20
    """The rarest keys of a new article whose postings give its candidates: an article's
    rarest words are often its own (`lawmakers`), the event's (`Lauderdale`, tens of reports
    in a day) come next, so twenty rather than a handful."""
    probe_names: int = 4
    """Names (beyond those among the rarest keys) whose postings also give candidates."""
    probe_postings: int = 400
    """Postings read per new article at most (the rarest keys first; under 1% of a full
    window): a key common enough to exceed it finds hundreds of articles that the rarer keys
    would not confirm anyway, and reading postings is most of the cost of grouping."""
    max_candidates: int = 40
    """Candidates scored in full (those sharing the most probe keys first)."""
    common_share: float = 0.02
    """Keys in more than this share of the window are too common to find candidates by."""
    min_common: int = 50
    """Keys in at most this many articles are always rare enough to find candidates by."""
    smoothing: int = 1000
    """Documents added to the window's count in the IDF, so a young window (few articles)
    does not take every word for a rare one."""


@dataclass(slots=True)
class StoryGrouper:
    """Groups articles into stories over a sliding window (see the module docstring)."""

    entity_for: NameIndex | None = None
    """People and places across languages and scripts on folded names (a `NameIndex`, e.g.
    built from `feeds.aliases.entities()`), or None for names as written (the default:
    measured on the labelled set, the table costs more recall than it gains)."""
    window: timedelta = WINDOW
    tuning: Tuning = field(default_factory=Tuning)
    _entries: dict[int, _Entry] = field(default_factory=dict)
    _postings: dict[str, list[int]] = field(default_factory=dict)
    _df: dict[str, int] = field(default_factory=dict)
    _story_languages: dict[int, dict[str, int]] = field(default_factory=dict)
    _story_seeds: dict[tuple[int, str], int] = field(default_factory=dict)
    """Per story and language: its first report, until it leaves the window."""
    _expiry: list[tuple[datetime, int]] = field(default_factory=list)
    _links: dict[str, tuple[datetime, int]] = field(default_factory=dict)
    _headlines: dict[str, tuple[datetime, int]] = field(default_factory=dict)
    _next_slot: int = 0
    _newest: datetime | None = None
    _norms: dict[int, tuple[int, float]] = field(default_factory=dict)
    _changes: int = 0
    """Articles added and evicted so far: the age of a cached norm."""
    _placed: tuple[Report, int, _Features] | None = None
    """The report `place` read last, the window's age then, and its features."""
    _descriptions: dict[tuple[str, str], datetime] = field(default_factory=dict)
    """(outlet, description lead as written) → when it was last seen: a description an outlet
    already used for another report in the window is its boilerplate ("Kurzer Text.", "Read more"),
    no evidence that two of its reports tell one event."""

    # --- the public face -------------------------------------------------------------------

    def add(self, report: Report, new_story: Callable[[], int]) -> int:
        """The story the report joins (an open one, or `new_story()`), remembered."""
        features = self._features(report)
        self._evict(report.published)
        placement = self._place(report, features)
        story_id = placement.story_id if placement.story_id is not None else new_story()
        self._insert(features, report, story_id)
        return story_id

    def place(self, report: Report) -> Placement:
        """Which open story the report belongs to, without remembering it."""
        self._evict(report.published)
        features = self._features(report)
        self._placed = (report, self._changes, features)
        return self._place(report, features)

    def remember(self, report: Report, story_id: int) -> None:
        """Put a report into the window as part of `story_id` (after `place`, or on `load`)."""
        self._evict(report.published)
        placed = self._placed
        if placed is not None and placed[0] is report and placed[1] == self._changes:
            features = placed[2]  # read by `place` just before: each article is read once
        else:
            features = self._features(report)
        self._placed = None
        self._insert(features, report, story_id)

    def load(self, items: Iterable[tuple[Report, int]]) -> None:
        """Rebuild the window from stored articles and their story ids (oldest first is best)."""
        _country_stems()  # built once now rather than by the first new article
        for report, story_id in sorted(items, key=lambda item: item[0].published):
            self.remember(report, story_id)

    def score_all(self, report: Report) -> Placement:
        """`place` by scoring every article of the window (the benchmark's baseline)."""
        features = self._features(report)
        return self._best(features, self._weights(features), report, list(self._entries))

    def is_open(self, published: datetime) -> bool:
        """Whether an article published then can still join a story: it is not older than the
        window, measured from the newest time seen (a new feed's backlog of last week is not,
        while today's news fill the window)."""
        return self._newest is None or published >= self._newest - self.window

    def __len__(self) -> int:
        """Articles in the window."""
        return len(self._entries)

    def memory_bytes(self) -> int:
        """A shallow estimate of the window's memory (containers and their entries; the key
        strings themselves are shared with the word caches of `feeds.normalize`)."""
        size = sys.getsizeof
        total = size(self._entries) + size(self._postings) + size(self._df)
        total += size(self._links) + size(self._headlines) + size(self._expiry)
        for table in (self._story_languages, self._story_seeds, self._norms, self._descriptions):
            total += size(table)
        total += sum(map(size, self._story_languages.values()))
        for entry in self._entries.values():
            total += size(entry) + size(entry.keys) + size(entry.title_keys) + size(entry.names)
        return total + sum(map(size, self._postings.values()))

    # --- features --------------------------------------------------------------------------

    def _features(self, report: Report) -> _Features:
        description = _lead(report.description)
        seen = self._descriptions.get((report.source, description.strip()))
        if seen is not None and abs(report.published - seen) <= self.window:
            description = ""  # the outlet's boilerplate, not this report's words
        title, title_units = _read(report.title, report.language, self.entity_for)
        body, body_units = _read(description, report.language, self.entity_for)
        unit_of: dict[str, int] = {}
        all_units = (*title_units, *body_units)
        for position, unit in enumerate(all_units):
            # A name written in full and later in part (`Kim Jong Un`, `Kim`) is one unit.
            known = [unit_of[key] for key in unit if key in unit_of]
            number = min(known) if known else position
            for key in unit:
                unit_of.setdefault(key, number)
        names = sorted(unit_of)
        units = tuple(unit_of[name] for name in names)
        # Table entries tie spellings across languages; within one language the names as
        # written already meet, and counting a name twice would outweigh the other words.
        keys = title | body | {name for name in names if not name.startswith("!")}
        return _Features(
            report.language or "",
            tuple(sorted(keys)),
            frozenset(title),
            tuple(names),
            units,
            unit_of,
            frozenset(names),
            frozenset(keys),
        )

    # --- the window ------------------------------------------------------------------------

    def _note_description(self, report: Report) -> None:
        """Remember when this outlet last used this description (its boilerplate, if again)."""
        if lead := _lead(report.description).strip():
            said = (report.source, lead)
            seen = self._descriptions.get(said)
            self._descriptions[said] = max(seen, report.published) if seen else report.published

    def _insert(self, features: _Features, report: Report, story_id: int) -> None:
        self._note_description(report)
        slot = self._next_slot
        self._next_slot += 1
        entry = _Entry(
            story_id,
            report.published,
            features.language,
            report.source,
            features.keys,
            tuple(sorted(features.title_keys)),
            features.names,
            features.name_units,
        )
        self._entries[slot] = entry
        self._changes += 1
        for key in {*features.keys, *features.names}:
            self._postings.setdefault(key, []).append(slot)
            self._df[key] = self._df.get(key, 0) + 1
        languages = self._story_languages.setdefault(story_id, {})
        languages[entry.language] = languages.get(entry.language, 0) + 1
        self._story_seeds.setdefault((story_id, entry.language), slot)
        heapq.heappush(self._expiry, (report.published, slot))
        if report.link:
            self._links[report.link] = (report.published, story_id)
        headline = headline_key(report.title)
        if len(headline) >= _MIN_HEADLINE_KEY:
            self._headlines[headline] = (report.published, story_id)
        if self._newest is None or report.published > self._newest:
            self._newest = report.published
        # Its length now, while its keys' weights are at hand: a later comparison finds it.
        self._norm(slot, entry)

    def _evict(self, now: datetime) -> None:
        """Forget articles older than the window, measured from the newest time seen."""
        newest = now if self._newest is None or now > self._newest else self._newest
        horizon = newest - self.window
        if len(self._descriptions) > 2 * len(self._entries) + 64:
            self._descriptions = {k: t for k, t in self._descriptions.items() if t >= horizon}
        while self._expiry and self._expiry[0][0] < horizon:
            _, slot = heapq.heappop(self._expiry)
            entry = self._entries.pop(slot)
            self._norms.pop(slot, None)
            self._changes += 1
            for key in set(entry.keys) | set(entry.names):
                left = self._df[key] - 1
                if left:
                    self._df[key] = left
                    postings = self._postings[key]
                    if len(postings) > 2 * left + 8:  # mostly evicted slots: compact it
                        self._postings[key] = [s for s in postings if s in self._entries]
                else:
                    del self._df[key]
                    del self._postings[key]
            if self._story_seeds.get((entry.story_id, entry.language)) == slot:
                del self._story_seeds[entry.story_id, entry.language]
            languages = self._story_languages[entry.story_id]
            if languages[entry.language] > 1:
                languages[entry.language] -= 1
            else:
                del languages[entry.language]
                if not languages:
                    del self._story_languages[entry.story_id]
        if len(self._links) > 2 * len(self._entries) + 64:
            self._links = {k: v for k, v in self._links.items() if v[0] >= horizon}
            self._headlines = {k: v for k, v in self._headlines.items() if v[0] >= horizon}

    def _same_link_or_headline(self, report: Report) -> int | None:
        if report.link:
            known = self._links.get(report.link)
            if known is not None and abs(known[0] - report.published) <= self.window:
                return known[1]
        headline = headline_key(report.title)
        if len(headline) >= _MIN_HEADLINE_KEY:
            known = self._headlines.get(headline)
            if known is not None and abs(known[0] - report.published) <= SAME_HEADLINE_WINDOW:
                return known[1]
        return None

    # --- similarity ------------------------------------------------------------------------

    def _idf(self, key: str) -> float:
        documents = len(self._entries) + self.tuning.smoothing
        return math.log(documents / (self._df.get(key, 0) + 1))

    def _idfs(self, keys: Iterable[str]) -> list[float]:
        """`_idf` of many keys at once: log(documents) - log(df + 1), the second from a table
        (weighing the keys of a new article and of a stale entry is most of the scoring)."""
        top = math.log(len(self._entries) + self.tuning.smoothing)
        logs = _log_counts(len(self._entries))
        df = self._df.get
        return [top - logs[df(key, 0)] for key in keys]

    def _weights(self, features: _Features) -> dict[str, float]:
        keys = (*features.keys, *features.names)
        return dict(zip(keys, self._idfs(keys), strict=True))

    def _place(self, report: Report, features: _Features) -> Placement:
        shared = self._same_link_or_headline(report)
        if shared is not None:
            return Placement(shared, 1.0)
        tuning = self.tuning
        weights = self._weights(features)
        common = max(tuning.min_common, int(len(self._entries) * tuning.common_share))
        usable = sorted(
            (key for key in weights if 0 < self._df.get(key, 0) <= common),
            key=lambda key: (-weights[key], key),
        )
        # The rarest keys find reports in this language; reports in other languages share
        # only names, which are seldom among a long German text's rarest words.
        probes = usable[: tuning.probe_keys]
        probes += [key for key in usable[tuning.probe_keys :] if key in features.name_set][
            : tuning.probe_names
        ]
        counts: Counter[int] = Counter()
        budget = tuning.probe_postings
        for key in probes:
            postings = self._postings[key]
            if len(postings) > budget and counts:
                continue  # a commoner key: little evidence for its cost
            budget -= len(postings)
            counts.update(postings)  # a C loop: the hottest few lines of grouping
        # One shared rare word is chance; a report of the same event shares several.
        least = min(2, len(probes))
        entries = self._entries
        candidates = [slot for slot, count in counts.items() if count >= least and slot in entries]
        if len(candidates) > tuning.max_candidates:
            # Those sharing the most probe keys, then the newest (the threshold rises with
            # age: an older one must share more anyway).
            candidates.sort(key=lambda slot: (-counts[slot], -slot))
            del candidates[tuning.max_candidates :]
        return self._best(features, weights, report, sorted(candidates))

    def _best(
        self,
        features: _Features,
        weights: dict[str, float],
        report: Report,
        candidates: list[int],
    ) -> Placement:
        """The story of the closest article that clears its threshold, among the stories
        whose first report in the new article's language it also resembles (no chains: A
        like B, B like C, C nothing like A)."""
        tuning = self.tuning
        published = report.published
        own = self._own_norm(features, weights)
        found: dict[int, float] = {}  # story -> the score of its closest article
        for slot in candidates:
            entry = self._entries[slot]
            age = abs(published - entry.published) / self.window
            if age > 1:
                continue
            if _comparable(features.language, entry.language):
                score = self._cosine(features, weights, own, slot, entry)
                needed = tuning.same_language
            elif features.language in self._story_languages.get(entry.story_id, {}):
                # The story has reports in this language, and none of them was close enough
                # (or this one would have joined through it): names alone do not outweigh that.
                continue
            else:
                score = self._name_cosine(features, weights, entry)
                needed = tuning.cross_language
            if entry.source == report.source:
                # One outlet's series share their boilerplate ("Top 10:", "heise-Angebot:").
                needed *= tuning.same_source
            needed *= 1 + tuning.decay * age
            if score >= needed and score > found.get(entry.story_id, 0.0):
                found[entry.story_id] = score
        for story_id, score in sorted(found.items(), key=lambda item: (-item[1], item[0])):
            if self._agrees_with_seed(features, weights, own, report, story_id):
                return Placement(story_id, score)
        return Placement(None, 0.0)

    def _agrees_with_seed(
        self,
        features: _Features,
        weights: dict[str, float],
        own: float,
        report: Report,
        story_id: int,
    ) -> bool:
        """Whether the report is close enough to the story's first report in its language
        (when that is still in the window): `seed_share` of the pairwise threshold."""
        share = self.tuning.seed_share
        slot = self._story_seeds.get((story_id, features.language))
        if not share or slot is None:
            return True
        entry = self._entries[slot]
        age = abs(report.published - entry.published) / self.window
        needed = share * self.tuning.same_language * (1 + self.tuning.decay * age)
        return self._cosine(features, weights, own, slot, entry) >= needed

    def _own_norm(self, features: _Features, weights: dict[str, float]) -> float:
        boost = self.tuning.title_weight
        title = features.title_keys
        return sum((weights[key] * (boost if key in title else 1.0)) ** 2 for key in features.keys)

    def _norm(self, slot: int, entry: _Entry) -> float:
        """An entry's squared length under the window's IDF, recomputed when the window has
        changed by a fifth since (IDF drifts slowly: a fifth more articles moves a key's
        weight by log 1.2 of about 8, the cosine by 2% at most; summing it per comparison
        would be the costliest part of scoring)."""
        cached = self._norms.get(slot)
        if cached is not None and abs(self._changes - cached[0]) * 5 <= len(self._entries):
            return cached[1]
        boost = self.tuning.title_weight
        weights = self._idfs(entry.keys)
        title = self._idfs(entry.title_keys)
        norm = _squares(weights) + (boost * boost - 1) * _squares(title)
        self._norms[slot] = (self._changes, norm)
        return norm

    def _cosine(
        self,
        features: _Features,
        weights: dict[str, float],
        own: float,
        slot: int,
        entry: _Entry,
    ) -> float:
        """Weighted cosine of two reports in one language; zero below the minimum evidence."""
        tuning = self.tuning
        boost = tuning.title_weight
        mine = features.title_keys
        theirs_title = entry.title_keys
        dot = evidence = 0.0
        # Sorted, as `entry.keys` is: the sums do not depend on string hashing.
        beyond_countries = False
        unit_of = features.unit_of
        names: dict[int, float] = {}  # the shared names' units and their rarest key
        for key in sorted(features.key_set.intersection(entry.keys)):
            base = weights[key]
            beyond_countries = beyond_countries or not _about_a_country(key)
            unit = unit_of.get(key)
            if unit is None:
                evidence += base
            elif base > names.get(unit, 0.0):
                # `Donald Trump` is one name: it counts as its rarest word, not as two
                # pieces of evidence that two reports tell one event.
                evidence += base - names.get(unit, 0.0)
                names[unit] = base
            dot += (
                base
                * base
                * (boost if key in theirs_title else 1.0)
                * (boost if key in mine else 1.0)
            )
        if evidence < tuning.min_evidence or not beyond_countries:
            return 0.0
        theirs = self._norm(slot, entry)
        if not own or not theirs:
            return 0.0
        return dot / math.sqrt(own * theirs)

    def _name_cosine(self, features: _Features, weights: dict[str, float], entry: _Entry) -> float:
        """IDF-weighted cosine over the names of two reports in different languages; zero
        unless they share `min_shared_names` names and the minimum evidence, and among them a
        name that is not a country's, or two countries (`Spanien und Portugal`, `Spain and
        Portugal`): one country in common is two stories about it, not one event."""
        tuning = self.tuning
        mine = features.name_set
        shared = [name for name in entry.names if name in mine]
        if len(shared) < tuning.min_shared_names:
            return 0.0

        if sum(weights[name] for name in shared) < tuning.min_name_evidence:
            return 0.0
        countries = sum(name.startswith("@") for name in shared)
        if countries < 2 and all(map(_about_a_country, shared)):
            return 0.0
        dot = sum(weights[name] ** 2 for name in shared)
        own = sum(weights[name] ** 2 for name in features.names)
        theirs = sum(self._idf(name) ** 2 for name in entry.names)
        return dot / math.sqrt(own * theirs)


_LOG_COUNTS: list[float] = [0.0]


def _log_counts(most: int) -> list[float]:
    """`log(count + 1)` for every count up to `most` (a document frequency), by index."""
    if len(_LOG_COUNTS) <= most + 1:
        _LOG_COUNTS.extend(math.log(n + 1) for n in range(len(_LOG_COUNTS), 2 * most + 2))
    return _LOG_COUNTS


def _squares(values: list[float]) -> float:
    return float(sum(map(operator.mul, values, values)))


def _comparable(language: str, other: str) -> bool:
    """Whether two reports are compared word by word (same or unknown language)."""
    return language == other or not language or not other


_LEAD_CHARACTERS = 1500
"""How much of a description counts: a news text says what happened first (the inverted
pyramid); the rest of a 20 kB description adds background shared with other events, and cost."""


def _lead(description: str) -> str:
    """The description's first `_LEAD_CHARACTERS`, cut at a space."""
    if len(description) <= _LEAD_CHARACTERS:
        return description
    cut = description.rfind(" ", 0, _LEAD_CHARACTERS)
    return description[: cut if cut > 0 else _LEAD_CHARACTERS]


def _about_a_country(key: str) -> bool:
    """Whether a key only names a country (`@KP`, or the stem of one of its one-word names,
    adjectives or demonyms: `nordkorea`): two reports that share nothing else are two stories
    about one country, not one event, however short their headlines."""
    return key.startswith("@") or key in _country_stems()


@cache
def _country_stems() -> frozenset[str]:
    table, _longest = _name_table()
    stems: set[str] = set()
    for name, (key, _lower_case) in table.items():
        if key.startswith("@") and " " not in name:
            for genitive_s in (True, False):
                stems.update(_token_keys(name, None if genitive_s else "en"))
    return frozenset(stems)


# A token's keys, remembered for as many words as a 48-hour window of 50,000 articles uses
# (about 15 MB): folding and stemming a word is cheap, but not free.
_TOKEN_CACHE_LIMIT = 1 << 18
_WORDS: dict[str, _Word] = {}


def _token_keys(token: str, language: str | None) -> tuple[str, ...]:
    """The keys of one token: its folded stem, or the bigrams of an unspaced run (`analyze`);
    none for function words and one-letter words."""
    if is_unspaced(token):
        keys = map(canonical, analyze(token, language))
        return tuple(key for key in keys if len(key) > 1)
    word = fold_word(token)
    if len(word) < 2 or word in _NOT_NAMES:
        return ()
    return (_stem(word),)


# Light stemming is enough to group reports (`Raketen`/`Rakete`, `missiles`/`missile`,
# `Putins`/`Putin`) and costs a few string tests per new word, where the matcher's dictionary
# lemmatizer costs lookups in a compressed table, most of all for the names it does not know;
# the stem is never shown or matched against a query, only compared with other stems.
_SUFFIXES = ("ern", "ing", "ies", "en", "er", "es", "ed", "e", "s", "n")
_MIN_STEM = 4


def _stem(folded: str) -> str:
    """A folded word without its most common German, English or Romance endings, stripped
    until none is left (`putins` → `putin` → `puti`, as `putin` alone: one key for both)."""
    stripped = True
    while stripped:
        stripped = False
        for suffix in _SUFFIXES:
            if folded.endswith(suffix) and len(folded) - len(suffix) >= _MIN_STEM:
                folded = folded[: -len(suffix)]
                stripped = True
                break
    return folded
