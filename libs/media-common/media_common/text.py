"""The one rule for human text (company names, user names, video titles and descriptions).

NFC-normalised and trimmed; refused anywhere in the value: control characters (C0/C1;
line breaks and tabs are allowed in multi-line text only), format characters (zero-width
spaces and joiners, BOM, bidi embeddings/overrides/isolates: they hide text or make it
display as other text), line/paragraph separators in one-line text, lone surrogates
(valid in JSON escapes, invalid in UTF-8: they would fail in the database driver as a
500), private-use and unassigned code points. Lengths count characters after
normalisation. `unique_key` is the form names are compared under for "unique ignoring
case": NFKC case folding, so `Ａｃｍｅ` and `ACME` clash.
"""

from __future__ import annotations

import unicodedata

from pydantic import AfterValidator

# Cc control, Cf format, Cs surrogate, Co private use, Cn unassigned.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_ONE_LINE_REFUSED_CATEGORIES = frozenset({"Zl", "Zp"})
_MULTILINE_CONTROLS = frozenset({"\n", "\r", "\t"})


def is_refused(char: str, *, multiline: bool = False) -> bool:
    """True for a character no human text field may hold."""
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


def text_rule(max_length: int, *, min_length: int = 1, multiline: bool = False) -> AfterValidator:
    """The pydantic validator of a human text field: the rule, then the length.

    Use as `Annotated[StrictStr, Field(max_length=4 * max_length), text_rule(max_length)]`:
    the raw cap refuses a huge string before any work (normalisation and trimming may
    shorten a value, so the raw cap is looser than the rule's).
    """

    def check(value: str) -> str:
        value = clean_text(value, multiline=multiline)
        if not min_length <= len(value) <= max_length:
            if min_length == 1 and not value:
                raise ValueError("must not be empty")
            raise ValueError(f"must be {min_length} to {max_length} characters long")
        return value

    return AfterValidator(check)
