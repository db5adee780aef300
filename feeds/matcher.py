"""Match articles against every subscription at once, without looping over subscriptions.

`Matcher.match(title, teaser)` normalizes the article once (`feeds.normalize.analyze`), then
looks its keys up in an inverted index built from the subscriptions' literals:

- Subscriptions with the same query tree share one *group*; a tree that is an OR is split
  into its branches (a country's names are such branches).
- A branch that is a single word or a prefix is *direct*: the index maps each of its keys to
  the subscription ids, and an article carrying the key matches them, no questions asked.
- Any other branch (AND, phrase, exclusions, nested OR) is a candidate *entry*. It is
  registered under an *anchor* (the forms of one literal it cannot match without: for an AND
  the longest word, for an OR every branch), up to three more *needs* (other words it
  requires) and its excluded words. Set operations over the article's keys keep the entries
  whose anchor and needs occur and whose excluded words do not; an AND of a few plain words
  (`trump iran`, `nordkorea (rakete OR atom)`) is decided right there, only the others have
  their compiled tree (nested closures) evaluated.
- A query that excludes plain words at its top (`Trump -golf`, `Iran -sport`, `a b -c`) is
  registered without them, and each excluded key *vetoes* the query's subscription ids: they
  are taken from the article's result last. The common `word -other` is thus a direct
  branch, no entry and no candidate set operation.
- Prefix literals are bucketed by their first three letters; the hits of each article word
  are memoized in the frozen main index.

The per-article work is thus a handful of C-level set operations over the article's ~40 keys,
plus the output itself; it does not grow with the number of subscriptions, only with how
many match.

Updates: `add` and `remove` take effect for the next `match` without rebuilding: additions
go to a small side index, and subscriptions removed or replaced since the main index was built
are hidden from its results. `compact()` folds everything into a fresh main index; it works
on a snapshot outside the lock and swaps the result in atomically, so it can run in a worker
thread. The matcher starts no thread itself: the application runs `compact()` (from a job)
once `pending` exceeds `COMPACT_AFTER`. Readers never take the lock: `match` reads one
immutable state snapshot.

Topics (see `feeds.query`): a German compound's position carries `+`-marked keys of its parts;
the article's key sets carry them unmarked too, so a word finds the compounds it is part of
(`Korea` finds `Nordkorea`, `Rakete*` finds `Interkontinentalrakete`) at no cost in the index.
A quoted word is checked against the key sets without the parts. Matching reads the whole title and
description it is given; its cost grows with the number of distinct words, not their length.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TypeGuard, cast

from feeds.normalize import COMPOUND, Position, analyze
from feeds.query import And, Node, Not, Or, Query, Term

__all__ = ["Matcher"]

_PREFIX_BUCKET = 3
"""Prefix literals are bucketed by this many leading characters (the minimum prefix length)."""

_Anchor = tuple[bool, str]
"""(is_prefix, key): a literal an entry cannot match without."""


_first = itemgetter(0)


class _Article:
    """One article's word positions with the lookups the evaluation needs."""

    __slots__ = (
        "all_keys",
        "all_surfaces",
        "exact_all_keys",
        "exact_title_keys",
        "key_positions",
        "positions",
        "title_keys",
        "title_length",
        "title_surfaces",
    )

    def __init__(self, title: str, teaser: str, language: str | None) -> None:
        title_positions = analyze(title, language)
        teaser_positions = analyze(teaser, language)
        self.title_length = len(title_positions)
        self.positions: list[Position] = title_positions + teaser_positions
        self.key_positions: dict[str, list[int]] | None = None
        # set().union(*tuples) and map(itemgetter) iterate in C.
        self.title_keys: set[str] = set().union(*title_positions)
        self.all_keys: set[str] = self.title_keys.union(*teaser_positions)
        self.title_surfaces = set(map(_first, title_positions))
        self.all_surfaces = self.title_surfaces.union(map(_first, teaser_positions))
        # The parts of German compounds count as words, except for quoted words: `korea` of
        # `Nordkorea`, `rakete` of `Interkontinentalrakete` (for prefixes too).
        self.exact_all_keys = self.all_keys
        self.exact_title_keys = self.title_keys
        parts = [key[1:] for key in self.all_keys if key[0] == COMPOUND]
        if parts:
            title_parts = [key[1:] for key in self.title_keys if key[0] == COMPOUND]
            self.exact_all_keys = set(self.all_keys)
            self.all_keys.update(parts)
            self.all_surfaces.update(parts)
            if title_parts:
                self.exact_title_keys = set(self.title_keys)
                self.title_keys.update(title_parts)
                self.title_surfaces.update(title_parts)

    def has_phrase(self, term: Term) -> bool:
        """Whether the words of the term occur consecutively (in the headline, if title-only)."""
        keys = self.title_keys if term.title_only else self.all_keys
        last = len(term.words) - 1
        # Most candidate phrases lack one of their words: a set test is far cheaper than
        # walking positions.
        for number, forms in enumerate(term.forms):
            if forms.isdisjoint(keys) and not (term.prefix and number == last):
                return False
        first, positions, length = term.forms[0], self.positions, len(term.words)
        end_limit = self.title_length if term.title_only else len(positions)
        for start in self._starts(first, end_limit - length + 1):
            if first.isdisjoint(positions[start]):
                continue
            # A phrase lies within the headline or within the teaser, never across both.
            if start < self.title_length < start + length:
                continue
            for offset in range(1, length):
                position = positions[start + offset]
                if offset == last and term.prefix:
                    if not position[0].startswith(term.words[last]):
                        break
                elif term.forms[offset].isdisjoint(position):
                    break
            else:
                return True
        return False

    def _starts(self, first: frozenset[str], stop: int) -> Iterable[int]:
        """The positions a phrase may start at (before `stop`): all of them in a short text,
        where walking is cheapest; in a long one (a whole description), only those carrying
        one of the first word's forms, from an index of the positions built on first use."""
        if len(self.positions) <= _LONG_TEXT:
            return range(stop)
        index = self.key_positions
        if index is None:
            index = self.key_positions = defaultdict(list)
            for number, position in enumerate(self.positions):
                for key in position:
                    index[key].append(number)
        found = sorted({n for key in first if key in index for n in index[key]})
        return [n for n in found if n < stop]


_LONG_TEXT = 200
"""Word positions above which phrases are looked up in an index of positions."""


Check = Callable[[_Article], bool]
"""A compiled query tree: whether an article matches it."""


def _compile(node: Node) -> Check:
    """Turn a tree into nested closures: far cheaper per article than walking the tree."""
    if isinstance(node, Term):
        return _compile_term(node)
    if isinstance(node, Not):
        inner = _compile(node.child)
        return lambda article: not inner(article)
    if isinstance(node, And):
        words = _plain_words(node)
        if words is not None:
            return _all_words(*words)
        checks = tuple(_compile(child) for child in node.children)

        def every(article: _Article) -> bool:
            for branch in checks:  # noqa: SIM110 - cheaper than all() over a generator
                if not branch(article):
                    return False
            return True

        return every
    return _compile_or(node)


def _compile_or(node: Or) -> Check:
    """Single words are one set test together; the other branches are tried only when a key
    they need occurs (a country's dozens of phrases cost one test on most articles)."""
    words: set[str] = set()
    title_words: set[str] = set()
    others: list[Node] = []
    for child in _branches(node):
        term = _plain_word(child)
        if term is None:
            others.append(child)
        else:
            (title_words if term.title_only else words).update(term.forms[0])
    checks = tuple(_compile(child) for child in others)
    anchors = [anchor for child in others for anchor in (_anchors(child) or [(True, "")])]
    needed = None if any(p for p, _key in anchors) else frozenset(key for _p, key in anchors)
    any_word, any_title_word = frozenset(words), frozenset(title_words)

    def check(article: _Article) -> bool:
        if any_word and not any_word.isdisjoint(article.all_keys):
            return True
        if any_title_word and not any_title_word.isdisjoint(article.title_keys):
            return True
        if needed is not None and needed.isdisjoint(article.all_keys):
            return False
        for branch in checks:  # noqa: SIM110 - cheaper than any() over a generator
            if branch(article):
                return True
        return False

    return check


def _branches(node: Node) -> Iterator[Node]:
    """The alternatives of a node: the children of nested ORs, flattened."""
    if isinstance(node, Or):
        for child in node.children:
            yield from _branches(child)
    else:
        yield node


def _compile_term(term: Term) -> Check:
    if len(term.words) > 1:
        return lambda article: article.has_phrase(term)
    start, forms = term.words[0], term.forms[0]
    if term.prefix:
        if term.title_only:
            return lambda article: any(s.startswith(start) for s in article.title_surfaces)
        return lambda article: any(s.startswith(start) for s in article.all_surfaces)
    if term.exact:
        if term.title_only:
            return lambda article: not forms.isdisjoint(article.exact_title_keys)
        return lambda article: not forms.isdisjoint(article.exact_all_keys)
    if term.title_only:
        return lambda article: not forms.isdisjoint(article.title_keys)
    return lambda article: not forms.isdisjoint(article.all_keys)


def _plain_words(node: And) -> tuple[tuple[frozenset[str], ...], frozenset[str]] | None:
    """For an AND of plain words and excluded plain words (the usual `a b -c`): the forms
    of each required word and the union of the excluded ones; None for anything else."""
    required: list[frozenset[str]] = []
    excluded: set[str] = set()
    for child in node.children:
        negated = isinstance(child, Not)
        term = child.child if isinstance(child, Not) else child
        if (
            not isinstance(term, Term)
            or len(term.words) > 1
            or term.prefix
            or term.title_only
            or term.exact
        ):
            return None
        if negated:
            excluded |= term.forms[0]
        else:
            required.append(term.forms[0])
    return tuple(required), frozenset(excluded)


def _all_words(required: tuple[frozenset[str], ...], excluded: frozenset[str]) -> Check:
    def check(article: _Article) -> bool:
        keys = article.all_keys
        if not excluded.isdisjoint(keys):
            return False
        return all(not forms.isdisjoint(keys) for forms in required)

    return check


def _is_direct(node: Node) -> TypeGuard[Term]:
    """A single-word term: the index lookup alone decides it (not for a quoted word, which
    must not match a compound's part)."""
    return isinstance(node, Term) and len(node.words) == 1 and not node.exact


def _selectivity(anchors: list[_Anchor]) -> float:
    """Guess how rarely a set of anchors occurs: longer keys are rarer; prefixes and many
    alternatives are more common."""
    shortest = min(len(key) - (2.5 if is_prefix else 0.0) for is_prefix, key in anchors)
    return shortest - len(anchors) / 8


def _term_anchors(term: Term) -> list[_Anchor]:
    last = len(term.words) - 1
    best = max(range(len(term.words)), key=lambda i: len(term.words[i]) - (i == last) * 0.5)
    if term.prefix and best == last:
        return [(True, term.words[last])]
    return [(False, form) for form in sorted(term.forms[best])]


def _anchors(node: Node) -> list[_Anchor] | None:
    """The literals one of which must occur for the node to match; None for a negation."""
    if isinstance(node, Term):
        return _term_anchors(node)
    if isinstance(node, Not):
        return None
    if isinstance(node, Or):
        union: list[_Anchor] = []
        for child in node.children:
            anchors = _anchors(child)
            if anchors is None:
                return None
            union.extend(anchors)
        return union
    best: list[_Anchor] | None = None
    for child in node.children:
        anchors = _anchors(child)
        if anchors is not None and (best is None or _selectivity(anchors) > _selectivity(best)):
            best = anchors
    return best


_SMALL_IDS = 4
_Keyed = dict[str, Collection[int]]
"""Key → ids: lists while an index is built, frozensets once frozen (faster to unite)."""


def _add(table: _Keyed, key: str, values: Iterable[int]) -> None:
    current = table.get(key)
    if isinstance(current, list):
        current.extend(values)
    else:
        table[key] = [*(current or ()), *values]


def _frozen(table: _Keyed) -> _Keyed:
    # Equal id groups become one shared object: a word's forms (`raketen`, `rakete`, its
    # transliteration key) all point to the same subscriptions.
    shared: dict[Collection[int], Collection[int]] = {}
    return {key: shared.setdefault(ids, ids) for key, ids in _compacted(table)}


def _compacted(table: _Keyed) -> Iterator[tuple[str, Collection[int]]]:
    for key, values in table.items():
        yield key, _compact_ids(values)


def _compact_ids(values: Collection[int]) -> Collection[int]:
    """Ids as a frozenset when many (fast to unite), as a tuple when few (a frozenset of one
    id costs 216 bytes, a tuple 48: most keys belong to one or two subscriptions)."""
    if len(values) > _SMALL_IDS:
        ids = set(values)
        if len(ids) > _SMALL_IDS:
            # Copied from a set, a frozenset's table is sized once for its final count (at
            # most 50% empty); grown id by id it ended up 3-7 times larger than its ids (18 MB
            # of tables for 315,000 ids at 100,000 subscriptions), slower to unite too.
            return frozenset(ids)
    return tuple(dict.fromkeys(values))


class _Prefixes:
    """Prefix literals → values, found for a word with a few dict lookups.

    Prefixes are bucketed by their first three letters; a bucket knows the lengths of its
    prefixes, so a word costs one lookup for its bucket and one per length in it. Once frozen
    (no more additions), the values found for each word are memoized: news repeats its words.
    """

    __slots__ = ("_buckets", "_memo")

    _MEMO_LIMIT = 1 << 16

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[list[int], dict[str, Collection[int]]]] = {}
        self._memo: dict[str, Collection[int]] | None = None

    def __bool__(self) -> bool:
        return bool(self._buckets)

    def add(self, prefix: str, values: Iterable[int]) -> None:
        lengths, starts = self._buckets.setdefault(prefix[:_PREFIX_BUCKET], ([], {}))
        if len(prefix) not in lengths:
            lengths.append(len(prefix))
            lengths.sort()
        _add(starts, prefix, values)
        self._memo = None

    def freeze(self) -> None:
        for _lengths, starts in self._buckets.values():
            starts.update(_frozen(starts))
        self._memo = {}

    def _values(self, word: str) -> Collection[int]:
        bucket = self._buckets.get(word[:_PREFIX_BUCKET])
        if bucket is None:
            return _NONE
        values: set[int] = set()
        lengths, starts = bucket
        for length in lengths:
            if length > len(word):
                break
            found = starts.get(word[:length])
            if found is not None:
                values.update(found)
        # Memoized for every word of every article: most words hit no prefix, and a new empty
        # frozenset each (216 bytes) made 4 MB after 3,000 articles, 14 MB once the memo fills.
        return _compact_ids(values) if values else _NONE

    def hits(self, words: Collection[str], into: set[int]) -> None:
        """Add the values of every prefix of any of the words."""
        memo = self._memo
        if memo is None:
            into.update(*map(self._values, words))
            return
        ordered = list(words)
        found = list(map(memo.get, ordered))
        if None in found:
            if len(memo) >= self._MEMO_LIMIT:
                memo.clear()
            for number, values in enumerate(found):
                if values is None:
                    word = ordered[number]
                    found[number] = memo[word] = self._values(word)
        into.update(*found)  # type: ignore[arg-type]  # no None is left


_NONE: frozenset[int] = frozenset()


_MORE_NEEDS = 3
"""Besides its anchor, up to this many more key sets an entry needs are checked as set
operations before its tree is evaluated."""


def _needs(node: Node) -> list[frozenset[str]]:
    """Key sets one of whose keys must occur for the node to match (each set on its own)."""
    if isinstance(node, Term):
        words = len(node.words) - 1 if node.prefix else len(node.words)
        return list(node.forms[:words])
    if isinstance(node, Not):
        return []
    if isinstance(node, And):
        return [need for child in node.children for need in _needs(child)]
    union: set[str] = set()
    for child in node.children:
        needs = _needs(child)
        if not needs:
            return []
        best: frozenset[str] = max(needs, key=_need_selectivity)
        union |= best
    return [frozenset(union)]


def _need_selectivity(need: frozenset[str]) -> float:
    return _selectivity([(False, key) for key in need])


def _plain_word(node: Node) -> Term | None:
    if _is_direct(node) and not node.prefix:
        return node
    return None


def _excluded_words(node: Node) -> frozenset[str]:
    """Keys whose presence alone rules the node out: its excluded plain words."""
    if not isinstance(node, And):
        return frozenset()
    keys: set[str] = set()
    for child in node.children:
        if isinstance(child, Not) and (term := _plain_word(child.child)) and not term.title_only:
            keys |= term.forms[0]
    return frozenset(keys)


def _vetoes(root: Node) -> tuple[Node, frozenset[str]] | None:
    """For a tree that is an AND excluding plain words (or ORs of plain words) at its top:
    the tree without those exclusions and the keys of the excluded words (any of them rules
    the query out); None for any other tree."""
    if not isinstance(root, And):
        return None
    rest: list[Node] = []
    vetoes: set[str] = set()
    for child in root.children:
        if isinstance(child, Not) and all(map(_is_plain_word, _branches(child.child))):
            for branch in _branches(child.child):
                vetoes |= cast(Term, branch).forms[0]
        else:
            rest.append(child)
    if not vetoes or all(isinstance(child, Not) for child in rest):
        return None
    return (rest[0] if len(rest) == 1 else And(tuple(rest))), frozenset(vetoes)


def _decided_by_keys(node: Node) -> bool:
    """Whether the anchor, the needs and the excluded words decide the node exactly:
    an AND of a few plain words or ORs of plain words, some plain words excluded
    (`korea -south`, `trump iran`, `Iran -sport` with Iran's names in every language)."""
    if not isinstance(node, And):
        return False
    positive = 0
    for child in node.children:
        if isinstance(child, Not):
            if not _is_plain_word(child.child):
                return False
        elif all(map(_is_plain_word, _branches(child))):
            positive += 1
        else:
            return False
    return positive <= _MORE_NEEDS + 1


def _is_plain_word(node: Node) -> bool:
    term = _plain_word(node)
    return term is not None and not term.title_only


def _split_plain_branches(node: Node) -> tuple[Node, ...]:
    """An AND with an OR among its children as two ANDs, one with the OR's plain words (the
    keys decide it: `_decided_by_keys`), one with its other branches (phrases, prefixes),
    evaluated: (a OR b) c = (a c) OR (b c). `Iran -sport` was evaluated on every article
    naming Iran in one of its languages (2.6 µs each, four times an article at 100,000
    subscriptions); now only the names that are phrases are."""
    if not isinstance(node, And):
        return (node,)
    children = node.children
    number = next((n for n, child in enumerate(children) if isinstance(child, Or)), None)
    if number is None:
        return (node,)
    branches = tuple(_branches(children[number]))
    plain = tuple(branch for branch in branches if _is_plain_word(branch))
    if not plain or len(plain) == len(branches):
        return (node,)
    others = tuple(branch for branch in branches if not _is_plain_word(branch))
    return tuple(
        And(
            (
                *children[:number],
                part if len(part.children) > 1 else part.children[0],
                *children[number + 1 :],
            )
        )
        for part in (Or(plain), Or(others))
    )


_DIRECT, _ANCHORED, _NEEDED, _EXCLUDED, _VETOED = range(5)
_SLOTS = 5
_Record = Sequence[Collection[int]]
"""What one key means to an index, by slot: the subscription ids it matches directly, the
entries anchored on it, the entries needing it (first need slot), the entries it excludes,
the subscription ids it vetoes (their query excludes the key at its top)."""
_direct_of, _anchored_of, _needed_of, _excluded_of, _vetoed_of = map(itemgetter, range(_SLOTS))
_EMPTY: tuple[int, ...] = ()


def _freeze_records(records: dict[str, _Record]) -> None:
    """Make the records tuples of compact id collections, in place (each list freed as soon
    as it is replaced); equal collections and equal records become one shared object (a
    country's dozens of forms all point to the same subscriptions)."""
    shared: dict[Collection[int], Collection[int]] = {_EMPTY: _EMPTY}
    records_shared: dict[_Record, _Record] = {}
    for key, record in records.items():
        compact = tuple(shared.setdefault(ids, ids) for ids in map(_compact_ids, record))
        records[key] = records_shared.setdefault(compact, compact)


@dataclass(slots=True)
class _Index:
    """An inverted index over query groups (see the module docstring)."""

    keys: dict[str, _Record]
    """Key → its record (`_Record`): one lookup per article key serves every use of the key."""
    direct_title: _Keyed
    """Key → the subscription ids an article carrying the key in its headline matches."""
    direct_prefix: _Prefixes
    direct_title_prefix: _Prefixes
    checks: list[Check | None]
    """Per candidate entry: its compiled tree, or None when the keys decide it (`exact`)."""
    entry_ids: list[Collection[int]]
    """Per candidate entry: the subscription ids it matches."""
    exact: set[int]
    """The entries that match when anchor and needs occur and no excluded word does."""
    anchor_prefix: _Prefixes
    needing: list[set[int]]
    """Per need slot, the entries having that slot (an entry needs one key of each slot)."""
    more_needs: list[_Keyed]
    """Per need slot after the first (rare), key → entries needing it."""
    excluding: set[int]
    """The entries having excluded words."""
    entry_of: dict[Node, int]
    """While the index is built: the entry of each branch, shared by every group having it."""

    @classmethod
    def empty(cls) -> _Index:
        return cls(
            {},
            {},
            _Prefixes(),
            _Prefixes(),
            [],
            [],
            set(),
            _Prefixes(),
            [set() for _ in range(_MORE_NEEDS)],
            [{} for _ in range(_MORE_NEEDS - 1)],
            set(),
            {},
        )

    @classmethod
    def build(cls, subscriptions: Iterable[tuple[int, Node]]) -> _Index:
        """An index over (subscription id, query tree) pairs."""
        by_root: dict[Node, list[int]] = defaultdict(list)
        for sub_id, root in subscriptions:
            by_root[root].append(sub_id)
        index = cls.empty()
        for root, ids in by_root.items():
            index.add_group(root, ids)
        index.freeze()
        return index

    def freeze(self) -> None:
        """Turn the id lists into compact, shared collections (tuples, frozensets)."""
        _freeze_records(self.keys)
        self.direct_title = _frozen(self.direct_title)
        self.more_needs = [_frozen(needs) for needs in self.more_needs]
        self.entry_ids = [_compact_ids(ids) for ids in self.entry_ids]
        self.entry_of = {}
        for prefixes in (self.direct_prefix, self.direct_title_prefix, self.anchor_prefix):
            prefixes.freeze()

    def _slot(self, key: str, slot: int) -> list[int]:
        """One slot of the key's record, to add to: lists only where something is added
        (a record of four lists per key made building 10 MB heavier, and what a build
        leaves behind stays in RSS), turned back into lists if frozen (a side index grows)."""
        record = self.keys.get(key)
        if not isinstance(record, list):
            record = list(record) if record is not None else [_EMPTY] * _SLOTS
            self.keys[key] = record
        ids = record[slot]
        if not isinstance(ids, list):
            ids = record[slot] = list(ids)
        return ids

    def add_group(self, root: Node, ids: Sequence[int]) -> None:
        """Register the subscriptions (ids) sharing one query tree."""
        vetoed = _vetoes(root)
        if vetoed is not None:
            # `Trump -golf`: registered as `Trump` is, and vetoed by golf's keys. A key
            # excluded at the top of the tree rules out the whole query, and these ids match
            # through this tree only, so the veto is taken from the article's result last.
            # The common `word -other` thus costs no entry and no candidate set operation.
            root, vetoes = vetoed
            for key in vetoes:
                self._slot(key, _VETOED).extend(ids)
        for node in _branches(root):
            if _is_direct(node):
                self._add_direct(node, ids)
            else:
                for part in _split_plain_branches(node):
                    self._add_entry(part, ids)

    def _add_direct(self, term: Term, ids: Sequence[int]) -> None:
        if term.prefix:
            prefixes = self.direct_title_prefix if term.title_only else self.direct_prefix
            prefixes.add(term.words[0], ids)
            return
        for form in term.forms[0]:
            if term.title_only:
                _add(self.direct_title, form, ids)
            else:
                self._slot(form, _DIRECT).extend(ids)

    def _add_entry(self, node: Node, ids: Sequence[int]) -> None:
        # Equal branches of different groups (a country's names in every query naming the
        # country) are one entry: its ids are looked up and checked once.
        entry = self.entry_of.get(node)
        if entry is not None:
            current = self.entry_ids[entry]
            if isinstance(current, list):
                current.extend(ids)
            else:
                self.entry_ids[entry] = [*current, *ids]
            return
        entry = self.entry_of[node] = len(self.checks)
        if _decided_by_keys(node):
            self.checks.append(None)
            self.exact.add(entry)
        else:
            self.checks.append(_compile(node))
        self.entry_ids.append(list(ids))
        anchors = _anchors(node)
        if anchors is None:  # pragma: no cover - parse_query rejects exclusion-only queries
            raise ValueError("a query needs something to look for")
        for is_prefix, key in set(anchors):
            if is_prefix:
                self.anchor_prefix.add(key, (entry,))
            else:
                self._slot(key, _ANCHORED).append(entry)
        anchor_keys = frozenset(key for is_prefix, key in anchors if not is_prefix)
        needs = sorted(
            {need for need in _needs(node) if need != anchor_keys},
            key=_need_selectivity,
            reverse=True,
        )
        for slot, need in enumerate(needs[:_MORE_NEEDS]):
            self.needing[slot].add(entry)
            for key in need:
                if slot == 0:
                    self._slot(key, _NEEDED).append(entry)
                else:
                    _add(self.more_needs[slot - 1], key, (entry,))
        for key in _excluded_words(node):
            self.excluding.add(entry)
            self._slot(key, _EXCLUDED).append(entry)

    def match(self, article: _Article) -> set[int]:
        """The ids of every subscription the article matches."""
        # The loops over keys and entries run in C (set operations over map): on this path
        # bytecode per key or per id shows in the articles per second. One lookup per key
        # finds everything the index knows about it.
        records = list(filter(None, map(self.keys.get, article.all_keys)))
        matched: set[int] = set().union(*map(_direct_of, records))
        if self.direct_title:
            titles = self.direct_title
            matched.update(*map(titles.__getitem__, titles.keys() & article.title_keys))
        if self.direct_prefix:
            self.direct_prefix.hits(article.all_surfaces, matched)
        if self.direct_title_prefix:
            self.direct_title_prefix.hits(article.title_surfaces, matched)
        entries = self._candidates(article, records)
        if entries:
            exact = entries & self.exact
            entry_ids = self.entry_ids
            if exact:
                matched.update(*map(entry_ids.__getitem__, exact))
            if len(exact) < len(entries):
                checks = self.checks
                for entry in entries - exact:
                    check = checks[entry]
                    if check is not None and check(article):
                        matched.update(entry_ids[entry])
        if matched:
            matched.difference_update(*map(_vetoed_of, records))
        return matched

    def _candidates(self, article: _Article, records: list[_Record]) -> set[int]:
        """Entries whose anchor, needs and exclusions the article's keys satisfy."""
        entries: set[int] = set().union(*map(_anchored_of, records))
        if self.anchor_prefix:
            self.anchor_prefix.hits(article.all_surfaces, entries)
        if not entries:
            return entries
        needing = entries & self.needing[0]
        if needing:
            entries -= needing.difference(*map(_needed_of, records))
        keys = article.all_keys
        for slot, needs in enumerate(self.more_needs, 1):
            if not entries:
                return entries
            needing = entries & self.needing[slot]
            if needing:
                found = set().union(*map(needs.__getitem__, needs.keys() & keys))
                entries -= needing - found
        if not entries.isdisjoint(self.excluding):
            entries.difference_update(*map(_excluded_of, records))
        return entries


@dataclass(frozen=True, slots=True)
class _State:
    """What `match` reads: replaced as a whole, never changed in place (but `side` grows)."""

    main: _Index
    main_roots: dict[int, Node]
    """The trees `main` was built from, by subscription id (never changed once built)."""
    hidden: frozenset[int]
    """Ids whose entry in `main` is stale (removed or replaced since it was built)."""
    side: _Index
    side_roots: dict[int, Node]


class Matcher:
    """Which subscriptions an article matches; see the module docstring for how."""

    COMPACT_AFTER = 512
    """`pending` changes after which the application should run `compact()` (the side index
    and the hidden ids cost a little on every match)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._compacting = threading.Lock()
        # Only the query trees are kept (for rebuilds), not the `Query` around them: its text
        # and alias list would stay alive for nothing. `_roots` is shared with the main state
        # (or a compaction's snapshot) until the next change copies it (`_own_roots`):
        # 100,000 ids cost 5 MB per dict.
        self._roots: dict[int, Node] = {}
        self._roots_shared = True
        self._journal: list[int] = []
        self._state = _State(_Index.empty(), self._roots, frozenset(), _Index.empty(), {})

    @classmethod
    def build(cls, subscriptions: Iterable[tuple[int, Query]]) -> Matcher:
        """A matcher over (subscription id, parsed query) pairs."""
        matcher = cls()
        roots = {sub_id: query.root for sub_id, query in subscriptions}
        matcher._roots = roots
        matcher._state = _State(_Index.build(roots.items()), roots, frozenset(), _Index.empty(), {})
        return matcher

    def __len__(self) -> int:
        return len(self._roots)

    @property
    def pending(self) -> int:
        """Changes since the main index was built (added, replaced or removed subscriptions)."""
        state = self._state
        return len(state.side_roots) + len(state.hidden)

    def match(self, title: str, text: str, language: str | None = None) -> set[int]:
        """Ids of the subscriptions the article matches (title-only terms see the title only).

        `text` is the whole description (any length), not the displayed teaser.
        """
        state = self._state
        article = _Article(title, text, language)
        result = state.main.match(article)
        if state.hidden:
            result -= state.hidden
        if state.side_roots:
            result |= state.side.match(article)
        return result

    def _own_roots(self) -> dict[int, Node]:
        """`_roots`, ready to change (under the lock): copied first while shared."""
        if self._roots_shared:
            self._roots = dict(self._roots)
            self._roots_shared = False
        return self._roots

    def add(self, sub_id: int, query: Query) -> None:
        """Add (or replace) a subscription; effective for the next `match`."""
        root = query.root
        with self._lock:
            self._own_roots()[sub_id] = root
            state = self._state
            self._journal.append(sub_id)
            hidden = state.hidden
            if sub_id in state.main_roots:
                hidden = hidden | {sub_id}
            side_roots = {**state.side_roots, sub_id: root}
            if sub_id in state.side_roots:
                side = _Index.build(side_roots.items())
            else:
                side = state.side
                side.add_group(root, (sub_id,))
            self._state = _State(state.main, state.main_roots, hidden, side, side_roots)

    def remove(self, sub_id: int) -> None:
        """Remove a subscription (unknown ids are ignored); effective for the next `match`."""
        with self._lock:
            if sub_id not in self._roots:
                return
            del self._own_roots()[sub_id]
            self._journal.append(sub_id)
            state = self._state
            hidden = state.hidden | {sub_id} if sub_id in state.main_roots else state.hidden
            side, side_roots = state.side, state.side_roots
            if sub_id in side_roots:
                side_roots = {k: v for k, v in side_roots.items() if k != sub_id}
                side = _Index.build(side_roots.items())
            self._state = _State(state.main, state.main_roots, hidden, side, side_roots)

    @property
    def compaction_due(self) -> bool:
        """Whether enough changes piled up for `compact()` to be worth its cost."""
        return self.pending > self.COMPACT_AFTER

    def compact(self) -> None:
        """Rebuild the main index from all subscriptions and swap it in.

        Safe to run in a worker thread while `match`, `add` and `remove` go on: the build works
        on a snapshot, and changes made meanwhile are carried over into the new state.
        """
        with self._compacting:
            with self._lock:
                # Changes from now on copy `_roots` first, so the snapshot is the dict itself.
                snapshot = self._roots
                self._roots_shared = True
                mark = len(self._journal)
            main = _Index.build(snapshot.items())
            with self._lock:
                changed = set(self._journal[mark:])
                self._journal = self._journal[mark:]
                side_roots = {i: self._roots[i] for i in changed if i in self._roots}
                hidden = frozenset(i for i in changed if i in snapshot)
                self._state = _State(
                    main, snapshot, hidden, _Index.build(side_roots.items()), side_roots
                )
