"""What a company name may be: normalised text a person would type, nothing invisible."""

from __future__ import annotations

import unicodedata

from company_service.models import NAME_MAX_LENGTH

# Categories refused anywhere in a name: control characters (C0/C1, incl. tab and
# newline), lone surrogates, private-use and unassigned code points, line/paragraph
# separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn", "Zl", "Zp"})
# Format characters that reorder or hide text (bidi overrides/isolates, BOM); other
# format characters such as the emoji zero-width joiner stay allowed.
_REFUSED_CHARACTERS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")


def normalize_name(value: str) -> str:
    """NFC-normalised, stripped name; ValueError when it is empty, too long or odd."""
    name = unicodedata.normalize("NFC", value).strip()
    if not name:
        raise ValueError("must not be empty")
    if len(name) > NAME_MAX_LENGTH:
        raise ValueError(f"must be at most {NAME_MAX_LENGTH} characters")
    for ch in name:
        if unicodedata.category(ch) in _REFUSED_CATEGORIES or ch in _REFUSED_CHARACTERS:
            raise ValueError(f"must not contain the character U+{ord(ch):04X}")
    return name
