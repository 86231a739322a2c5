"""Text that is safe to store and show: NFC-normalised, trimmed, no control characters.

Lone surrogates (valid in JSON escapes, invalid in UTF-8) would otherwise fail deep in
the database driver as a 500; they and C0/C1 control characters are refused up front.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

_FORBIDDEN_CATEGORIES = {"Cc", "Cs", "Co", "Cn"}
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}

BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
"""Bidirectional embeddings, overrides and isolates: they make text display as other text,
so names and titles refuse them on top of `clean_text`'s rules."""


def is_refused(char: str, *, multiline: bool = False) -> bool:
    """A control character, lone surrogate, private-use or unassigned code point."""
    if multiline and char in _ALLOWED_CONTROLS:
        return False
    return unicodedata.category(char) in _FORBIDDEN_CATEGORIES


def clean_text(value: str, *, multiline: bool = False) -> str:
    # Checked before trimming: a control character is refused wherever it stands, even
    # where str.strip() would quietly drop it (a trailing tab or U+0085, say).
    if any(is_refused(char, multiline=multiline) for char in value):
        raise ValueError("must not contain control characters or invalid code points")
    return unicodedata.normalize("NFC", value).strip()


def _single_line(value: str) -> str:
    return clean_text(value)


def _multi_line(value: str) -> str:
    return clean_text(value, multiline=True)


def single_line(max_length: int, min_length: int = 1) -> object:
    """Annotated str type: one trimmed line of `min_length..max_length` characters."""
    return Annotated[
        str,
        AfterValidator(_single_line),
        AfterValidator(lambda v: _length(v, min_length, max_length)),
    ]


def _length(value: str, low: int, high: int) -> str:
    if not low <= len(value) <= high:
        raise ValueError(f"must be {low} to {high} characters long")
    return value


def multi_line(max_length: int, min_length: int = 0) -> object:
    """Annotated str type: free text (newlines and tabs allowed) up to `max_length`."""
    return Annotated[
        str,
        AfterValidator(_multi_line),
        AfterValidator(lambda v: _length(v, min_length, max_length)),
    ]
