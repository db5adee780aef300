"""Telegram's HTML parse mode, re-implemented to reject exactly what the Bot API rejects.

The algorithm follows tdlib's ``parse_html`` (td/telegram/MessageEntity.cpp): it walks the UTF-8
bytes, so error offsets are byte offsets as in Telegram's messages ("Unsupported start tag
\\"script\\" at byte offset 12"), and entity offsets/lengths are UTF-16 code units as in the
``entities`` Telegram returns.

One deliberate difference: Telegram leaves an unknown named entity such as ``&ndash;`` in the
text literally (the reader sees "&ndash;"). With ``strict_entities=True`` (the default) this
parser rejects it instead, so a rendering bug that would show garbage to readers fails a test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
NAMED_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}
_SIMPLE_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_LT, _GT, _AMP, _SLASH, _EQ, _SEMI, _HASH = (ord(c) for c in "<>&/=;#")
_SPACES = frozenset(b" \t\r\n\v\0")  # tdlib's is_space counts NUL, which ends every scan


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; ``str()`` is Telegram's description tail."""


@dataclass(frozen=True)
class ParsedText:
    """Visible text (tags removed, entities decoded) and its MessageEntity dicts."""

    text: str
    entities: list[dict[str, Any]]


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    out_offset: int


def _is_alpha(byte: int) -> bool:
    return 65 <= byte <= 90 or 97 <= byte <= 122


def _is_digit(byte: int) -> bool:
    return 48 <= byte <= 57


def _is_hex(byte: int) -> bool:
    return _is_digit(byte) or 65 <= byte <= 70 or 97 <= byte <= 102


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class _Parser:
    def __init__(self, html: str, strict_entities: bool) -> None:
        self.data = html.encode("utf-8", "surrogatepass")
        self.size = len(self.data)
        self.strict = strict_entities
        self.out: list[str] = []
        self.out_len = 0  # characters appended to ``out``, to slice link texts
        self.utf16 = 0
        self.entities: list[dict[str, Any]] = []
        self.stack: list[_OpenTag] = []
        self.saw_surrogate = False

    def at(self, i: int) -> int:
        return self.data[i] if i < self.size else 0

    def emit(self, chars: str) -> None:
        self.out.append(chars)
        self.out_len += len(chars)
        self.utf16 += utf16_length(chars)

    def decode_entity(self, pos: int) -> tuple[str, int] | None:
        """Decode ``&...`` at ``pos`` as tdlib does; None means "a literal ampersand"."""
        end = pos + 1
        if self.at(end) == _HASH:
            end += 1
            code = 0
            if self.at(end) in (ord("x"), ord("X")):
                end += 1
                while _is_hex(self.at(end)):
                    code = code * 16 + int(chr(self.at(end)), 16)
                    end += 1
            else:
                while _is_digit(self.at(end)):
                    code = code * 10 + self.at(end) - 48
                    end += 1
            if code == 0 or code >= 0x10FFFF or end - pos >= 10:
                return None
            char = chr(code)
        else:
            while _is_alpha(self.at(end)):
                end += 1
            name = self.data[pos + 1 : end]
            if name not in NAMED_ENTITIES:
                if self.strict and name and self.at(end) == _SEMI:
                    entity = name.decode("ascii")
                    raise EntityParseError(
                        f'Unsupported HTML entity "&{entity};" at byte offset {pos} (the fake '
                        "Bot API is strict here; Telegram would show it literally)"
                    )
                return None
            char = NAMED_ENTITIES[name]
        if self.at(end) == _SEMI:
            end += 1
        return char, end

    def run(self) -> ParsedText:
        i = 0
        while i < self.size:
            byte = self.data[i]
            if byte == _AMP:
                decoded = self.decode_entity(i)
                if decoded is not None:
                    char, i = decoded
                    self.saw_surrogate |= 0xD800 <= ord(char) <= 0xDFFF
                    self.emit(char)
                    continue
            if byte != _LT:
                start = i
                while i < self.size and self.data[i] not in (_LT, _AMP):
                    i += 1
                if start == i:  # a literal '&'
                    i += 1
                self.emit(self.data[start:i].decode("utf-8", "surrogatepass"))
                continue
            i = self.end_tag(i) if self.at(i + 1) == _SLASH else self.start_tag(i)
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        if self.saw_surrogate:
            raise EntityParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self.out), self.entities)

    def start_tag(self, begin: int) -> int:
        i = begin + 1
        while self.at(i) not in _SPACES and self.at(i) != _GT:
            i += 1
        if self.at(i) == 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        name = self.data[begin + 1 : i].decode("utf-8", "replace").lower()
        if name not in SUPPORTED_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {begin}')
        argument = ""
        while self.at(i) != _GT:
            i = self.skip_spaces(i)
            if self.at(i) == _GT:
                break
            attr_begin = i
            while self.at(i) not in _SPACES and self.at(i) not in (_EQ, _GT):
                i += 1
            attr = self.data[attr_begin:i].decode("utf-8", "replace")
            if not attr:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset {begin}'
                )
            i = self.skip_spaces(i)
            if self.at(i) != _EQ:
                if name == "blockquote" and attr == "expandable":
                    argument = "expandable"
                    continue
                raise EntityParseError(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{name}" at byte offset {begin}'
                )
            i = self.skip_spaces(i + 1)
            if self.at(i) == 0:
                raise EntityParseError(f'Unclosed start tag "{name}" at byte offset {begin}')
            value, i = self.attribute_value(i)
            if self.at(i) == 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
            argument = self.tag_argument(name, attr, value, argument)
        if name == "span" and argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
            )
        self.stack.append(_OpenTag(name, argument, self.utf16, self.out_len))
        return i + 1

    def skip_spaces(self, i: int) -> int:
        while self.at(i) != 0 and self.at(i) in _SPACES:
            i += 1
        return i

    def attribute_value(self, i: int) -> tuple[str, int]:
        quote = self.at(i)
        if quote not in (ord("'"), ord('"')):
            token_begin = i
            while _is_alpha(self.at(i)) or _is_digit(self.at(i)) or self.at(i) in b".-":
                i += 1
            if self.at(i) not in _SPACES and self.at(i) != _GT:
                raise EntityParseError(f"Unexpected end of name token at byte offset {token_begin}")
            return self.data[token_begin:i].decode("ascii").lower(), i
        i += 1
        parts: list[str] = []
        while self.at(i) != quote and self.at(i) != 0:
            if self.at(i) == _AMP:
                decoded = self.decode_entity(i)
                if decoded is not None:
                    parts.append(decoded[0])
                    i = decoded[1]
                    continue
            start = i
            i += 1
            while self.at(i) not in (quote, 0, _AMP):
                i += 1
            parts.append(self.data[start:i].decode("utf-8", "replace"))
        if self.at(i) == quote:
            i += 1
        return "".join(parts), i

    @staticmethod
    def tag_argument(tag: str, attr: str, value: str, current: str) -> str:
        if tag == "a" and attr == "href":
            return value
        if tag == "code" and attr == "class" and value.startswith("language-"):
            return value[len("language-") :]
        if tag == "span" and attr == "class" and value.startswith("tg-"):
            return value[len("tg-") :]
        if tag == "tg-emoji" and attr == "emoji-id":
            return value
        return current

    def end_tag(self, begin: int) -> int:
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
        i = begin + 2
        while self.at(i) not in _SPACES and self.at(i) != _GT:
            i += 1
        end_name = self.data[begin + 2 : i].decode("utf-8", "replace").lower()
        i = self.skip_spaces(i)
        if self.at(i) != _GT:
            raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
        open_tag = self.stack[-1]
        if end_name and end_name != open_tag.name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{open_tag.name}>", '
                f'found "</{end_name}>"'
            )
        self.close(open_tag)
        self.stack.pop()
        return i + 1

    def close(self, tag: _OpenTag) -> None:
        length = self.utf16 - tag.utf16_offset
        if length <= 0:
            return
        entity: dict[str, Any] = {"offset": tag.utf16_offset, "length": length}
        if tag.name in _SIMPLE_TYPES:
            entity["type"] = _SIMPLE_TYPES[tag.name]
        elif tag.name == "blockquote":
            entity["type"] = "expandable_blockquote" if tag.argument else "blockquote"
        elif tag.name == "tg-emoji":
            if not tag.argument.isdigit() or int(tag.argument) == 0:
                raise EntityParseError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=tag.argument)
        elif tag.name == "a":
            url = tag.argument or "".join(self.out)[tag.out_offset :]
            if not url.strip():
                return
            if "://" not in url and not url.startswith(("tg:", "mailto:")):
                url = "http://" + url
            entity.update(type="text_link", url=url)
        elif tag.name == "pre":
            last = self.entities[-1] if self.entities else None
            if (
                last is not None
                and last["type"] == "code"
                and "language" in last
                and _same_span(last, entity)
            ):
                last["type"] = "pre"  # <pre><code class="language-x"> is one pre entity
                return
            entity["type"] = "pre"
        else:  # code
            last = self.entities[-1] if self.entities else None
            if (
                tag.argument
                and last is not None
                and last["type"] == "pre"
                and _same_span(last, entity)
            ):
                last["language"] = tag.argument
                return
            entity["type"] = "code"
            if tag.argument:
                entity["language"] = tag.argument
        self.entities.append(entity)


def _same_span(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(a["offset"] == b["offset"] and a["length"] == b["length"])


def parse_html(html: str, *, strict_entities: bool = True) -> ParsedText:
    """Parse Telegram HTML; raises EntityParseError with Telegram's wording when it is invalid."""
    return _Parser(html, strict_entities).run()


def strip_outer_whitespace(parsed: ParsedText) -> ParsedText:
    """Telegram trims leading and trailing whitespace and shifts entities accordingly."""
    text = parsed.text
    stripped = text.strip()
    if stripped == text:
        return parsed
    shift = utf16_length(text[: len(text) - len(text.lstrip())])
    limit = utf16_length(stripped)
    entities: list[dict[str, Any]] = []
    for entity in parsed.entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return ParsedText(stripped, entities)
