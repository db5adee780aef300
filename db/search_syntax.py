"""A parsed query as a database's full-text query text, for FTS5 and `tsquery` alike.

The two languages differ in spelling only (how a word is quoted, what AND, OR and NOT look like,
how a headline-only term or a filter token is scoped), so the walk over the query tree is written
once, here, and each backend gives its `Dialect`: `db.search.FTS5` and `db.search_pg.TSQUERY`.
Every word goes through the dialect's quoting, so no reader input can become syntax.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from feeds.normalize import MARKERS, is_unspaced
from feeds.query import Node, Not, Or, Query, Term

__all__ = ["MAX_PHRASE_VARIANTS", "Dialect", "indexed", "translate"]

MAX_PHRASE_VARIANTS = 16
"""A phrase is searched under each combination of its words' forms, up to this many."""


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one full-text query language spells the parts of a query."""

    all: str
    """Matches every indexed article: the positive side of an exclusion standing alone."""
    and_: str
    or_: str
    word: Callable[[str, bool, bool], str]
    """(word, title_only, prefix) -> one quoted operand."""
    phrase: Callable[[Sequence[str], bool, bool], str]
    """(words, title_only, prefix) -> the words adjacent, in order."""
    scope: Callable[[str, bool], str]
    """(a term's text, title_only) -> the term limited to the columns it searches."""
    exclude: Callable[[Sequence[str], Sequence[str]], str]
    """(included parts, excluded parts) -> all of the first and none of the second."""
    token: Callable[[str], str]
    """A filter token (`xf…`, `xl…`) -> one quoted operand."""
    meta: Callable[[str], str]
    """Filter operands -> limited to the filter column."""

    def any_of(self, alternatives: Sequence[str]) -> str:
        if len(alternatives) == 1:
            return alternatives[0]
        return "(" + self.or_.join(alternatives) + ")"


def indexed(forms: Iterable[str], word: str) -> list[str]:
    """The forms the index can hold: marked keys (compound parts, word ends, transliterations)
    exist for the matcher only."""
    return sorted(form for form in forms if form[:1] not in MARKERS) or [word]


def _term(term: Term, d: Dialect) -> str:
    title, last = term.title_only, len(term.words) - 1
    if len(term.words) == 1 or any(is_unspaced(word) for word in term.words):
        # One word: any of its forms. Unspaced scripts are indexed as character bigrams whose
        # positions are not consecutive keys, so their words are required, not adjacent.
        parts = [
            d.word(word, title, True)
            if term.prefix and i == last
            else d.any_of([d.word(form, title, False) for form in indexed(term.forms[i], word)])
            for i, word in enumerate(term.words)
        ]
        return d.scope(parts[0] if len(parts) == 1 else "(" + d.and_.join(parts) + ")", title)
    options: list[Sequence[str]] = [
        (word,) if term.prefix and i == last else indexed(term.forms[i] | {word}, word)
        for i, word in enumerate(term.words)
    ]
    variants = list(itertools.islice(itertools.product(*options), MAX_PHRASE_VARIANTS + 1))
    if len(variants) > MAX_PHRASE_VARIANTS:
        variants = [term.words]
    return d.scope(d.any_of([d.phrase(v, title, term.prefix) for v in variants]), title)


def _expr(node: Node, d: Dialect) -> str | None:
    """The text of a node; None when nothing can match."""
    if isinstance(node, Term):
        return _term(node, d)
    if isinstance(node, Not):
        inner = _expr(node.child, d)
        # A NOT needs a positive side: alone, it excludes from every article.
        return d.all if inner is None else "(" + d.exclude([d.all], [inner]) + ")"
    if isinstance(node, Or):
        parts = [part for part in (_expr(child, d) for child in node.children) if part is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else "(" + d.or_.join(parts) + ")"
    included: list[str] = []
    excluded: list[str] = []
    for child in node.children:
        if isinstance(child, Not):
            inner = _expr(child.child, d)
            if inner is not None:
                excluded.append(inner)
            continue
        part = _expr(child, d)
        if part is None:
            return None
        included.append(part)
    return d.exclude(included or [d.all], excluded)


def _tokens(tokens: Sequence[str], d: Dialect) -> str:
    return d.meta(d.any_of([d.token(t) for t in tokens]))


def translate(
    query: Query | None, d: Dialect, *, feed_ids: Sequence[int], languages: Sequence[str]
) -> str | None:
    """The query text of a parsed query plus filters; None when nothing can match.

    `query=None` matches every article (a search by filters only).
    """
    parts: list[str] = []
    if query is not None:
        expr = _expr(query.root, d)
        if expr is None:
            return None
        parts.append(expr)
    if feed_ids:
        parts.append(_tokens([f"xf{int(i)}" for i in sorted(set(feed_ids))], d))
    if languages:
        parts.append(_tokens(["xl" + token(code) for code in sorted(set(languages))], d))
    if not parts:
        return d.all
    return parts[0] if len(parts) == 1 else d.and_.join(f"({part})" for part in parts)


def token(value: str) -> str:
    """A value made into one index token (letters and digits only, as FTS5's unicode61 and
    `to_tsvector('simple')` both keep it whole)."""
    return "".join(char for char in value.casefold() if char.isascii() and char.isalnum())
