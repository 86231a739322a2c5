"""What a company name may be: one line of text a person would type, nothing invisible."""

from __future__ import annotations

import unicodedata

from company_service.models import NAME_MAX_LENGTH
from media_common.text import BIDI_CONTROLS, clean_text

# On top of media_common's rules (NFC, trimmed, no control/surrogate/private/unassigned
# code points), a name refuses line/paragraph separators and the format characters that
# reorder or hide text (bidi embeddings, overrides, isolates, BOM) and so allow look-alike
# names; other format characters, such as the emoji zero-width joiner, stay allowed.
_REFUSED_CATEGORIES = frozenset({"Zl", "Zp"})
_REFUSED_CHARACTERS = BIDI_CONTROLS | {"\ufeff"}


def normalize_name(value: str) -> str:
    """NFC-normalised, stripped name; ValueError when it is empty, too long or odd."""
    name = clean_text(value)
    if not name:
        raise ValueError("must not be empty")
    if len(name) > NAME_MAX_LENGTH:
        raise ValueError(f"must be at most {NAME_MAX_LENGTH} characters")
    for ch in name:
        if unicodedata.category(ch) in _REFUSED_CATEGORIES or ch in _REFUSED_CHARACTERS:
            raise ValueError(f"must not contain the character U+{ord(ch):04X}")
    return name
