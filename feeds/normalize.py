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
  its overlapping character bigrams, so `북한` matches inside `북한은` without word boundaries.
  On the article side each bigram position also carries its single characters, so a
  one-character query still finds its character.
- **Forms** (inflection): besides its folded surface, a word carries its German and English
  lemmas (simplemma) when the lemma is a plausible inflection of it (shares its first three
  letters: `Raketen`→`rakete`, `missiles`→`missile`, `Nordkoreas`→`nordkorea`; but `war`
  does not become German `sein`) and not a function word (English `died` does not become
  `die`, German for "the"). Outside English, a capitalized word ending in -s also
  carries its stem, the German genitive of names (`Putins`→`putin`). Two words match when
  their form sets intersect. Each position's *canonical* key is its shortest form; `words()`
  returns those.

The lemmatizer runs in simplemma's low-memory mode (about 20 MB instead of 130 MB for German
and English); its slower lookups only hit words never seen before. All caches here are pure,
bounded memoization (`lru_cache` and two plain dicts emptied when full), safe to share between
threads; `clear_caches()` empties them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import cast

import simplemma

__all__ = [
    "Position",
    "analyze",
    "canonical",
    "clear_caches",
    "fold",
    "fold_word",
    "index_words",
    "is_unspaced",
    "words",
]

Position = tuple[str, ...]
"""The keys of one word position: the folded surface first, then its other forms."""

LEMMA_LANGUAGES = ("de", "en")
"""Languages whose inflection is understood (simplemma dictionaries)."""

# low_memory: the dict-backed dictionaries cost ~130 MB RSS for de+en, the stream backend ~20 MB;
# its slower lookups hardly matter because every word's result is memoized below.
_LOW_MEMORY = True

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


@lru_cache(maxsize=1 << 15)
def _lemma(word: str, language: str) -> str:
    return simplemma.lemmatize(word, lang=language, low_memory=_LOW_MEMORY)


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


def _forms(token: str, genitive_s: bool) -> Position:
    """The forms of one spaced-script token: its folded surface first, then its lemmas."""
    surface = fold_word(token)
    forms = [surface]
    # Lemmas only for Latin-script words of 3+ letters: the dictionaries know nothing else, and
    # every miss costs a lookup.
    if len(surface) > 2 and surface.isascii() and surface.isalpha():
        lower = token.lower()
        for language in LEMMA_LANGUAGES:
            lemma = fold_word(_lemma(lower, language))
            if lemma not in forms and _is_inflection(surface, lemma):
                forms.append(lemma)
        if (
            genitive_s
            and len(forms) == 1
            and token[0].isupper()
            and len(surface) > 4
            and surface.endswith("s")
            and not surface.endswith("ss")
        ):
            forms.append(surface[:-1])
    return tuple(forms)


# Memoized forms per token, one table per genitive flag. Plain dicts rather than lru_cache:
# `map(cache.get, tokens)` looks a whole text up in C, the hottest loop of matching. 65,536
# words hold a week of news vocabulary in about 15 MB; a full table is simply emptied.
_CACHE_LIMIT = 1 << 16
_FORMS_CACHE: dict[str, Position] = {}
_FORMS_CACHE_ENGLISH: dict[str, Position] = {}


def _word_positions(tokens: list[str], genitive_s: bool) -> list[Position]:
    cache = _FORMS_CACHE if genitive_s else _FORMS_CACHE_ENGLISH
    found = list(map(cache.get, tokens))
    if None in found:
        for number, position in enumerate(found):
            if position is None:
                token = tokens[number]
                position = found[number] = _forms(token, genitive_s)
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                cache[token] = position
    return cast(list[Position], found)


def clear_caches() -> None:
    """Forget every memoized word (benchmarks measure cold starts with it)."""
    _FORMS_CACHE.clear()
    _FORMS_CACHE_ENGLISH.clear()
    _lemma.cache_clear()
    _bigram_positions.cache_clear()
    _fold_char.cache_clear()


def _word_forms(token: str, genitive_s: bool) -> Position:
    return _word_positions([token], genitive_s)[0]


@lru_cache(maxsize=1 << 16)
def _bigram_positions(run: str, with_chars: bool) -> tuple[Position, ...]:
    """Positions of an unspaced run: its overlapping bigrams (plus its characters if asked)."""
    run = "".join(map(_fold_char, run))
    if len(run) == 1:
        return ((run,),)
    positions: list[Position] = []
    last = len(run) - 2
    for i in range(last + 1):
        bigram = run[i : i + 2]
        if not with_chars:
            positions.append((bigram,))
        elif i == last:
            positions.append((bigram, run[i], run[i + 1]))
        else:
            positions.append((bigram, run[i]))
    return tuple(positions)


def analyze(text: str, language: str | None = None, *, article: bool = True) -> list[Position]:
    """The word positions of a text with all their forms.

    `article=True` is the indexing side (bigram positions also carry their characters);
    `article=False` is the query side. `language` is the text's two-letter code when known:
    English turns off the genitive-s stem (English marks the genitive with an apostrophe).
    """
    text = _clean(text)
    genitive_s = language != "en"
    if _NEEDS_FULL_TOKENIZER.search(text) is None:
        # The common case: every token is one position.
        return _word_positions(_SIMPLE_TOKEN.findall(text), genitive_s)
    positions: list[Position] = []
    for token in _TOKEN.findall(text):
        if is_unspaced(token):
            positions.extend(_bigram_positions(token, article))
        else:
            positions.append(_word_forms(token, genitive_s))
    return positions


def canonical(position: Position) -> str:
    """The one key a position is stored and queried under: its shortest form (surface on ties).

    For unspaced scripts it is the bigram, never one of its characters.
    """
    best = position[0]
    if len(position) == 1 or is_unspaced(best):
        return best
    for form in position[1:]:
        if len(form) < len(best):
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
            if form not in seen:
                seen.add(form)
                tokens.append(form)
    return tokens


def forms_of(positions: Iterable[Position]) -> set[str]:
    """Every key occurring in some positions."""
    keys: set[str] = set()
    for position in positions:
        keys.update(position)
    return keys
