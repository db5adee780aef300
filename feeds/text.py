"""Turn the HTML fragments that feeds carry into clean plain text, and cut text to a length.

Feeds put markup and entities everywhere: escaped HTML in RSS descriptions, `<b>` in Google
Alerts titles, double-escaped references such as `&amp;#x0024;` (craigslist), UTF-8 that was
decoded as Windows-1252 and encoded again (`â€™` for `’`). `html_to_text` undoes all of that.

Markup is removed by a small tokenizer that only moves forward: every search starts where the
previous one ended, and a construct left open (a tag without `>`, a comment without `-->`, a
`<script>` without its end tag) ends the text, as it does in a browser. Feed text is hostile
input, so the work is linear in its length whatever it contains: backtracking patterns took
quadratic time on `<p <p <p…`, and so does the standard library's `html.parser` on the
Python this runs on (three minutes for 300 kB).
"""

from __future__ import annotations

import html
import re

__all__ = ["cut", "html_to_text", "repair_mojibake"]

# Elements whose content is never visible text.
_INVISIBLE = frozenset({"script", "style", "noscript", "template", "head", "svg:style"})


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Block-level and line-breaking elements become a space so that words on both sides stay apart.
_BLOCK = _names(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 "
    "h6 header hr img li main nav ol p pre section table tbody td tfoot th thead tr ul"
)
# After unescaping, text like `&lt;b&gt;` has turned into `<b>`: only names of real HTML
# elements are markup then, so that prose such as "a <= b" or "<3" survives.
_KNOWN_AFTER_UNESCAPE = _names(
    "a abbr b big blockquote br center cite code dd del div dl dt em figcaption figure font h1 "
    "h2 h3 h4 h5 h6 hr i iframe img ins li mark ol p pre q s script small span strike strong "
    "style sub sup table tbody td th thead tr tt u ul video audio source picture"
)
_TAG_NAME = re.compile(r"/?([A-Za-z][\w:.-]*)")
# The rest of a tag up to its `>`, quoted attribute values skipped whole (`alt="a > b"`).
# Possessive: a tag that does not end fails after one scan, never by backtracking.
_TAG_REST = re.compile(r"(?:[^>\"']++|\"[^\"]*+\"|'[^']*+')*+>")
_END_TAG = {name: re.compile(rf"</{re.escape(name)}\b", re.IGNORECASE) for name in _INVISIBLE}

# A character reference left over after one round of unescaping (double-escaped feeds).
_LEFTOVER_REF = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
# C0/C1 control characters (tab/newline excluded: they are whitespace) and stray surrogates.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_INVISIBLE_CHARS = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_WHITESPACE = re.compile(r"\s+")

# Mojibake: UTF-8 bytes decoded as Windows-1252 (or Latin-1 for the five bytes cp1252 leaves
# undefined). A run of at least two such characters starting with a UTF-8 lead byte is a
# candidate; it is replaced only when it re-decodes as strict UTF-8 into characters that
# plausibly appear in news text (see _PLAUSIBLE), which keeps e.g. German "Spaß“" intact.
_CP1252_SPECIALS = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
_CONTINUATION = "[\u0080-\u00bf" + re.escape(_CP1252_SPECIALS) + "]"
_MOJIBAKE_RUN = re.compile(f"(?:[\u00c2-\u00f4]{_CONTINUATION}{{1,3}})+")
_MOJIBAKE_HINT = re.compile(f"[\u00c2-\u00f4]{_CONTINUATION}")
_TO_BYTE = {ch: ch.encode("cp1252")[0] for ch in _CP1252_SPECIALS}


def _plausible(ch: str) -> bool:
    """True for characters that double-encoded news text decodes to."""
    code = ord(ch)
    return (
        code < 0x80
        or 0xA0 <= code <= 0xFF  # Latin-1 supplement (Extended-A would turn "Ä“" into "ē")
        or 0x370 <= code <= 0x52F  # Greek, Cyrillic
        or 0x2000 <= code <= 0x206F  # general punctuation: ’ “ ” – — … ›
        or 0x20A0 <= code <= 0x20CF  # currency signs: €
        or code in (0x2122, 0x2116)  # ™ №
    )


def _undo_double_encoding(match: re.Match[str]) -> str:
    run = match.group(0)
    raw = bytes(_TO_BYTE.get(ch, ord(ch)) for ch in run)
    try:
        fixed = raw.decode("utf-8")
    except UnicodeDecodeError:
        return run
    if all(_plausible(ch) for ch in fixed):
        return fixed
    return run


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as Windows-1252 (`â€™` → `’`, `Ã¤` → `ä`)."""
    if not _MOJIBAKE_HINT.search(text):
        return text
    return _MOJIBAKE_RUN.sub(_undo_double_encoding, text)


def _unescape_leftovers(text: str) -> str:
    """Decode references that survived one round of unescaping (`&amp;#x0024;` → `$`)."""
    if "&" not in text:
        return text
    return _LEFTOVER_REF.sub(lambda m: html.unescape(m.group(0)), text)


# How much raw text (before entities are decoded and whitespace collapsed) is gathered per
# character of the wanted length: `&amp;` shrinks five to one, so eight leaves room to spare.
_RAW_PER_CHAR = 8
# How much of a fragment is read at all per character of the wanted length: markup included,
# a description of 20,000 characters is read from at most its first 640 kB.
_READ_PER_CHAR = 32


def _strip_markup(fragment: str, *, known_only: bool, budget: int) -> str:
    """The text of `fragment` with its markup removed, in one forward pass.

    `known_only` (the second pass, after unescaping) treats only real HTML element names as
    tags and leaves every other `<` as text. Gathering stops after about `budget` characters.
    """
    out: list[str] = []
    gathered = 0
    position = 0
    size = len(fragment)
    # Once a tag's quotes failed to balance, later tags end at their first `>`: otherwise each
    # of them would scan to the end again looking for a closing quote.
    quote_aware = True
    while position < size and gathered < budget:
        lt = fragment.find("<", position)
        if lt < 0:
            out.append(fragment[position:])
            break
        out.append(fragment[position:lt])
        gathered += lt - position
        position = lt + 1
        if not known_only and fragment.startswith("!--", position):
            end = fragment.find("-->", position + 3)
            if end < 0:
                break  # an unclosed comment hides the rest, as in a browser
            out.append(" ")
            position = end + 3
            continue
        if not known_only and fragment.startswith("![CDATA[", position):
            end = fragment.find("]]>", position + 8)
            stop = size if end < 0 else end
            out.append(fragment[position + 8 : stop])
            gathered += stop - position - 8
            position = stop + 3
            continue
        name_match = _TAG_NAME.match(fragment, position)
        if name_match is None:
            if not known_only and fragment.startswith(("!", "?"), position):
                end = fragment.find(">", position)  # a declaration or processing instruction
                if end < 0:
                    break
                position = end + 1
            else:
                out.append("<")  # prose: "a <= b", "1<3"
                gathered += 1
            continue
        name = name_match.group(1).lower()
        if known_only and name not in _KNOWN_AFTER_UNESCAPE:
            out.append("<")
            gathered += 1
            continue
        rest = _TAG_REST.match(fragment, name_match.end()) if quote_aware else None
        if rest is not None:
            position = rest.end()
        else:
            quote_aware = False
            end = fragment.find(">", name_match.end())
            if end < 0:
                break  # a tag that never ends swallows the rest, as in a browser
            position = end + 1
        closing = name_match.group(0).startswith("/")
        if name in _INVISIBLE and not closing:
            end_tag = _END_TAG[name].search(fragment, position)
            end = -1 if end_tag is None else fragment.find(">", end_tag.end())
            if end < 0:
                break  # `<script>` without its end tag: nothing visible follows
            position = end + 1
            out.append(" ")
        elif known_only or name in _BLOCK or name in _INVISIBLE:
            out.append(" ")
    return "".join(out)


def html_to_text(fragment: str, limit: int | None = None) -> str:
    """Plain text of a feed's HTML fragment: no tags, entities decoded, whitespace collapsed.

    With a `limit`, the text is cut to at most that many characters (see `cut`), and only
    the beginning of a longer fragment is looked at, so the work is bounded by the limit too.
    """
    if not fragment:
        return ""
    budget = len(fragment) if limit is None else _RAW_PER_CHAR * max(limit, 1)
    text = fragment if limit is None else fragment[: _READ_PER_CHAR * max(limit, 1)]
    if "<" in text:
        text = _strip_markup(text, known_only=False, budget=budget)
    if len(text) > budget:
        text = text[:budget]
    if "&" in text:
        text = html.unescape(text)
        text = _unescape_leftovers(text)
        if "<" in text:
            # The fragment was escaped twice; what looked like text was markup.
            text = _strip_markup(text, known_only=True, budget=budget)
    text = repair_mojibake(text)
    text = _CONTROL.sub("", text)
    text = _INVISIBLE_CHARS.sub("", text)
    text = _WHITESPACE.sub(" ", text).strip()
    return text if limit is None else cut(text, limit)


# End of a sentence: terminal punctuation, optional closing quotes/brackets, then a space.
_SENTENCE_END = re.compile(r"[.!?…。！？]['\"”’»)\]]*(?=\s)")
_ELLIPSIS = "…"
# A sentence boundary is used only when it keeps at least this share of the window.
_SENTENCE_MIN_SHARE = 0.6


def cut(text: str, limit: int) -> str:
    """`text` with its whitespace collapsed, at most `limit` characters long.

    The one cutter for everything shown to a reader (teasers, headlines, names, queries). A
    cut at a sentence boundary late enough in the window ends with that sentence's
    punctuation; otherwise the cut falls at a word boundary followed by "…" (a single giant
    word is cut hard).
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    if limit <= 1:
        return _ELLIPSIS[: max(limit, 0)]
    window = text[: limit + 1]  # one more so that a sentence ending exactly at `limit` counts
    last_end = None
    for match in _SENTENCE_END.finditer(window):
        if match.end() <= limit:
            last_end = match.end()
    if last_end is not None and last_end >= limit * _SENTENCE_MIN_SHARE:
        return text[:last_end]
    room = text[: limit - 1]
    if not text[limit - 1].isspace():
        # The window ends inside a word: drop that partial word, unless it is the only one.
        space = room.rfind(" ")
        if space > limit // 3:
            room = room[:space]
    return room.rstrip(" ,;:.-–—(") + _ELLIPSIS
