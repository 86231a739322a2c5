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
PASSWORD_MIN_LENGTH = 8
# bcrypt reads at most 72 bytes: longer passwords are refused, never silently truncated.
MAX_PASSWORD_BYTES = 72

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


def password_text(value: str) -> str:
    # NFC so the same password typed on different systems gives the same bytes.
    value = unicodedata.normalize("NFC", value)
    for char in value:
        if unicodedata.category(char) in {"Cc", "Cs"}:
            raise ValueError("must not contain control characters or invalid code points")
    return value


def check_new_password(value: str) -> str:
    value = password_text(value)
    if len(value) < PASSWORD_MIN_LENGTH:
        raise ValueError(f"must be at least {PASSWORD_MIN_LENGTH} characters long")
    if len(value.encode()) > MAX_PASSWORD_BYTES:
        raise ValueError(f"must be at most {MAX_PASSWORD_BYTES} bytes long in UTF-8")
    return value


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
Password = Annotated[StrictStr, Field(max_length=1000), AfterValidator(password_text)]
