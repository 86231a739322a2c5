"""Password hashing: bcrypt over an HMAC-SHA256 of the password.

bcrypt reads at most 72 bytes. Hashing `base64(HMAC-SHA256(PEPPER, password))` (44 ASCII
bytes, never a NUL) first lets a password of any length count in full, so the API states
its limit in characters (media_common.credentials) rather than in UTF-8 bytes. The fixed
HMAC key keeps a leaked table of plain SHA-256 digests from being tried against our
hashes ("password shucking"); the salt and the cost are bcrypt's.

Stored form: `hmac-sha256+` followed by the bcrypt hash. Hashes without the prefix are
plain bcrypt of the password (the first scheme, at most 72 bytes): still verified, and
rewritten in the new form by `needs_rehash` at the next successful login.

bcrypt is slow on purpose (cost 12: a quarter of a second of CPU): `hash` and `verify` run
it in a worker thread, so a login never stalls the event loop and its other requests.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac

import bcrypt

SCHEME = "hmac-sha256+"
# Not a secret: it only makes our digests differ from everybody else's plain SHA-256.
_PEPPER = b"media-resource/user-service/password/v2"
_BCRYPT_MAX_BYTES = 72


def _prehash(password: str) -> bytes:
    return base64.b64encode(hmac.new(_PEPPER, password.encode(), hashlib.sha256).digest())


class PasswordHasher:
    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        # Checked against when the email is unknown, so that answer takes exactly as long
        # as a wrong password and does not reveal which emails have an account.
        self._dummy_hash = self._hash("no-such-user-password")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hash, password)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        """True when `password` matches; with no hash (unknown user) spends the same time."""
        return await asyncio.to_thread(self._verify, password, password_hash)

    def _hash(self, password: str) -> str:
        return SCHEME + bcrypt.hashpw(_prehash(password), bcrypt.gensalt(self.rounds)).decode()

    def _verify(self, password: str, password_hash: str | None) -> bool:
        stored = password_hash if password_hash is not None else self._dummy_hash
        if stored.startswith(SCHEME):
            matches = bcrypt.checkpw(_prehash(password), stored[len(SCHEME) :].encode())
        else:
            candidate = password.encode()
            # A first-scheme password was at most 72 bytes: a longer one cannot be it.
            matches = bcrypt.checkpw(candidate[:_BCRYPT_MAX_BYTES], stored.encode())
            matches = matches and len(candidate) <= _BCRYPT_MAX_BYTES
        return matches and password_hash is not None

    def needs_rehash(self, password_hash: str) -> bool:
        """True for a hash of the first scheme (or a lower cost than configured)."""
        if not password_hash.startswith(SCHEME):
            return True
        return int(password_hash[len(SCHEME) :].split("$")[2]) < self.rounds
