"""The query language readers type for `/subscribe` and `/search`, parsed into an immutable tree.

Syntax (as in Google Alerts, OR binds tighter than the implicit AND):

    north korea           all words, any order
    "kim jong un"         the exact phrase (any double quotes: "…" “…” „…“ «…»)
    china OR russia       either side (OR in capitals; a lowercase "or" is a word)
    -sport  -"south korea"  exclude a word or a phrase (NOT works too)
    raket*                prefix, at least 3 letters before the *
    title:kim  title:"…"  the headline only (title:(a OR b) too)
    ( … )                 grouping

`Kim OR Putin -sport` thus means (Kim or Putin) and not sport. Words are normalized with
`feeds.normalize`: each `Term` carries its canonical keys (`words`) and, per word, every form it
matches (`forms`).

Readers subscribe to topics, not strings. A country named in any language is expanded to its
names in the others (`feeds.countries`) and its adjectives and demonyms (`feeds.aliases`); a
person or place in the news to their names in other languages and scripts (`feeds.aliases`;
a surname alone only where it names one person: `Putin` yes, `Kim` and `Xi` no). The expansion
is an `Or` node whose `alias_of` names what was typed, and `Query.aliases` lists it for the
reader. A quoted word or phrase is matched as typed (`Term.exact`): no expansion, no compound
parts, no transliteration. Ambiguous country names (Georgia, Jordan, Chad, …) match only as
typed, as before.

Every message a reader may see goes through the `_` parameter as a literal `_("…")`, with
`.format()` applied after translation, so `pybabel extract -k _` finds them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from typing import Any

from feeds import countries
from feeds.aliases import Entity, country_forms, demonyms, entities, entity_for
from feeds.normalize import (
    CASED,
    MARKERS,
    TRANSLITERATED,
    WORD_END,
    analyze,
    canonical,
    capitalized_names,
    fold,
    is_known,
    is_unspaced,
    lemmatize,
    name_skeleton,
    script_of,
)
from feeds.translate import Translate, TranslatePlural, english_plural
from feeds.translate import identity as _identity

__all__ = [
    "MAX_LENGTH",
    "MAX_TERMS",
    "MIN_PREFIX",
    "And",
    "Node",
    "Not",
    "Or",
    "Query",
    "QueryError",
    "Term",
    "describe",
    "iter_terms",
    "make_term",
    "parse_query",
    "query_from_json",
    "query_to_json",
]

MAX_LENGTH = 200
MAX_TERMS = 20
MIN_PREFIX = 3
MAX_NESTING = 8
_ALIAS_NAMES_SHOWN = 12


@dataclass(frozen=True, slots=True)
class Term:
    """A word, a phrase or a prefix to look for."""

    text: str
    """What the reader typed for it, without quotes, operators or the trailing `*`."""
    words: tuple[str, ...]
    """Canonical match key of each word (`feeds.normalize.words`)."""
    forms: tuple[frozenset[str], ...]
    """Per word, every key it matches: an article word matches when their forms intersect."""
    phrase: bool = False
    """The words must appear consecutively (quoted, or one typed word that splits, `Jong-un`)."""
    prefix: bool = False
    """The last word matches any article word starting with it (folded surface form)."""
    title_only: bool = False
    """Only the headline counts."""
    exact: bool = False
    """Quoted: matched as typed, without compound parts, transliteration or aliases."""


@dataclass(frozen=True, slots=True)
class And:
    """Every child must match."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """At least one child must match."""

    children: tuple[Node, ...]
    alias_of: str | None = None
    """Set when this node is an expansion (a country, a person or place in the news): the name
    as typed (`children[0]`)."""


@dataclass(frozen=True, slots=True)
class Not:
    """The child must not match."""

    child: Node


Node = Term | And | Or | Not


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: what the reader typed, its tree, and the country expansions applied."""

    text: str
    root: Node
    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(name as typed, the other names it also matches), one entry per expansion."""


class QueryError(ValueError):
    """A query the reader must rewrite; `message` says what is wrong and how to write it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def make_term(
    text: str,
    *,
    phrase: bool = False,
    prefix: bool = False,
    title_only: bool = False,
    exact: bool = False,
    cased: bool = False,
) -> Term | None:
    """A normalized term for `text`, or None when it holds no word (only punctuation).

    Unless `exact`, a one-word name outside the dictionaries also matches its Cyrillic
    spellings (`=` key; German compound parts are the matcher's business). A Korean word
    matches only before particles (`~` key).
    Memoized, so equal terms (country names above all) are one shared object.
    """
    # One dict per combination of flags, keyed by the text alone: loading 100,000 stored
    # queries leaves some 40,000 terms here, and an lru_cache's key tuple and link per entry
    # cost 7 MB of the bot's resident memory; a plain dict entry costs a seventh of that.
    terms = _TERMS[phrase, prefix, title_only, exact, cased]
    term = terms.get(text, _UNKNOWN)
    if term is _UNKNOWN:
        if sum(map(len, _TERMS.values())) >= _TERMS_LIMIT:
            for table in _TERMS.values():
                table.clear()
        term = terms[text] = _make_term(text, phrase, prefix, title_only, exact, cased)
    return term


# Every combination of flags up front: the outer dict never changes size, so summing its
# tables' sizes is safe while another thread adds a term.
_TERMS: dict[tuple[bool, ...], dict[str, Term | None]] = {
    flags: {} for flags in product((False, True), repeat=5)
}
_TERMS_LIMIT = 1 << 16
_UNKNOWN = Term("", (), ())


def _make_term(
    text: str, phrase: bool, prefix: bool, title_only: bool, exact: bool, cased: bool
) -> Term | None:
    positions = analyze(text, None, article=False)
    if not positions:
        return None
    words = [canonical(position) for position in positions]
    forms = [
        frozenset(form for form in position if form[0] not in MARKERS) for position in positions
    ]
    if not exact and len(positions) == 1 and (skeleton := _skeleton(text, words[0])):
        forms[0] = forms[0] | {TRANSLITERATED + skeleton}
    if len(words[-1]) == 2 and is_unspaced(words[-1]) and _is_one_korean_word(text):
        # 북한 is found in 북한은 (particle), not in 북한산 (another word).
        forms[-1] = frozenset((WORD_END + words[-1],))
    elif cased and len(words) == 1 and words[0] in capitalized_names() and text[:1].isupper():
        # An alternative name that is also an ordinary word counts only as written:
        # `Poutine` (Putin in French), not `poutine` (the dish).
        forms[0] = frozenset((CASED + words[0],))
    if prefix:
        # A prefix matches the folded surface as typed, not a lemma of it.
        words[-1] = positions[-1][0]
        forms[-1] = frozenset((positions[-1][0],))
    return Term(
        text=text,
        words=tuple(words),
        forms=tuple(forms),
        phrase=phrase or len(words) > 1,
        prefix=prefix,
        title_only=title_only,
        exact=exact,
    )


def _skeleton(text: str, word: str) -> str:
    """The transliteration key of a one-word Latin name no dictionary knows (`Navalny`), else ''.

    Dictionary words are left out for precision: their Cyrillic look-alikes are other words.
    """
    if not (word.isascii() and word.isalpha()) or is_known_word(text):
        return ""
    return name_skeleton(word)


def is_known_word(text: str) -> bool:
    """Whether a German or English dictionary knows the word (then it is no rare name)."""
    return is_known(text, ("de", "en"))


def is_common_word(name: str) -> bool:
    """Whether a one-word Latin name is an ordinary German or English word (`Nice`, `Mobile`,
    `Chad`): a dictionary knows it with a lower-case lemma and none as a proper noun. Such
    names of people and places match only as typed, never as another name's alternative
    (country names have their own list, `countries.AMBIGUOUS`)."""
    if " " in name.strip() or not name.isascii() or not name.isalpha():
        return False
    lower = name.lower()
    common = False
    for language in ("de", "en"):
        if is_known(lower, (language,)):
            lemma = lemmatize(lower, language)
            if lemma[:1].isupper():
                return False
            common = True
    return common


def _is_one_korean_word(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and " " not in stripped and script_of(stripped) == "Hangul"


def iter_terms(node: Node) -> Iterator[Term]:
    """Every term of a tree, depth first."""
    if isinstance(node, Term):
        yield node
    elif isinstance(node, Not):
        yield from iter_terms(node.child)
    else:
        for child in node.children:
            yield from iter_terms(child)


# ---------------------------------------------------------------------------------------------
# Lexer

_QUOTES = frozenset('"“”„‟«»＂〝〞')
_DASHES = frozenset("-−–—")
_TITLE_PREFIXES = ("title:", "titel:")
_BREAKS = frozenset("()") | _QUOTES


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", "OR", "NOT", "TITLE", "WORD", "PHRASE"
    text: str = ""
    prefix: bool = False


def _messages(_: Translate) -> dict[str, str]:
    """The error messages, each a literal for gettext extraction."""
    return {
        "empty": _(
            "The query is empty: type the words to look for. "
            'Example: /subscribe north korea  or  /subscribe "kim jong un"'
        ),
        "quotes": _('Unbalanced quotes: close the phrase with a second ". Example: "kim jong un"'),
        "open_paren": _(
            "Unbalanced parentheses: a ( is never closed. Example: (china OR russia) sanctions"
        ),
        "close_paren": _(
            "Unbalanced parentheses: a ) has no matching (. Example: (china OR russia) sanctions"
        ),
        "empty_paren": _(
            "Empty parentheses: put words inside them. Example: (china OR russia) sanctions"
        ),
        "leading_star": _(
            "A * can only end a word, after at least 3 letters. Example: raket* finds "
            "rakete, raketen and raketenfabrik"
        ),
        "terms": _(
            "Too many words ({count}): a query may have at most {limit}. "
            "Split it into several subscriptions."
        ),
        "dangling_or": _("OR needs something to look for on both sides. Example: china OR russia"),
        "dangling_not": _(
            "A - (or NOT) needs a word or phrase right after it. Example: korea -south"
        ),
        "dangling_title": _(
            "title: needs a word or phrase right after it, without a space. Example: title:kim "
            'or title:"kim jong un"'
        ),
        "only_exclusions": _(
            "The query only excludes things: add a word to look for. Example: korea -south "
            "(each side of an OR needs one too)"
        ),
    }


def _counted(kind: str, ngettext: TranslatePlural, n: int) -> str:
    """The errors whose wording follows a number, each a literal pair for gettext extraction."""
    if kind == "long":
        return ngettext(
            "The query is too long ({length} character): use at most {limit}. "
            "Split it into several subscriptions.",
            "The query is too long ({length} characters): use at most {limit}. "
            "Split it into several subscriptions.",
            n,
        )
    if kind == "nesting":
        return ngettext(
            "Too many nested parentheses: use at most {limit} level. "
            "Example: (china OR russia) sanctions",
            "Too many nested parentheses: use at most {limit} levels. "
            "Example: (china OR russia) sanctions",
            n,
        )
    return ngettext(
        "The prefix {prefix}* is too short: write at least {minimum} letter before the *. "
        "Example: raket*",
        "The prefix {prefix}* is too short: write at least {minimum} letters before the *. "
        "Example: raket*",
        n,
    )


def _error(kind: str, _: Translate, **values: object) -> QueryError:
    """The error of that kind, translated, its placeholders filled after translation."""
    return QueryError(_messages(_)[kind].format(**values))


def _counted_error(kind: str, ngettext: TranslatePlural, n: int, **values: object) -> QueryError:
    """A counted error (`long`, `nesting`, `short_prefix`), its form chosen by `n`."""
    return QueryError(_counted(kind, ngettext, n).format(**values))


def _lex(text: str, _: Translate) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(_Token(char))
            i += 1
        elif char in _QUOTES:
            end = next((j for j in range(i + 1, n) if text[j] in _QUOTES), -1)
            if end < 0:
                raise _error("quotes", _)
            content = text[i + 1 : end].strip()
            i = end + 1
            prefix = content.endswith("*")
            if i < n and text[i] == "*":
                prefix, i = True, i + 1
            tokens.append(_Token("PHRASE", content.rstrip("*"), prefix))
        elif char in _DASHES:
            # A dash glued to what follows excludes it; a free-standing one is punctuation.
            if i + 1 < n and not text[i + 1].isspace():
                tokens.append(_Token("NOT"))
            i += 1
        else:
            end = i
            while end < n and not text[end].isspace() and text[end] not in _BREAKS:
                end += 1
            word = text[i:end]
            lowered = word.lower()
            title = next((p for p in _TITLE_PREFIXES if lowered.startswith(p)), None)
            if title is not None:
                tokens.append(_Token("TITLE"))
                i += len(title)
                if i >= n or text[i].isspace():
                    raise _error("dangling_title", _)
                continue
            i = end
            if word == "OR" or word == "|":
                tokens.append(_Token("OR"))
            elif word == "NOT":
                tokens.append(_Token("NOT"))
            elif word not in ("AND", "&&", "+"):
                tokens.append(_word_token(word, _))
    return tokens


def _word_token(word: str, _: Translate) -> _Token:
    stripped = word.rstrip("*")
    if "*" in stripped or (word.startswith("*")) or len(word) - len(stripped) > 1:
        raise _error("leading_star", _)
    return _Token("WORD", stripped, stripped != word)


# ---------------------------------------------------------------------------------------------
# Parser


class _Parser:
    """Recursive descent over the tokens: and := or+ ; or := unary (OR unary)* ."""

    def __init__(
        self, tokens: list[_Token], _: Translate, ngettext: TranslatePlural = english_plural
    ) -> None:
        self.tokens = tokens
        self.pos = 0
        self.terms = 0
        self._ = _
        self.ngettext = ngettext

    def peek(self) -> str | None:
        return self.tokens[self.pos].kind if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse(self) -> Node | None:
        node = self.and_group(depth=0, title=False)
        if self.peek() == ")":
            raise _error("close_paren", self._)
        return node

    def and_group(self, depth: int, title: bool) -> Node | None:
        children: list[Node] = []
        while self.peek() not in (None, ")"):
            if self.peek() == "OR":
                raise _error("dangling_or", self._)
            node = self.or_group(depth, title)
            if node is not None:
                children.extend(node.children if isinstance(node, And) else (node,))
        if not children:
            return None
        return children[0] if len(children) == 1 else And(tuple(children))

    def or_group(self, depth: int, title: bool) -> Node | None:
        first = self.unary(depth, title)
        branches = [first]
        while self.peek() == "OR":
            self.take()
            if self.peek() in (None, ")", "OR"):
                raise _error("dangling_or", self._)
            branches.append(self.unary(depth, title))
        if len(branches) == 1:
            return first
        present = [branch for branch in branches if branch is not None]
        if len(present) != len(branches):
            raise _error("dangling_or", self._)
        children: list[Node] = []
        for branch in present:
            children.extend(branch.children if isinstance(branch, Or) else (branch,))
        return Or(tuple(children))

    def unary(self, depth: int, title: bool) -> Node | None:
        kind = self.peek()
        if kind == "NOT":
            self.take()
            if self.peek() in (None, ")", "OR"):
                raise _error("dangling_not", self._)
            node = self.unary(depth, title)
            return None if node is None else Not(node)
        if kind == "TITLE":
            self.take()
            if self.peek() in (None, ")", "OR", "TITLE", "NOT"):
                raise _error("dangling_title", self._)
            return self.unary(depth, True)
        return self.atom(depth, title)

    def atom(self, depth: int, title: bool) -> Node | None:
        token = self.take()
        if token.kind == "(":
            if depth >= MAX_NESTING:
                raise _counted_error("nesting", self.ngettext, MAX_NESTING, limit=MAX_NESTING)
            inner = self.and_group(depth + 1, title)
            if self.peek() != ")":
                raise _error("open_paren", self._)
            self.take()
            if inner is None:
                raise _error("empty_paren", self._)
            return inner
        if token.kind == ")":
            raise _error("close_paren", self._)
        if token.kind == "OR":
            raise _error("dangling_or", self._)
        quoted = token.kind == "PHRASE"
        term = make_term(
            token.text, phrase=quoted, prefix=token.prefix, title_only=title, exact=quoted
        )
        if term is None:
            return None
        if term.prefix and len(term.words[-1]) < MIN_PREFIX:
            raise _counted_error(
                "short_prefix", self.ngettext, MIN_PREFIX, prefix=token.text, minimum=MIN_PREFIX
            )
        self.terms += 1
        if self.terms > MAX_TERMS:
            count = self.terms + sum(1 for t in self.tokens[self.pos :] if t.kind in _TERM_KINDS)
            raise _error("terms", self._, count=count, limit=MAX_TERMS)
        return term


_TERM_KINDS = frozenset(("WORD", "PHRASE"))


def _positive(node: Node) -> bool:
    """Whether a node can only match by finding something (not by an absence alone)."""
    if isinstance(node, Term):
        return True
    if isinstance(node, Not):
        return False
    if isinstance(node, And):
        return any(_positive(child) for child in node.children)
    return all(_positive(child) for child in node.children)


# ---------------------------------------------------------------------------------------------
# Expansion: countries (names in other languages, adjectives and demonyms), people and places

_MAX_NAME_WORDS = 6


@lru_cache(maxsize=4096)
def _alternatives(
    target: str, typed_key: str, title_only: bool
) -> tuple[tuple[str, ...], tuple[Term, ...]]:
    """The other names of a country (`target` = its code) or entity (`target` = `@` + its key),
    all but the typed one, and their terms.

    A country's name that lies inside another country's name is left out: `Republic of Korea`
    would find the Democratic People's Republic of Korea. Memoized: every query naming the
    same target shares these term objects.
    """
    if target.startswith("@"):
        entity = _entity(target[1:])
        candidates: tuple[str, ...] = entity.names if entity is not None else ()
        code = None
    else:
        code = target
        candidates = countries.names(code) + country_forms(code) + demonyms(code)
    names: list[str] = []
    terms: list[Term] = []
    seen: set[tuple[str, ...]] = set()
    for name in candidates:
        key = fold(name)
        if key == typed_key or (code is not None and countries.inside_other_name(key, code)):
            continue
        if code is None and is_common_word(name):
            continue  # a place called `Nice` must not find "nice weather"
        term = make_term(name, phrase=True, title_only=title_only, cased=True)
        if term is None or term.words in seen:
            continue
        seen.add(term.words)
        names.append(name)
        terms.append(term)
    return tuple(names), tuple(terms)


def _entity(key: str) -> Entity | None:
    return next((entity for entity in entities() if entity.key == key), None)


def _target(typed: str) -> str | None:
    """What a typed name denotes: a country code, `@` + an entity key, or None."""
    typed_key = fold(typed)
    code = countries.table().codes.get(typed_key)
    if code is not None:
        return code
    entity = entity_for(typed)
    return None if entity is None else "@" + entity.key


def _expansion(
    typed: str, original: Node, title_only: bool, found: list[tuple[str, tuple[str, ...]]]
) -> Node | None:
    target = _target(typed)
    if target is None:
        return None
    names, terms = _alternatives(target, fold(typed), title_only)
    if not terms:
        return None
    found.append((typed, names))
    return Or((original, *terms), alias_of=typed)


def _is_plain_word(node: Node) -> bool:
    return isinstance(node, Term) and not node.phrase and not node.prefix


def _expand(node: Node, aliases: list[tuple[str, tuple[str, ...]]]) -> Node:
    if isinstance(node, Term):
        if node.prefix or node.exact:
            return node
        return _expansion(node.text, node, node.title_only, aliases) or node
    if isinstance(node, Not):
        return Not(_expand(node.child, aliases))
    if isinstance(node, Or):
        if node.alias_of is not None:
            return node
        return Or(tuple(_expand(child, aliases) for child in node.children))
    return _expand_and(node, aliases)


def _expand_and(node: And, aliases: list[tuple[str, tuple[str, ...]]]) -> Node:
    """Expand country names, including names spread over consecutive words (`north korea`)."""
    children = list(node.children)
    out: list[Node] = []
    i = 0
    while i < len(children):
        replaced = False
        for size in range(min(_MAX_NAME_WORDS, len(children) - i), 1, -1):
            run = children[i : i + size]
            if not all(_is_plain_word(child) for child in run):
                continue
            terms = [child for child in run if isinstance(child, Term)]
            if len({term.title_only for term in terms}) != 1:
                continue
            typed = " ".join(term.text for term in terms)
            expanded = _expansion(typed, And(tuple(run)), terms[0].title_only, aliases)
            if expanded is not None:
                out.append(expanded)
                i += size
                replaced = True
                break
        if not replaced:
            out.append(_expand(children[i], aliases))
            i += 1
    return out[0] if len(out) == 1 else And(tuple(out))


# ---------------------------------------------------------------------------------------------
# Public entry points


def parse_query(
    text: str, *, _: Translate = _identity, ngettext: TranslatePlural = english_plural
) -> Query:
    """Parse what a reader typed; raise `QueryError` with an explanation when it is unusable."""
    stripped = text.strip()
    if not stripped:
        raise _error("empty", _)
    if len(stripped) > MAX_LENGTH:
        length = len(stripped)
        raise _counted_error("long", ngettext, length, length=length, limit=MAX_LENGTH)
    parser = _Parser(_lex(stripped, _), _, ngettext)
    root = parser.parse()
    if root is None:
        raise _error("empty", _)
    if not _positive(root):
        raise _error("only_exclusions", _)
    aliases: list[tuple[str, tuple[str, ...]]] = []
    root = _expand(root, aliases)
    return Query(text=stripped, root=root, aliases=tuple(aliases))


def describe(
    query: Query, *, _: Translate = _identity, ngettext: TranslatePlural = english_plural
) -> str:
    """A plain-text restatement of what the query matches, one short line per expansion."""
    text = _("articles containing {what}").format(what=_describe(query.root, _))
    for typed, names in query.aliases:
        text += "\n" + _describe_alias(typed, names, _, ngettext)
    return text


_LATIN_SHOWN = 3
_SCRIPTS_SHOWN = 5
# The scripts of our readers' and feeds' languages first.
_SCRIPT_ORDER = ("Latin", "Cyrillic", "Chinese", "Japanese", "Korean", "Arabic", "Greek", "Hebrew")


def _script_rank(script: str) -> int:
    return _SCRIPT_ORDER.index(script) if script in _SCRIPT_ORDER else len(_SCRIPT_ORDER)


def _describe_alias(
    typed: str, names: tuple[str, ...], _: Translate, ngettext: TranslatePlural
) -> str:
    """One short line: `Putin also matches Vladimir Putin, Путин, 普京, プーチン, 푸틴 and 10 more
    forms (Latin, Cyrillic, Chinese, Japanese, Korean, …)`: a few Latin names, the first name
    in each of the main other scripts, then the scripts."""
    first_in: dict[str, str] = {}
    latin: list[str] = []
    for name in names:
        script = _script_label(name)
        first_in.setdefault(script, name)
        if script == "Latin" and len(latin) < _LATIN_SHOWN:
            latin.append(name)
    scripts = sorted(first_in, key=_script_rank)
    others = [s for s in scripts if s != "Latin"][: _SCRIPTS_SHOWN - 1]
    shown = latin + [first_in[script] for script in others]
    listed = ", ".join(scripts[:_SCRIPTS_SHOWN]) + (", …" if len(scripts) > _SCRIPTS_SHOWN else "")
    values = {
        "name": typed,
        "names": ", ".join(shown),
        "count": len(names) - len(shown),
        "scripts": listed,
    }
    if len(names) > len(shown):
        return ngettext(
            "{name} also matches {names} and {count} more form ({scripts})",
            "{name} also matches {names} and {count} more forms ({scripts})",
            len(names) - len(shown),
        ).format(**values)
    return _("{name} also matches {names} ({scripts})").format(**values)


def _script_label(name: str) -> str:
    """A reader's name for the script of a name: Han is `Chinese`, Hangul `Korean`, kana
    `Japanese`; otherwise the Unicode script (`Cyrillic`)."""
    script = script_of(name)
    return {"Han": "Chinese", "Hangul": "Korean", "Kana": "Japanese"}.get(script, script)


def _describe_term(term: Term, _: Translate) -> str:
    if term.prefix:
        what = _("words starting with {prefix}").format(prefix=term.text)
    elif term.exact and len(term.words) == 1:
        what = _("{word} exactly as typed").format(word=term.text)
    elif term.phrase:
        what = _("the phrase {phrase}").format(phrase=term.text)
    else:
        what = term.text
    if term.title_only:
        what = _("{what} in the headline").format(what=what)
    return what


def _describe(node: Node, _: Translate, nested: bool = False) -> str:
    if isinstance(node, Term):
        return _describe_term(node, _)
    if isinstance(node, Not):
        return _("not {what}").format(what=_describe(node.child, _, nested=True))
    if isinstance(node, Or):
        if node.alias_of is not None:
            original = node.children[0]
            if isinstance(original, Term):
                return _describe(original, _, nested)
            return node.alias_of  # the words of a name, as typed: `North Korea`
        parts = [_describe(child, _, nested=True) for child in node.children]
        # `a or b`, `a, b or c`: no comma before a lone `or`.
        text = _("{first} or {last}").format(first=", ".join(parts[:-1]), last=parts[-1])
        return f"({text})" if nested else text
    included = [child for child in node.children if not isinstance(child, Not)]
    excluded = [child.child for child in node.children if isinstance(child, Not)]
    many = len(included) > 1
    text = _(" and ").join(_describe(child, _, nested=many) for child in included)
    if excluded:
        others = _(" or ").join(_describe(child, _, nested=True) for child in excluded)
        text = _("{included}, but not {excluded}").format(included=text, excluded=others)
    return f"({text})" if nested else text


# ---------------------------------------------------------------------------------------------
# Storage form

_JSON_VERSION = 1


def _node_to_data(node: Node) -> dict[str, Any]:
    if isinstance(node, Term):
        data: dict[str, Any] = {"term": node.text}
        for flag, value in (
            ("phrase", node.phrase),
            ("prefix", node.prefix),
            ("title", node.title_only),
            ("exact", node.exact),
        ):
            if value:
                data[flag] = True
        return data
    if isinstance(node, Not):
        return {"not": _node_to_data(node.child)}
    if isinstance(node, Or):
        if node.alias_of is not None:
            # Only what was typed: the other names are looked up again on load.
            return {"alias": node.alias_of, "of": _node_to_data(node.children[0])}
        return {"or": [_node_to_data(child) for child in node.children]}
    return {"and": [_node_to_data(child) for child in node.children]}


def _node_from_data(data: Any, aliases: list[tuple[str, tuple[str, ...]]]) -> Node:
    if not isinstance(data, dict):
        raise ValueError(f"not a query node: {data!r}")
    if "term" in data:
        term = make_term(
            str(data["term"]),
            phrase=bool(data.get("phrase", False)),
            prefix=bool(data.get("prefix", False)),
            title_only=bool(data.get("title", False)),
            exact=bool(data.get("exact", False)),
        )
        if term is None:
            raise ValueError(f"term without words: {data!r}")
        return term
    if "not" in data:
        return Not(_node_from_data(data["not"], aliases))
    if "alias" in data:
        original = _node_from_data(data["of"], aliases)
        title_only = next(iter_terms(original)).title_only
        return _expansion(str(data["alias"]), original, title_only, aliases) or original
    if "or" in data:
        return Or(tuple(_node_from_data(child, aliases) for child in data["or"]))
    if "and" in data:
        return And(tuple(_node_from_data(child, aliases) for child in data["and"]))
    raise ValueError(f"not a query node: {data!r}")


def query_to_json(query: Query) -> str:
    """The parsed form to store next to the text the reader typed.

    Terms keep what was typed and their flags, country expansions only the name typed: the
    normalized keys and the other names are computed again on load, so stored queries follow
    improvements of the normalization and of the name tables (and stay small).
    """
    return json.dumps(
        {
            "v": _JSON_VERSION,
            "text": query.text,
            "root": _node_to_data(query.root),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def query_from_json(s: str) -> Query:
    """Rebuild a `Query` stored by `query_to_json` (raises ValueError on a malformed value)."""
    data = json.loads(s)
    if not isinstance(data, dict) or data.get("v") != _JSON_VERSION:
        raise ValueError("unknown stored query format")
    aliases: list[tuple[str, tuple[str, ...]]] = []
    root = _node_from_data(data["root"], aliases)
    return Query(text=str(data["text"]), root=root, aliases=tuple(aliases))
