"""What an email address and a new password may be, for every service that takes one.

company-service checks the founder's email and password with the same rules as
user-service before it creates anything (a bad one is 422 and leaves nothing behind).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field, StrictStr

EMAIL_MAX_LENGTH = 254
LOCAL_MAX_LENGTH = 64
PASSWORD_MIN_LENGTH = 8
# In characters as sent, like every other length of the API (and so of JSON Schema).
# user-service hashes an HMAC of the password, so bcrypt's 72-byte input is no limit.
PASSWORD_MAX_LENGTH = 128

# A pragmatic subset of RFC 5321: ASCII dot-atom local part, DNS host names with a
# letters-only top-level label. Internationalised addresses are refused.
_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
    re.ASCII,
)


# The same rules as JSON-Schema patterns, for the OpenAPI documents: surrounding
# whitespace (trimmed) and capitals (lower-cased) are allowed as sent. The lengths are
# negative lookaheads, which generators read as "nothing to produce" and then filter on:
# after the leading spaces, no 65 characters before the `@`, no 255 in the address.
_SPACES = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
EMAIL_PATTERN = (
    f"^[{_SPACES}]*(?![^@]{{{LOCAL_MAX_LENGTH + 1}}})(?![^{_SPACES}]{{{EMAIL_MAX_LENGTH + 1}}})"
    f"{_EMAIL.pattern.replace('a-z', 'A-Za-z')}[{_SPACES}]*$"
)
# No control characters (C0, DEL, C1). Lone surrogates (a JSON escape can hold one) are
# refused too, but not named: regex engines over Unicode scalar values cannot.
PASSWORD_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"  # noqa: S105 - a regex


def normalize_email(value: str) -> str:
    """Trimmed and lower-cased; ValueError when it does not look like an address."""
    email = value.strip().lower()
    local, _, _ = email.partition("@")
    if (
        len(email) > EMAIL_MAX_LENGTH
        or len(local) > LOCAL_MAX_LENGTH
        or not _EMAIL.fullmatch(email)
    ):
        raise ValueError("is not a valid email address")
    return email


def password_text(value: str) -> str:
    # NFC so the same password typed on different systems gives the same bytes.
    value = unicodedata.normalize("NFC", value)
    for char in value:
        if unicodedata.category(char) in {"Cc", "Cs"}:
            raise ValueError("must not contain control characters or invalid code points")
    return value


def check_new_password(value: str) -> str:
    """8 to 128 characters counted as sent (the schema's minLength/maxLength), then NFC."""
    if len(value) < PASSWORD_MIN_LENGTH:
        raise ValueError(f"must be at least {PASSWORD_MIN_LENGTH} characters long")
    if len(value) > PASSWORD_MAX_LENGTH:
        raise ValueError(f"must be at most {PASSWORD_MAX_LENGTH} characters long")
    return password_text(value)


Email = Annotated[
    StrictStr,
    Field(
        max_length=1000,
        description=(
            f"An ASCII address, at most {EMAIL_MAX_LENGTH} characters (64 before the `@`)"
            " once trimmed; compared lower-cased."
        ),
        examples=["ada@example.com"],
        json_schema_extra={"pattern": EMAIL_PATTERN},
    ),
    AfterValidator(normalize_email),
]
NewPassword = Annotated[
    StrictStr,
    Field(
        min_length=PASSWORD_MIN_LENGTH,
        max_length=PASSWORD_MAX_LENGTH,
        description=f"{PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters, no control"
        " characters.",
        examples=["correct horse battery"],
        json_schema_extra={
            "pattern": PASSWORD_PATTERN,
            "format": "password",
        },
    ),
    AfterValidator(check_new_password),
]
# Any password a user may type at login; a wrong one is 401, not 422.
Password = Annotated[
    StrictStr,
    Field(max_length=1000, json_schema_extra={"pattern": PASSWORD_PATTERN, "format": "password"}),
    AfterValidator(password_text),
]
