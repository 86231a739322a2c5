"""Generated secrets of the local stack: one file each in `$STACK_DIR/secrets/` (mode 600).

Files are created once and reused, so `up` after `down` finds the same passwords and keys.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from devstack.config import SERVICES


@dataclass(frozen=True)
class SecretPaths:
    pg_superuser_password: Path
    internal_token: Path
    playback_secret: Path
    webhook_encryption_key: Path
    jwt_private_key: Path
    jwt_public_keys: Path  # the JWKS of the private key (public: services verify with it)
    db_passwords: dict[str, Path]  # role -> file

    def as_json(self) -> dict[str, object]:
        return {
            "pg_superuser_password": str(self.pg_superuser_password),
            "internal_token": str(self.internal_token),
            "playback_secret": str(self.playback_secret),
            "webhook_encryption_key": str(self.webhook_encryption_key),
            "jwt_private_key": str(self.jwt_private_key),
            "jwt_public_keys": str(self.jwt_public_keys),
            "db_passwords": {role: str(path) for role, path in self.db_passwords.items()},
        }


def secret_paths(secrets_dir: Path) -> SecretPaths:
    return SecretPaths(
        pg_superuser_password=secrets_dir / "pg_superuser_password",
        internal_token=secrets_dir / "internal_token",
        playback_secret=secrets_dir / "playback_secret",
        webhook_encryption_key=secrets_dir / "webhook_encryption_key",
        jwt_private_key=secrets_dir / "jwt_private_key.pem",
        jwt_public_keys=secrets_dir / "jwt_public_keys.json",
        db_passwords={s.role: secrets_dir / f"db_password_{s.role}" for s in SERVICES},
    )


def _write_private(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def _rsa_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def ensure_secrets(secrets_dir: Path) -> tuple[SecretPaths, list[str]]:
    """Create the missing secret files; return their paths and the names created."""
    secrets_dir.mkdir(parents=True, exist_ok=True)
    secrets_dir.chmod(0o700)
    paths = secret_paths(secrets_dir)
    wanted: dict[Path, bytes | None] = {
        paths.pg_superuser_password: None,
        paths.internal_token: None,
        paths.playback_secret: None,
        paths.webhook_encryption_key: None,
        **dict.fromkeys(paths.db_passwords.values()),
    }
    created: list[str] = []
    for path in wanted:
        if not path.exists():
            _write_private(path, secrets.token_urlsafe(32).encode() + b"\n")
            created.append(path.name)
    if not paths.jwt_private_key.exists():
        _write_private(paths.jwt_private_key, _rsa_pem())
        created.append(paths.jwt_private_key.name)
    for path in [*wanted, paths.jwt_private_key]:
        path.chmod(0o600)
    jwks = public_jwks(paths.jwt_private_key.read_bytes())
    if not paths.jwt_public_keys.exists() or paths.jwt_public_keys.read_text() != jwks:
        paths.jwt_public_keys.write_text(jwks, encoding="utf-8")
        created.append(paths.jwt_public_keys.name)
    return paths, created


def public_jwks(private_pem: bytes) -> str:
    """The JWKS (one RS256 key, kid = RFC 7638 thumbprint, as user-service publishes it)."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    numbers = key.public_key().public_numbers()
    jwk = {"e": _b64_uint(numbers.e), "kty": "RSA", "n": _b64_uint(numbers.n)}
    canonical = json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
    return json.dumps({"keys": [{**jwk, "kid": kid, "use": "sig", "alg": "RS256"}]}) + "\n"


def _b64_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def read_secret(path: Path) -> str:
    return path.read_text(encoding="utf-8").strip()
