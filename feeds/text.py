"""Turn the HTML fragments that feeds carry into clean plain text, and cut teasers.

Feeds put markup and entities everywhere: escaped HTML in RSS descriptions, `<b>` in Google
Alerts titles, double-escaped references such as `&amp;#x0024;` (craigslist), UTF-8 that was
decoded as Windows-1252 and encoded again (`â€™` for `’`). `html_to_text` undoes all of that
with a few precompiled regular expressions and `html.unescape` (fast, no parser objects).
"""

from __future__ import annotations

import html
import re

__all__ = ["cut_teaser", "html_to_text", "repair_mojibake"]

# Elements whose content is never visible text.
_INVISIBLE = re.compile(
    r"<(script|style|noscript|template|head|svg:style)\b[^>]*>.*?(?:</\1\s*>|\Z)",
    re.IGNORECASE | re.DOTALL,
)
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)(?:\]\]>|\Z)", re.DOTALL)
# A tag with quoted attributes (a `>` inside `alt="a > b"` must not end it).
_TAG_BODY = r"(?:[^>\"']|\"[^\"]*\"|'[^']*')*"
# Block-level and line-breaking tags become a space so that words on both sides stay apart.
_BLOCK_TAG = re.compile(
    r"</?(?:address|article|aside|blockquote|br|dd|div|dl|dt|figcaption|figure|footer|h[1-6]|"
    r"header|hr|img|li|main|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|tr|ul)\b"
    + _TAG_BODY
    + r">",
    re.IGNORECASE,
)
_ANY_TAG = re.compile(r"</?[a-zA-Z][\w:.-]*\b" + _TAG_BODY + r">|<[!?]" + _TAG_BODY + r">")
# After unescaping, text like `&lt;b&gt;` has turned into `<b>`: strip only names of real HTML
# elements then, so that prose such as "a <= b" or "<3" survives.
_KNOWN_TAG_AFTER_UNESCAPE = re.compile(
    r"</?(?:a|abbr|b|big|blockquote|br|center|cite|code|dd|del|div|dl|dt|em|figcaption|figure|"
    r"font|h[1-6]|hr|i|iframe|img|ins|li|mark|ol|p|pre|q|s|script|small|span|strike|strong|"
    r"style|sub|sup|table|tbody|td|th|thead|tr|tt|u|ul|video|audio|source|picture)\b"
    + _TAG_BODY
    + r">",
    re.IGNORECASE,
)
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


def html_to_text(fragment: str) -> str:
    """Plain text of a feed's HTML fragment: no tags, entities decoded, whitespace collapsed."""
    if not fragment:
        return ""
    text = fragment
    if "<" in text:
        text = _CDATA.sub(r"\1", text)
        text = _COMMENT.sub(" ", text)
        text = _INVISIBLE.sub(" ", text)
        text = _BLOCK_TAG.sub(" ", text)
        text = _ANY_TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
        text = _unescape_leftovers(text)
        if "<" in text:
            # The fragment was escaped twice; what looked like text was markup.
            text = _INVISIBLE.sub(" ", text)
            text = _KNOWN_TAG_AFTER_UNESCAPE.sub(" ", text)
    text = repair_mojibake(text)
    text = _CONTROL.sub("", text)
    text = _INVISIBLE_CHARS.sub("", text)
    return _WHITESPACE.sub(" ", text).strip()


# End of a sentence: terminal punctuation, optional closing quotes/brackets, then a space.
_SENTENCE_END = re.compile(r"[.!?…。！？]['\"”’»)\]]*(?=\s)")
_ELLIPSIS = "…"
# A sentence boundary is used only when it keeps at least this share of the window.
_SENTENCE_MIN_SHARE = 0.6


def cut_teaser(text: str, limit: int = 300) -> str:
    """Shorten text to at most `limit` characters at a sentence, else a word, boundary.

    A cut at a sentence boundary ends with that sentence's punctuation; a cut inside a
    sentence ends at a word boundary followed by "…".
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    if limit <= 1:
        return _ELLIPSIS[:limit]
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
    return room.rstrip(" ,;:-–—(") + _ELLIPSIS
