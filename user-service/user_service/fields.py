"""What the user-typed fields may be: email addresses, passwords, names.

Each is an `Annotated` str type that normalises and validates (a ValueError becomes a
422 VALIDATION_ERROR). The raw length is capped first so huge inputs are refused early.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field, StrictStr

from media_common.text import clean_text
from user_service.models import (
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    REASON_MAX_LENGTH,
    REFERENCE_MAX_LENGTH,
)
from user_service.passwords import MAX_PASSWORD_BYTES

PASSWORD_MIN_LENGTH = 8
INT64_MAX = 2**63 - 1

# A pragmatic subset of RFC 5321: ASCII dot-atom local part, DNS host names with a
# letters-only top-level label. Internationalised addresses are refused.
_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
    re.ASCII,
)


def normalize_email(value: str) -> str:
    """Trimmed and lower-cased; ValueError when it does not look like an address."""
    email = value.strip().lower()
    local, _, _ = email.partition("@")
    if len(email) > EMAIL_MAX_LENGTH or len(local) > 64 or not _EMAIL.fullmatch(email):
        raise ValueError("is not a valid email address")
    return email


def _password_text(value: str) -> str:
    # NFC so the same password typed on different systems gives the same bytes.
    value = unicodedata.normalize("NFC", value)
    for char in value:
        if unicodedata.category(char) in {"Cc", "Cs"}:
            raise ValueError("must not contain control characters or invalid code points")
    return value


def check_new_password(value: str) -> str:
    value = _password_text(value)
    if len(value) < PASSWORD_MIN_LENGTH:
        raise ValueError(f"must be at least {PASSWORD_MIN_LENGTH} characters long")
    if len(value.encode()) > MAX_PASSWORD_BYTES:
        raise ValueError(f"must be at most {MAX_PASSWORD_BYTES} bytes long in UTF-8")
    return value


def length_between(low: int, high: int) -> AfterValidator:
    """Checks the length after normalisation (the raw input is capped separately)."""

    def check(value: str) -> str:
        if not low <= len(value) <= high:
            raise ValueError(f"must be {low} to {high} characters long")
        return value

    return AfterValidator(check)


Email = Annotated[
    StrictStr,
    Field(max_length=1000, examples=["ada@example.com"]),
    AfterValidator(normalize_email),
]
NewPassword = Annotated[
    StrictStr,
    Field(
        max_length=1000,
        description=f"{PASSWORD_MIN_LENGTH} characters to {MAX_PASSWORD_BYTES} bytes (UTF-8).",
        examples=["correct horse battery"],
    ),
    AfterValidator(check_new_password),
]
# Any password a user may type at login; a wrong one is 401, not 422.
Password = Annotated[StrictStr, Field(max_length=1000), AfterValidator(_password_text)]
# Free text is NFC-normalised and trimmed; control characters and lone surrogates refused.
PersonName = Annotated[
    StrictStr,
    Field(max_length=1000, examples=["Ada Lovelace"]),
    AfterValidator(clean_text),
    length_between(1, NAME_MAX_LENGTH),
]
PointReason = Annotated[
    StrictStr,
    Field(max_length=1000, examples=["video_view"]),
    AfterValidator(clean_text),
    length_between(1, REASON_MAX_LENGTH),
]
PointReference = Annotated[
    StrictStr,
    Field(max_length=1000, examples=["video:42"]),
    AfterValidator(clean_text),
    length_between(0, REFERENCE_MAX_LENGTH),
]
RefreshTokenValue = Annotated[
    StrictStr, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")
]
CompanyId = Annotated[int, Field(ge=1, le=INT64_MAX, examples=[1])]
