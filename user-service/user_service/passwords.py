"""Password hashing with bcrypt.

bcrypt reads at most 72 bytes of a password; rather than silently ignoring the rest, new
passwords longer than that (in UTF-8) are refused at the API (422), so a stored hash
always covers the whole password.
"""

from __future__ import annotations

import bcrypt

from media_common.credentials import MAX_PASSWORD_BYTES


class PasswordHasher:
    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        # Checked against when the email is unknown, so that answer takes exactly as long
        # as a wrong password and does not reveal which emails have an account.
        self._dummy_hash = bcrypt.hashpw(b"no-such-user-password", bcrypt.gensalt(rounds))

    def hash(self, password: str) -> str:
        return bcrypt.hashpw(password.encode(), bcrypt.gensalt(self.rounds)).decode()

    def verify(self, password: str, password_hash: str | None) -> bool:
        """True when `password` matches; with no hash (unknown user) spends the same time."""
        candidate = password.encode()
        fits = len(candidate) <= MAX_PASSWORD_BYTES
        stored = password_hash.encode() if password_hash is not None else self._dummy_hash
        matches = bcrypt.checkpw(candidate[:MAX_PASSWORD_BYTES], stored)
        # An over-long password was never accepted, so it cannot be the stored one.
        return matches and fits and password_hash is not None
