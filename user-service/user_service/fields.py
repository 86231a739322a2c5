"""What the user-typed fields may be: email addresses, passwords, names.

Emails and passwords follow media_common.credentials, names media_common.text.

Each is an `Annotated` str type that normalises and validates (a ValueError becomes a
422 VALIDATION_ERROR). The raw length is capped first so huge inputs are refused early.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StrictStr

from media_common.credentials import (
    EMAIL_MAX_LENGTH,
    Email,
    NewPassword,
    Password,
    check_new_password,
    normalize_email,
)
from media_common.paging import INT64_MAX
from media_common.text import clean_text, text_rule
from user_service.models import (
    NAME_MAX_LENGTH,
    REASON_MAX_LENGTH,
    REFERENCE_MAX_LENGTH,
)

__all__ = [
    "EMAIL_MAX_LENGTH",
    "IDEMPOTENCY_KEY_MAX_LENGTH",
    "IDEMPOTENCY_KEY_PATTERN",
    "CompanyId",
    "Email",
    "IdempotencyKeyValue",
    "InvitationTokenValue",
    "NewPassword",
    "Password",
    "PersonName",
    "PointReason",
    "PointReference",
    "RefreshTokenValue",
    "check_new_password",
    "normalize_email",
]


def length_between(low: int, high: int) -> AfterValidator:
    """Checks the length after normalisation (the raw input is capped separately)."""

    def check(value: str) -> str:
        if not low <= len(value) <= high:
            raise ValueError(f"must be {low} to {high} characters long")
        return value

    return AfterValidator(check)


# A human text field: media_common's one text rule (NFC, trimmed, no control, format or
# bidi characters), 1..100 characters.
PersonName = Annotated[
    StrictStr,
    Field(max_length=NAME_MAX_LENGTH * 4, examples=["Ada Lovelace"]),
    text_rule(NAME_MAX_LENGTH),
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
# An idempotency key, as the Idempotency-Key header or a batch item's field: 1..200
# printable ASCII characters, no space at either end.
IDEMPOTENCY_KEY_MAX_LENGTH = 200
IDEMPOTENCY_KEY_PATTERN = r"^[!-~](?:[ -~]*[!-~])?$"
IdempotencyKeyValue = Annotated[
    StrictStr,
    Field(min_length=1, max_length=IDEMPOTENCY_KEY_MAX_LENGTH, pattern=IDEMPOTENCY_KEY_PATTERN),
]
InvitationTokenValue = Annotated[
    StrictStr, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")
]
RefreshTokenValue = Annotated[
    StrictStr, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")
]
CompanyId = Annotated[int, Field(ge=1, le=INT64_MAX, examples=[1])]
