"""The one rule for human text (company names, user names, video titles and descriptions).

NFC-normalised and trimmed; refused anywhere in the value: control characters (C0/C1;
line breaks and tabs are allowed in multi-line text only), format characters (zero-width
spaces and joiners, BOM, bidi embeddings/overrides/isolates: they hide text or make it
display as other text), line/paragraph separators in one-line text, lone surrogates
(valid in JSON escapes, invalid in UTF-8: they would fail in the database driver as a
500), private-use code points and the 66 noncharacters (U+FDD0..U+FDEF and the last two
of every plane). Code points this interpreter's Unicode tables do not assign yet are
allowed: a client on a newer Unicode (a new emoji) must not get a 422 for it, and the
JSON-Schema pattern can then name exactly what is refused. Lengths count the characters between the
first and the last non-space one as sent (a few characters grow under NFC: the stored
form is checked against the limit too). `unique_key` is the form names are compared
under for "unique ignoring case": NFKC case folding, so `Ａｃｍｅ` and `ACME` clash.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

# Cc control, Cf format, Cs surrogate, Co private use.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
_NONCHARACTERS = frozenset(
    [*map(chr, range(0xFDD0, 0xFDF0))]
    + [chr(plane << 16 | low) for plane in range(17) for low in (0xFFFE, 0xFFFF)]
)
_ONE_LINE_REFUSED_CATEGORIES = frozenset({"Zl", "Zp"})
_MULTILINE_CONTROLS = frozenset({"\n", "\r", "\t"})


def is_refused(char: str, *, multiline: bool = False) -> bool:
    """True for a character no human text field may hold."""
    if char in _NONCHARACTERS:
        return True
    if multiline:
        return char not in _MULTILINE_CONTROLS and unicodedata.category(char) in (
            _REFUSED_CATEGORIES
        )
    category = unicodedata.category(char)
    return category in _REFUSED_CATEGORIES or category in _ONE_LINE_REFUSED_CATEGORIES


def clean_text(value: str, *, multiline: bool = False) -> str:
    """The value under the text rule; ValueError naming the first refused character."""
    # Checked before trimming: a refused character is refused wherever it stands, even
    # where str.strip() would quietly drop it (a trailing tab or U+0085, say).
    for char in value:
        if is_refused(char, multiline=multiline):
            raise ValueError(f"must not contain the character U+{ord(char):04X}")
    return unicodedata.normalize("NFC", value).strip()


def unique_key(value: str) -> str:
    """NFKC case folding (Unicode's NFKC_Casefold, as far as Python's stdlib reaches)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())


def _class_escape(char: str) -> str:
    code = ord(char)
    if char.isascii() and char.isprintable():
        return "\\" + char if not char.isalnum() else char
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def _ranges(codes: list[int]) -> str:
    parts: list[str] = []
    start = previous = None
    for code in [*codes, -2]:
        if previous is not None and code == previous + 1:
            previous = code
            continue
        if start is not None and previous is not None:
            first, last = _class_escape(chr(start)), _class_escape(chr(previous))
            parts.append(first if start == previous else f"{first}-{last}")
        start = previous = code
    return "".join(parts)


@functools.cache
def char_class(*, multiline: bool, space: bool | None) -> str:
    """A regex character class of the characters the rule lets through, from this
    interpreter's Unicode tables (the validator's own): `space` True for the whitespace
    ones only, False for the others, None for both. Exact but for the lone surrogates:
    the rule refuses them (a JSON escape can carry one), but JSON-Schema regex engines
    built on Unicode scalar values (Rust's, which schemathesis validates with) cannot
    name them, and no UTF-8 request can hold one anyway."""
    chars = (chr(code) for code in range(0x110000))
    if space:
        spaces = [ord(c) for c in chars if c.isspace() and not is_refused(c, multiline=multiline)]
        return "[" + _ranges(spaces) + "]"
    refused = [
        ord(c)
        for c in chars
        if (is_refused(c, multiline=multiline) and not _is_surrogate(c))
        or (space is False and c.isspace())
    ]
    return "[^" + _ranges(refused) + "]"


def _is_surrogate(char: str) -> bool:
    return 0xD800 <= ord(char) <= 0xDFFF


def text_pattern(max_length: int | None, *, multiline: bool, required: bool) -> str:
    """The JSON-Schema `pattern` of the rule: allowed characters only, optional spaces
    around, and (with `max_length`) at most that many characters from the first to the
    last non-space one; `required` asks for at least one non-space character."""
    space = char_class(multiline=multiline, space=True)
    solid = char_class(multiline=multiline, space=False)
    if max_length is None:
        body = f"{char_class(multiline=multiline, space=None)}*"
        return f"^{body}$" if not required else f"^{space}*{solid}{body}$"
    inner = f"{char_class(multiline=multiline, space=None)}{{0,{max_length - 2}}}"
    text = f"{solid}(?:{inner}{solid})?"
    return f"^{space}*{text}{space}*$" if required else f"^{space}*(?:{text})?{space}*$"


@dataclass(frozen=True, slots=True)
class TextRule:
    """The pydantic metadata of a human text field: validates under the rule and states
    it in the JSON schema (`pattern`).

    Use as `Annotated[StrictStr, Field(max_length=4 * max_length), text_rule(max_length)]`:
    the raw cap refuses a huge string before any work (it counts the spaces around too,
    so it is looser than the rule's). `required=False`: blank is allowed (and kept as "").
    `in_pattern=False` leaves the length out of the pattern (very long limits: regex
    engines refuse such a counted repetition); it is still checked, and the raw cap
    should then be `max_length` itself, so the schema's `maxLength` states the limit.
    """

    max_length: int
    multiline: bool = False
    required: bool = True
    in_pattern: bool = True

    def check(self, value: str) -> str:
        for char in value:
            if is_refused(char, multiline=self.multiline):
                raise ValueError(f"must not contain the character U+{ord(char):04X}")
        trimmed = value.strip()
        if not trimmed and self.required:
            raise ValueError("must not be empty")
        normal = unicodedata.normalize("NFC", trimmed)
        if max(len(trimmed), len(normal)) > self.max_length:
            low = 1 if self.required else 0
            raise ValueError(f"must be {low} to {self.max_length} characters long")
        return normal

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        limit = self.max_length if self.in_pattern else None
        json_schema["pattern"] = text_pattern(
            limit, multiline=self.multiline, required=self.required
        )
        return json_schema


def text_rule(max_length: int, *, multiline: bool = False) -> TextRule:
    """The rule for a required human text field of at most `max_length` characters."""
    return TextRule(max_length, multiline=multiline)
