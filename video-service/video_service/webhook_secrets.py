"""Signing secrets of webhook endpoints: generated once, kept only encrypted.

The secret must be readable again to sign each delivery, so a hash cannot do; it is
stored as AES-256-GCM ciphertext under a key derived (HKDF-SHA256) from
`WEBHOOK_ENCRYPTION_KEY`, with the company id as associated data so a ciphertext copied
into another company's row does not decrypt. A database dump alone reveals no secret.
"""

from __future__ import annotations

import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
MIN_KEY_LENGTH = 32
_FORMAT_V1 = b"\x01"
_NONCE_BYTES = 12
_HKDF_INFO = b"media-resource webhook signing secrets v1"


def new_signing_secret() -> str:
    """What the client sees once: `whsec_` and 32 random bytes, URL-safe base64."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class SecretUnreadable(Exception):
    """The ciphertext does not open with this key (wrong key, or tampered row)."""


class SecretBox:
    def __init__(self, key_material: str) -> None:
        if len(key_material) < MIN_KEY_LENGTH:
            raise ValueError(f"WEBHOOK_ENCRYPTION_KEY must be at least {MIN_KEY_LENGTH} characters")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
            key_material.encode("utf-8")
        )
        self._aead = AESGCM(key)

    def seal(self, secret: str, company_id: int) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        ciphertext = self._aead.encrypt(nonce, secret.encode("utf-8"), _context(company_id))
        return _FORMAT_V1 + nonce + ciphertext

    def open(self, sealed: bytes, company_id: int) -> str:
        version, nonce, ciphertext = (
            sealed[:1],
            sealed[1 : 1 + _NONCE_BYTES],
            sealed[1 + _NONCE_BYTES :],
        )
        if version != _FORMAT_V1:
            raise SecretUnreadable("unknown secret format")
        try:
            plain = self._aead.decrypt(nonce, ciphertext, _context(company_id))
        except InvalidTag as exc:
            raise SecretUnreadable("secret does not decrypt with WEBHOOK_ENCRYPTION_KEY") from exc
        return plain.decode("utf-8")


def _context(company_id: int) -> bytes:
    return f"webhook-endpoint:company:{company_id}".encode()
