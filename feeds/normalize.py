"""Text normalization: turn news text and query words into comparable match keys.

One scheme serves the matcher, the query parser and the full-text index, so a word typed by a
reader and the same word in an article always meet:

- **Folding** (`fold_word`): lower case; accents and other marks removed from Latin, Greek,
  Arabic and Hebrew letters (Cyrillic keeps й/ў but loses the diaeresis of ё/ї); special
  letters spelled out (ß→ss, ł→l, ø→o, æ→ae, œ→oe, þ→th, đ→d, ı→i). German umlauts fold to the
  base letter (ö→o) *and* the transliterated digraphs ae/oe/ue collapse to the same base letter
  (`Köln`, `Koeln` and `Koln` → `koln`; `Zürich`/`Zuerich`/`Zurich` → `zurich`), so every
  spelling meets. To keep English words apart the collapse is skipped at the end of a word
  (`blue`, `Joe`), after a vowel (`neuen` ≠ `neun`), after q, and for `ue` after g (`guest`).
- **Tokens**: letters and digits; hyphens, dashes (any Unicode variant), apostrophes and other
  punctuation separate words, so `Kim Jong-un` = `KIM JONG‑UN` = `Kim Jong Un`. An English
  possessive `'s` is dropped. Soft hyphens and zero-width characters are removed first.
- **Scripts without spaces** (Han, kana, Hangul, Thai, …): a run of such characters becomes
  its overlapping character bigrams, so `北韓` matches inside a Chinese sentence without word
  boundaries. On the article side each bigram position also carries its single characters, so
  a one-character query still finds its character. Korean separates words by spaces but glues
  particles to nouns: a bigram that only particles follow carries a word-end key (`~북한` in
  `북한은`, `북한의`), and a Korean query word asks for it, so `북한` does not match inside
  `북한산` (the mountain Bukhansan).
- **Forms** (inflection): besides its folded surface, a word carries its lemmas (simplemma:
  German and English for every Latin-script text, plus the text's own language among fr, es,
  it, pt) when the lemma is a plausible inflection of it (shares its first
  three letters: `Raketen`→`rakete`, `missiles`→`missile`, `Nordkoreas`→`nordkorea`; but `war`
  does not become German `sein`) and not a function word (English `died` does not become
  `die`, German for "the"). Outside English, a capitalized word ending in -s also carries its
  stem, the German genitive of names (`Putins`→`putin`). Russian words take simplemma's
  Russian lemma in Russian texts and lose their case ending elsewhere (`Путина`→`путин`).
  Two words match when their form sets intersect. Each position's *canonical* key is its
  shortest unmarked form; `words()` returns those.
- **Marked forms** (`MARKERS`), for the matcher only (never canonical, never in the FTS index):
  the parts of a German compound noun found by a dictionary split (`+rakete`, `+start` in
  `Raketenstart`; both parts must be dictionary words, so `Kimchi` stays whole), Korean word
  ends (`~`), a name that is an ordinary word in lower case (`^poutine`: French `Poutine` is
  Putin, `la poutine` a dish), and the romanized skeleton of a capitalized Cyrillic word
  (`=navaln` for `Навального`), which a Latin query name outside the alias tables shares.

The lemmatizer reads simplemma's dictionaries through `_HashedDictionary` (about 20 MB for
German and English instead of simplemma's 130 MB of dicts; a lookup one hash and one `bytes.find`
instead of the 10-60 µs of simplemma's own low-memory reader; the other languages load on their
first text), and only for words never seen before; a plain word skips simplemma's wrappers
(`_plain_lemma`, same answers). All caches here are pure, bounded memoization (`lru_cache` and
plain dicts emptied when full), safe to share between threads; `clear_caches()` empties them.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Iterable, Iterator, Mapping
from functools import cache, lru_cache
from typing import cast

import simplemma
from simplemma.strategies import (
    DefaultStrategy,
    DictionaryLookupStrategy,
    LemmatizationStrategy,
    ToLowercaseFallbackStrategy,
)
from simplemma.strategies.apostrophe_boundary import APOSTROPHE_BOUNDARY_LANGS
from simplemma.strategies.clitic_decomposition import _CLITIC_SUFFIXES
from simplemma.strategies.dictionaries import frontcode
from simplemma.strategies.dictionaries.dictionary_factory import (
    CachingDictionaryFactory,
    DecodedStrMapping,
    _read_decompressed,
)
from simplemma.strategies.dictionaries.stream_dictionary_factory import StreamMap
from simplemma.utils import CANON_LANGS, has_apostrophe, normalize_token

__all__ = [
    "Position",
    "analyze",
    "canonical",
    "clear_caches",
    "fold",
    "fold_word",
    "index_words",
    "is_known",
    "is_unspaced",
    "lemmatize",
    "name_skeleton",
    "script_of",
    "transliterate",
    "words",
]

Position = tuple[str, ...]
"""The keys of one word position: the folded surface first, then its other forms."""

LEMMA_LANGUAGES = ("de", "en")
"""Languages whose inflection is understood in every Latin-script text (simplemma)."""
EXTRA_LEMMA_LANGUAGES = frozenset(("fr", "es", "it", "pt"))
"""Languages whose dictionary is added for a text in that language (loaded on first use, about
3-12 MB each); Russian is used for every Cyrillic word."""

COMPOUND = "+"
"""Marks the key of a German compound's first or last part (`+korea` in `Nordkorea`)."""
WORD_END = "~"
"""Marks a Korean bigram that ends a word (only particles follow it: `~북한` in `북한은`)."""
CASED = "^"
"""Marks a capitalized word that is a name only when capitalized (`^poutine`)."""
TRANSLITERATED = "="
"""Marks the romanized skeleton of a Cyrillic name (`=navaln` for `Навальный`)."""
MARKERS = frozenset((COMPOUND, WORD_END, CASED, TRANSLITERATED))
"""Marked keys are extra forms for the matcher only: never canonical, never in the FTS index."""


@cache
def capitalized_names() -> frozenset[str]:
    """Names that are also ordinary words: as another name's alternative, the name only when
    capitalized (French `Poutine` is Putin, `la poutine` the dish). The alias tables list them
    (`feeds.aliases.ORDINARY_WORDS`); imported on first use, as the tables import this module.
    """
    from feeds.aliases import ORDINARY_WORDS

    return ORDINARY_WORDS


_UNSPACED = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1100-\u11ff"  # Hangul Jamo
    "\u1780-\u17ff"  # Khmer
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana
)
# Combining marks are not \w in Python's re; without them Indic or vowelled Arabic words would
# break apart at every vowel sign.
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    "\u0900-\u0dff\u0f00-\u0fff\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
)
_TOKEN = re.compile(f"[{_UNSPACED}]+|(?:[^\\W_{_UNSPACED}]|[{_MARKS}])+")
_UNSPACED_CHAR = re.compile(f"[{_UNSPACED}]")
# Most text has neither unspaced scripts nor combining marks: a plain class is twice as fast.
_SIMPLE_TOKEN = re.compile(r"[^\W_]+")
_NEEDS_FULL_TOKENIZER = re.compile(f"[{_UNSPACED}{_MARKS}]")
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_POSSESSIVE = re.compile("(?<=\\w)['\u2019\u02bc\u00b4`]s\\b", re.IGNORECASE)
# ae/oe/ue → a/o/u at the start of a word or after a consonant (not q; for ue not g either),
# and only when more letters follow.
_DIGRAPH = re.compile(
    "(?:^|(?<=[bcdfghjklmnprstvwxyz]))([ao])e(?=\\w)|(?:^|(?<=[bcdfhjklmnprstvwxyz]))ue(?=\\w)"
)

_SPECIAL_LETTERS = {
    "ß": "ss",
    "ẞ": "ss",
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "æ": "ae",
    "œ": "oe",
    "ı": "i",
    "ŀ": "l",
    "ħ": "h",
    "ŧ": "t",
    "ŋ": "ng",
    "ſ": "s",
    "ς": "σ",
}
_STRIP_ALL_MARKS = ("LATIN", "GREEK", "ARABIC", "HEBREW")
_CYRILLIC_STRIPPED_MARKS = frozenset("\u0300\u0301\u0308")


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    """Fold one character (lower-cased already) as described in the module docstring."""
    special = _SPECIAL_LETTERS.get(char)
    if special is not None:
        return special
    kept: list[str] = []
    script = ""
    for part in unicodedata.normalize("NFKD", char):
        if unicodedata.category(part) != "Mn":
            name = unicodedata.name(part, "")
            script = name.split(" ", 1)[0]
            kept.append(_SPECIAL_LETTERS.get(part, part))
        elif script not in _STRIP_ALL_MARKS and not (
            script == "CYRILLIC" and part in _CYRILLIC_STRIPPED_MARKS
        ):
            kept.append(part)
    return unicodedata.normalize("NFC", "".join(kept)).lower()


def _collapse_digraph(match: re.Match[str]) -> str:
    return match.group(1) or "u"


def fold_word(token: str) -> str:
    """Fold one token: lower case, no accents, special letters spelled out, digraphs collapsed."""
    low = token.lower()
    folded = low if low.isascii() else "".join(map(_fold_char, low))
    if "e" in folded:
        folded = _DIGRAPH.sub(_collapse_digraph, folded)
    return folded


def is_unspaced(token: str) -> bool:
    """True for a token of a script written without spaces (matched by character bigrams)."""
    return _UNSPACED_CHAR.match(token) is not None


def _clean(text: str) -> str:
    """Unify the text's encoding details that must not split or join words."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text))
    if "'" in text or "\u2019" in text or "\u02bc" in text or "`" in text or "\u00b4" in text:
        text = _POSSESSIVE.sub("", text)
    return text


def _tokens(text: str) -> list[str]:
    text = _clean(text)
    if _NEEDS_FULL_TOKENIZER.search(text) is None:
        return _SIMPLE_TOKEN.findall(text)
    return _TOKEN.findall(text)


def _lemma(word: str, language: str) -> str:
    lemmas = _LEMMAS.get(language)
    if lemmas is None:
        lemmas = _LEMMAS[language] = {}
    lemma = lemmas.get(word)
    if lemma is None:
        if language not in _SPECIAL_LEMMA_LANGUAGES and (
            # ASCII letters pass every test below; most words are such.
            (word.isascii() and word.isalpha())
            or (
                word.isalpha()
                and not word.isnumeric()
                and not has_apostrophe(word)
                and unicodedata.is_normalized("NFC", word)
            )
        ):
            lemma = _plain_lemma(word, language)
        else:
            lemma = _lemmatizer().lemmatize(word, language)
        if lemma == word:
            lemma = word  # most words are their own lemma: no second copy of the text
        if len(lemmas) >= _LEMMAS_LIMIT:
            lemmas.clear()
        lemmas[word] = lemma
    return lemma


# Memoized lemmas, one dict per language, keyed by the word alone: an lru_cache's key tuple and
# link cost 6 MB of the bot's resident memory for the 32,768 words it kept. 8,192 words per
# language keep a bot reading seven languages near that count (the forms of every word seen
# are memoized per text language anyway, `_FORMS_CACHES`).
_LEMMAS: dict[str, dict[str, str]] = {}
_LEMMAS_LIMIT = 1 << 13


# Languages whose simplemma lookup does more than the plain path below: apostrophe splitting,
# canonicalized keys, Armenian marks.
_SPECIAL_LEMMA_LANGUAGES = APOSTROPHE_BOUNDARY_LANGS | CANON_LANGS | {"hy"}


def _plain_lemma(word: str, language: str) -> str:
    """What `simplemma.Lemmatizer.lemmatize` answers for a plain word (letters only, NFC, no
    apostrophe, one language), without its layers of wrappers: the dictionary lookup inline
    (as `DictionaryLookupStrategy` does it: the word, then with its first letter's case
    reversed), then the rest of `DefaultStrategy`'s chain, then the lower-case fallback.
    A new word costs this once, a few Python calls fewer than through simplemma (a small
    gain next to the dictionary's cache misses and the chain's work for unknown words).
    tests/unit/test_normalize_lemma_path.py checks both give the same answers."""
    dictionary = _dictionaries().get_dictionary(language)
    other = word.lower() if word[:1].isupper() else word.capitalize()
    if isinstance(dictionary, _HashedDictionary):
        found = dictionary.either(word, other)
    else:
        found = dictionary.get(word)
        if found is None:
            found = dictionary.get(other)
    if found:
        return found
    for strategy in _after_lookup(language):
        # The chain is an `a or b or …`: the first true answer, else the last one.
        found = strategy.get_lemma(word, language)
        if found:
            return found
    return found if found is not None else _FALLBACK.get_lemma(word, language)


_FALLBACK = ToLowercaseFallbackStrategy()


@cache
def _after_lookup(language: str) -> tuple[LemmatizationStrategy, ...]:
    """`DefaultStrategy._search_pipeline` after its dictionary lookup (apostrophes aside),
    in its order, the same strategy objects, less those that cannot answer for a plain word
    (letters only) in this language: hyphen removal (no hyphen), clitic stripping where every
    clitic of the language has an apostrophe or a hyphen (English `'ll`, Portuguese `-lhe`;
    German and French have none). Each skipped one cost about 0.5-1.4 µs per new word and
    language; their answer was always None, and the chain takes the first true answer."""
    strategy = cast(DefaultStrategy, _lemmatizer()._lemmatization_strategy)
    chain: list[LemmatizationStrategy] = []
    if any(suffix.isalpha() for suffix in _CLITIC_SUFFIXES.get(language, ())):
        chain.append(strategy._clitic_search)
    chain.extend(
        (
            strategy._rules_search,
            strategy._prefix_search,
            strategy._affix_search,
            strategy._morpheme_search,
        )
    )
    return tuple(chain)


def lemmatize(word: str, language: str) -> str:
    """simplemma's lemma of a word (its dictionaries loaded once per process, memoized)."""
    return _lemma(word, language)


def is_known(word: str, languages: tuple[str, ...]) -> bool:
    """Whether one of the languages' simplemma dictionaries knows the word (either case)."""
    token = normalize_token(word)
    for language in languages:
        dictionary = _dictionaries().get_dictionary(language)
        if (
            isinstance(dictionary, _HashedDictionary)
            and language not in _SPECIAL_LEMMA_LANGUAGES
            and token.isalpha()
        ):
            # What `DictionaryLookupStrategy` does for a word without apostrophe: the word,
            # then with its first letter's case reversed (here from one bucket).
            other = token.lower() if token[:1].isupper() else token.capitalize()
            if dictionary.either(token, other) is not None:
                return True
        elif _dictionary_lookup().get_lemma(token, language) is not None:
            return True
    return False


class _HashedDictionary(DecodedStrMapping):
    """One language's simplemma dictionary in one buffer, its records grouped by key hash:
    a lookup is one hash and one C-level `bytes.find` over a few records. The hash is that of
    the key in lower case (ASCII letters), so the case variants the lemmatizer tries second
    (`Raketen` after `raketen`) lie in the bucket just read (`either`).

    simplemma's low-memory backend decodes up to 32 front-coded records in Python per lookup
    (10-60 µs); a bisection over sorted blocks of records cost about 3.6 µs, mostly cache
    misses (a new word costs several lookups: the first pass over new vocabulary was
    dominated by them); here 1.5 µs for a hit, 0.9 µs for a miss. The records are
    `\\n key \\t p value[p:]` (p: one byte, the length of the prefix the value shares with
    the key), every bucket of about four records contiguous; `_ends[b]` is where bucket b
    starts. Same data, same answers, about 1 MB more than the sorted blocks and no object per
    record; building it costs about 1.5 s more CPU, once per process (German).
    """

    __slots__ = ("_blob", "_buckets", "_count", "_ends")

    _PER_BUCKET = 4
    _MAX_SHARED = 90

    def __init__(self, data: bytes) -> None:
        _reverse, count, start = frontcode._read_header(data)
        self._count = count
        self._buckets = buckets = max(1, count // self._PER_BUCKET)
        # Two passes over the stream, all sizes known up front: no object per record (a list
        # of all records left the allocator's arenas fragmented, over 100 MB of RSS kept) and
        # no growing buffer (its copies stayed in RSS).
        where = array("I", [0]) * count
        shares = array("B", [0]) * count
        ends = array("I", [0]) * (buckets + 1)
        most = self._MAX_SHARED
        for number, (_start, key, value) in enumerate(frontcode._iter_records(data, start)):
            # Most lemmas share all but a few last letters: a short walk back from the longest.
            shared = min(len(key), len(value), most)
            while key[:shared] != value[:shared]:
                shared -= 1
            bucket = where[number] = hash(key.lower()) % buckets
            shares[number] = shared
            ends[bucket + 1] += len(key) + len(value) - shared + 3
        for bucket in range(buckets):
            ends[bucket + 1] += ends[bucket]
        cursor = array("I", ends)
        blob = bytearray(ends[buckets] + 1)
        for number, (_start, key, value) in enumerate(frontcode._iter_records(data, start)):
            shared = shares[number]
            record = b"\n%s\t%c%s" % (key, 0x21 + shared, value[shared:])
            bucket = where[number]
            at = cursor[bucket]
            cursor[bucket] = end = at + len(record)
            blob[at:end] = record
        blob[-1] = 0x0A  # the last record's value ends at a newline too
        self._blob = blob
        self._ends = ends

    def _lookup(self, key: str) -> str | None:
        target = key.encode()
        bucket = hash(target.lower()) % self._buckets
        return self._value(target, self._ends[bucket], self._ends[bucket + 1])

    def either(self, key: str, other: str) -> str | None:
        """The value of `key`, else of `other` (the same word with other case: one bucket
        when they differ in ASCII case only, as the lemmatizer's two lookups mostly do)."""
        target, second = key.encode(), other.encode()
        lowered = target.lower()
        bucket = hash(lowered) % self._buckets
        start, end = self._ends[bucket], self._ends[bucket + 1]
        value = self._value(target, start, end)
        if value is None:
            if second.lower() != lowered:
                bucket = hash(second.lower()) % self._buckets
                start, end = self._ends[bucket], self._ends[bucket + 1]
            value = self._value(second, start, end)
        return value

    def _value(self, target: bytes, start: int, end: int) -> str | None:
        blob = self._blob
        found = blob.find(b"\n" + target + b"\t", start, end)
        if found < 0:
            return None
        start = found + len(target) + 2
        shared = blob[start] - 0x21
        return (target[:shared] + blob[start + 1 : blob.index(b"\n", start)]).decode()

    def __iter__(self) -> Iterator[str]:
        ends, blob = self._ends, self._blob
        for bucket in range(self._buckets):
            for record in blob[ends[bucket] : ends[bucket + 1]].split(b"\n"):
                if record:
                    yield record.split(b"\t", 1)[0].decode()

    def __len__(self) -> int:
        return self._count


class _BlockDictionaries(CachingDictionaryFactory):
    __slots__ = ()

    def _get_dictionary_uncached(self, lang: str) -> Mapping[str, str]:
        data = _read_decompressed(lang)
        if frontcode._read_header(data)[0]:
            # Keys stored reversed (sorted by their ends): simplemma's own reader.
            return StreamMap(lang)
        return _HashedDictionary(data)


@cache
def _dictionaries() -> _BlockDictionaries:
    return _BlockDictionaries()


@cache
def _lemmatizer() -> simplemma.Lemmatizer:
    # No cache of its own: `_lemma` memoizes (simplemma's default would keep 65,536 more).
    strategy = DefaultStrategy(dictionary_factory=_dictionaries())
    return simplemma.Lemmatizer(
        cache_max_size=0, lemmatization_strategy=strategy, fallback_lemmatization_strategy=_FALLBACK
    )


@cache
def _dictionary_lookup() -> DictionaryLookupStrategy:
    return DictionaryLookupStrategy(_dictionaries())


# The most frequent German and English function words. A lemma that is one of them is not
# added as a form: English `died`/`dies` would otherwise become `die` and match every German
# text (`die` = the), and `eine`/`seiner` would become `ein`/`sein`.
_FUNCTION_WORDS_TEXT = (
    "der die das den dem des ein eine einer einem einen eines kein keine und oder aber "
    "in im an am auf aus bei mit nach von vor zu zum zur fur uber unter um als wie so "
    "ist sind war waren wird werden wurde hat haben hatte sein seine ihr ihre sie er es "
    "wir ich du nicht auch noch nur schon dass wenn weil man mehr sich was wer wo "
    "the a an and or but on at to of for from by with as is are was were be been being "
    "has have had do does did will would can could should may might must it its he she "
    "they we you not no this that these those there here who what which when where why "
    "how all any some more most other such than then so if his her their our your"
)
_FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())


def _is_inflection(surface: str, lemma: str) -> bool:
    """Whether a lemma plausibly inflects the surface form: it shares the first three letters
    (guards against `war`→`sein`) and is no function word (guards against `died`→`die`)."""
    return lemma[:3] == surface[:3] and lemma not in _FUNCTION_WORDS


def _forms(token: str, language: str | None) -> Position:
    """The forms of one spaced-script token: its folded surface first, then its lemmas, then
    its marked keys (compound parts, cased name, transliteration; see `MARKERS`)."""
    surface = fold_word(token)
    forms = [surface]
    if len(surface) <= 2:
        return (surface,)
    if surface.isascii() and surface.isalpha():
        # Lemmas only for Latin-script words of 3+ letters: the dictionaries know nothing else,
        # and every miss costs a lookup.
        lower = token.lower()
        for lemma_language in _latin_lemma_languages(language):
            lemma = _lemma(lower, lemma_language)
            # A word that is its own lemma (every unknown word) folds to the surface.
            lemma = surface if lemma == lower else fold_word(lemma)
            if lemma not in forms and _is_inflection(surface, lemma):
                forms.append(lemma)
        if (
            language != "en"
            and len(forms) == 1
            and token[0].isupper()
            and len(surface) > 4
            and surface.endswith("s")
            and not surface.endswith("ss")
        ):
            forms.append(surface[:-1])
        if language in _COMPOUND_LANGUAGES and token[0].isupper() and len(token) >= _MIN_COMPOUND:
            forms.extend(_compound_keys(token))
        if token[0].isupper() and surface in capitalized_names():
            forms.append(CASED + surface)
    elif _CYRILLIC_WORD.fullmatch(surface):
        # simplemma's Russian dictionary (about 20 MB) only for Russian texts; queries, alias
        # names and the odd Cyrillic word elsewhere get a plain ending strip.
        lemma = fold_word(_lemma(token, "ru")) if language == "ru" else _russian_stem(surface)
        if lemma not in forms and _is_inflection(surface, lemma):
            forms.append(lemma)
        if token[0].isupper() and not token.isupper() and len(surface) >= _MIN_TRANSLITERATED:
            skeleton = name_skeleton(transliterate(min(forms, key=len)))
            if skeleton:
                forms.append(TRANSLITERATED + skeleton)
    return tuple(forms)


# Case endings of Russian and Ukrainian nouns, adjectives and names, longest first
# (Росією, Китаєм, Путіним too).
_RUSSIAN_ENDINGS = (
    "ого", "его", "ому", "ему", "ыми", "ими", "ами", "ями", "ою", "єю", "єм", "ом", "ем",
    "ой", "ей", "ым", "им", "ых", "их", "ам", "ям", "ах", "ях", "ую", "юю", "ая", "яя", "ое",
    "ее", "ые", "ие", "ый", "ий", "а", "я", "у", "ю", "е", "є", "ы", "и", "і", "ї", "й",
)  # fmt: skip
_MIN_RUSSIAN_STEM = 4


def _russian_stem(word: str) -> str:
    """A folded Cyrillic word without its case ending when at least four letters remain
    (`путина`, `путиным` → `путин`; `навального` → `навальн`), else the word."""
    for ending in _RUSSIAN_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_RUSSIAN_STEM:
            return word[: -len(ending)]
    return word


def _latin_lemma_languages(language: str | None) -> tuple[str, ...]:
    """German and English for every Latin-script text (feeds mislabel their language, and
    news mixes them: `Nordkoreas` in a feed declared English), plus the text's own language
    when we have its dictionary."""
    return _LEMMAS_FOR.get(language, LEMMA_LANGUAGES)  # type: ignore[arg-type]


_LEMMAS_FOR = {language: (*LEMMA_LANGUAGES, language) for language in EXTRA_LEMMA_LANGUAGES}


# ---------------------------------------------------------------------------------------------
# German compounds

_COMPOUND_LANGUAGES = frozenset(("de", None))
_QUERY = "query"
"""The language key of query words: like an unknown language, but never split."""
_MIN_COMPOUND = 8
_MIN_HEAD = 4
_MIN_START = 3
# Linking elements between the parts (Raketen|start, Regierung|s|chef, Hund|e|hütte).
_LINKS = ("", "s", "es", "n", "en", "e", "er")


@lru_cache(maxsize=1 << 15)
def _known(word: str) -> bool:
    return is_known(word, ("de",))


def _noun_lemma(word: str) -> str | None:
    """The German noun a word inflects (capitalized in the dictionary), or None."""
    if not _known(word):
        return None
    lemma = _lemma(word.capitalize(), "de")
    return lemma if lemma[:1].isupper() else None


def _compound_keys(token: str) -> tuple[str, ...]:
    """`+`-marked keys of the parts of a German compound noun, when a dictionary split finds
    every part (`Raketenstart` → +rakete, +start; `Nordkoreas` → +nord, +korea;
    `Atomraketentest` → +atom, +rakete, +test), else ().

    The word must be a noun (an adjective such as `koreanische` would split into korea|nische),
    the last part a noun of at least four letters, the others at least three letters
    (`Kimchi` never splits); at most three parts.
    """
    # The lower-case lookup is the one `_forms` made already; nouns come back capitalized.
    whole = _lemma(token.lower(), "de")
    if not whole[:1].isupper():
        whole = _lemma(token, "de")
        if not whole[:1].isupper():
            return ()
    parts = _split(whole.lower(), _MAX_PARTS)
    if parts is None:
        return ()
    return tuple(dict.fromkeys(COMPOUND + fold_word(part) for part in parts))


_MAX_PARTS = 3
_MIN_INNER_START = 5


def _split(word: str, parts: int) -> list[str] | None:
    """The dictionary lemmas of a compound's parts (at most `parts`), the last one a noun."""
    for cut in range(_MIN_START, len(word) - _MIN_HEAD + 1):
        head = _noun_lemma(word[cut:])
        if head is None:
            continue
        start = _start_parts(word[:cut], parts - 1)
        if start is not None:
            # The longest head may be a compound itself: Atom|raketentest → Rakete|test. Its
            # first part must be longer, or every word splits (Minister → Mini|ster).
            inner = _split(word[cut:], parts - len(start)) if parts - len(start) > 1 else None
            if inner is None or len(inner[0]) < _MIN_INNER_START:
                return [*start, head]
            return [*start, *inner]
    return None


def _start_parts(left: str, parts: int) -> list[str] | None:
    """The parts before the head: one known word, or (when allowed) a compound itself; the
    linking element between them dropped (Raketen|start, Regierung|s|chef)."""
    for link in _LINKS:
        if left.endswith(link) and len(left) - len(link) >= _MIN_START:
            stem = left[: len(left) - len(link)]
            if _known(stem):
                return [_lemma(stem.capitalize(), "de")]
    if parts > 1:
        for link in _LINKS:
            if left.endswith(link) and len(left) - len(link) >= 2 * _MIN_START:
                inner = _split(left[: len(left) - len(link)], parts - 1)
                if inner is not None:
                    return inner
    return None


# ---------------------------------------------------------------------------------------------
# Transliteration (Cyrillic → Latin) for names outside the alias tables

_CYRILLIC_WORD = re.compile("[\u0400-\u04ff]+")
_MIN_TRANSLITERATED = 4
_CYRILLIC_LATIN = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
        "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
        "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
        "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
        "я": "ya", "і": "i", "ї": "i", "є": "ie", "ґ": "g", "ў": "u",
    }
)  # fmt: skip
# Spellings that differ between romanizations (Zelenskyy/Zelensky/Selenskyj, Shoigu/Shoygu,
# Chernyshev/Tschernyschew) collapse to one skeleton.
_SKELETON_STEPS = (
    (re.compile("tsch|tch"), "ch"),
    (re.compile("sch"), "sh"),
    (re.compile("kh|ch|h"), "h"),
    (re.compile("zh|sh|j|y|w"), lambda m: {"zh": "z", "sh": "s", "w": "v"}.get(m.group(), "i")),
    (re.compile("ts|tz"), "c"),
    (re.compile("ks"), "x"),
    (re.compile("(.)\\1+"), "\\1"),
    (re.compile("[aeiou]+$"), ""),
    (re.compile("ii|ie"), "i"),
)


def transliterate(word: str) -> str:
    """A folded Cyrillic word in Latin letters (a plain scholarly-style table)."""
    return word.translate(_CYRILLIC_LATIN)


def name_skeleton(latin: str) -> str:
    """A coarse key for a name in Latin letters under which its romanizations meet
    (`navalnyy`, `navalny`, `nawalny` → `navaln`); empty when too short to be safe."""
    key = latin
    for pattern, replacement in _SKELETON_STEPS:
        key = pattern.sub(replacement, key)
    key = key.rstrip("i")
    return key if len(key) >= _MIN_TRANSLITERATED else ""


# Memoized forms per token, one table per text language. Plain dicts rather than lru_cache:
# `map(cache.get, tokens)` looks a whole text up in C, the hottest loop of matching. 65,536
# words hold a week of news vocabulary in about 15 MB; a full table is simply emptied.
_CACHE_LIMIT = 1 << 16
# Query words are analyzed once per new term (`feeds.query.make_term` memoizes terms), mostly
# when the stored subscriptions load: kept all, they stayed resident (5 MB for 36,000 words
# at 100,000 subscriptions) for the odd new subscription.
_QUERY_CACHE_LIMIT = 1 << 12
_FORMS_CACHES: dict[str | None, dict[str, Position]] = {}


def _word_positions(tokens: list[str], language: str | None) -> list[Position]:
    cache = _FORMS_CACHES.get(language)
    if cache is None:
        cache = _FORMS_CACHES[language] = {}
    found = list(map(cache.get, tokens))
    if None in found:
        for number, position in enumerate(found):
            if position is None:
                token = tokens[number]
                position = found[number] = _forms(token, language)
                if len(cache) >= (_QUERY_CACHE_LIMIT if language == _QUERY else _CACHE_LIMIT):
                    cache.clear()
                cache[token] = position
    return cast(list[Position], found)


def clear_caches() -> None:
    """Forget every memoized word (benchmarks measure cold starts with it)."""
    _FORMS_CACHES.clear()
    _LEMMAS.clear()
    _known.cache_clear()
    _bigram_positions.cache_clear()
    _fold_char.cache_clear()


def _word_forms(token: str, language: str | None) -> Position:
    return _word_positions([token], language)[0]


# What may follow a Korean noun inside one space-separated word without making it another
# word: particles and copula endings (북한은, 북한의, 북한에서), and a few nouns that make the
# same topic (북한측 = the North Korean side). A noun followed by anything else is part of a
# longer word (북한산, the mountain Bukhansan).
_KOREAN_ENDINGS = frozenset(
    (
        "은", "는", "이", "가", "을", "를", "의", "에", "와", "과", "도", "만", "로", "으로",
        "에서", "에게", "께", "한테", "까지", "부터", "보다", "처럼", "라고", "이라고", "이다",
        "이며", "이고", "이나", "나", "과의", "와의", "에서의", "에는", "에도", "으로의", "로서",
        "으로서", "로부터", "으로부터", "에선", "이란", "란", "측", "측은", "측이", "측의",
        "정권", "당국", "주민", "정부",
    )
)  # fmt: skip
_HANGUL = re.compile("[\uac00-\ud7af]")


@lru_cache(maxsize=1 << 16)
def _bigram_positions(run: str, with_chars: bool) -> tuple[Position, ...]:
    """Positions of an unspaced run: its overlapping bigrams (plus its characters if asked).

    In Korean, on the article side, a bigram that only particles follow also carries its
    word-end key (`~북한` in 북한은, not in 북한산).
    """
    run = "".join(map(_fold_char, run))
    if len(run) == 1:
        return ((run,),)
    korean = with_chars and _HANGUL.match(run) is not None
    positions: list[Position] = []
    last = len(run) - 2
    for i in range(last + 1):
        bigram = run[i : i + 2]
        forms = [bigram]
        if with_chars:
            forms.append(run[i])
            if i == last:
                forms.append(run[i + 1])
        if korean and (i == last or run[i + 2 :] in _KOREAN_ENDINGS):
            forms.append(WORD_END + bigram)
        positions.append(tuple(forms))
    return tuple(positions)


def analyze(text: str, language: str | None = None, *, article: bool = True) -> list[Position]:
    """The word positions of a text with all their forms.

    `article=True` is the indexing side (bigram positions also carry their characters);
    `article=False` is the query side. `language` is the text's two-letter code when known:
    English turns off the genitive-s stem (English marks the genitive with an apostrophe).
    """
    text = _clean(text)
    if not article and language is None:
        # Queries of unknown language: German and English lemmas, no compound split (its
        # parts would be dropped below anyway; see `_QUERY`).
        language = _QUERY
    if _NEEDS_FULL_TOKENIZER.search(text) is None:
        # The common case: every token is one position.
        positions = _word_positions(_SIMPLE_TOKEN.findall(text), language)
    else:
        positions = []
        for token in _TOKEN.findall(text):
            if is_unspaced(token):
                positions.extend(_bigram_positions(token, article))
            else:
                positions.append(_word_forms(token, language))
    if not article:
        # A query word is not its own parts: `Nordkorea` must not find `Südkorea` by `+korea`.
        positions = [
            tuple(form for form in position if form[0] != COMPOUND) for position in positions
        ]
    return positions


def canonical(position: Position) -> str:
    """The one key a position is stored and queried under: its shortest form (surface on ties).

    For unspaced scripts it is the bigram, never one of its characters.
    """
    best = position[0]
    if len(position) == 1 or is_unspaced(best):
        return best
    for form in position[1:]:
        if len(form) < len(best) and form[0] not in MARKERS:
            best = form
    return best


def fold(text: str) -> str:
    """Case-, accent-, punctuation- and hyphen-insensitive form of a text: folded words, spaced.

    `fold("Kim Jong-un") == fold("KIM JONG‑UN") == fold("Kim Jong Un") == "kim jong un"`;
    runs of unspaced scripts stay whole (no bigrams).
    """
    return " ".join(
        "".join(map(_fold_char, token)) if is_unspaced(token) else fold_word(token)
        for token in _tokens(text)
    )


def words(text: str, language: str | None = None) -> list[str]:
    """The canonical match keys of a text, one per word position (query side).

    German and English words are lemmatized (`Nordkoreas`→`nordkorea`, `Raketen`→`rakete`,
    `missiles`→`missile`); unspaced scripts give character bigrams (`북한은`→`북한`, `한은`).
    """
    return [canonical(position) for position in analyze(text, language, article=False)]


def index_words(text: str, language: str | None = None) -> list[str]:
    """The tokens a full-text index stores for a text so that `words()` of a query finds it.

    First the canonical key of every position in order (so a phrase of canonical keys is
    adjacent, as FTS5 phrase queries need), then every other form once (surface words for
    prefix queries, alternative lemmas, single characters of unspaced scripts). Store it
    space-joined in an FTS5 column with the plain `unicode61` tokenizer.
    """
    positions = analyze(text, language, article=True)
    tokens = [canonical(position) for position in positions]
    seen = set(tokens)
    for position in positions:
        for form in position:
            if form not in seen and form[0] not in MARKERS:
                seen.add(form)
                tokens.append(form)
    return tokens


_SCRIPT_PREFIXES = {"CJK": "Han", "HIRAGANA": "Kana", "KATAKANA": "Kana", "HANGUL": "Hangul"}


def script_of(text: str) -> str:
    """The script of a text's first letter: `Latin`, `Cyrillic`, `Han`, `Hangul`, `Kana`,
    `Arabic`, …; empty when it has no letter."""
    for char in text:
        if char.isalpha():
            first = unicodedata.name(char, "").split(" ", 1)[0]
            return _SCRIPT_PREFIXES.get(first, first.capitalize())
    return ""


def forms_of(positions: Iterable[Position]) -> set[str]:
    """Every key occurring in some positions."""
    keys: set[str] = set()
    for position in positions:
        keys.update(position)
    return keys
