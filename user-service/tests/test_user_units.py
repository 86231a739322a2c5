"""Unit tests of rules without HTTP: fields, passwords, token keys, settings."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import bcrypt
import pytest
from pydantic import ValidationError

from user_service.fields import check_new_password, normalize_email
from user_service.passwords import PasswordHasher
from user_service.settings import Settings
from user_service.tokens import SigningKey, jwk_thumbprint


def test_rfc7638_example_thumbprint() -> None:
    # The worked example of RFC 7638, section 3.1.
    jwk = {
        "kty": "RSA",
        "n": (
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6"
            "tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5"
            "v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbIS"
            "D08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kE"
            "gU8awapJzKnqDKgw"
        ),
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ada@Example.COM ", "ada@example.com"),
        ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
    ],
)
def test_emails_are_normalised(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "plain",
        "@example.com",
        "a@",
        "a@b",
        "a..b@example.com",
        ".a@example.com",
        "a@-example.com",
        "a@example.c0m",
        "a@exa_mple.com",
        "ü@example.com",
        f"{'a' * 65}@example.com",
        f"a@{'b' * 250}.com",
        "a b@example.com",
    ],
)
def test_bad_emails_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="valid email"):
        normalize_email(raw)


def test_new_password_rules() -> None:
    assert check_new_password("12345678") == "12345678"
    assert check_new_password("e\u0301" * 8) == "\u00e9" * 8  # NFC first
    with pytest.raises(ValueError, match="at least 8"):
        check_new_password("1234567")
    assert check_new_password("€" * 128) == "€" * 128  # 384 bytes: bcrypt's 72 are no limit
    with pytest.raises(ValueError, match="at most 128 characters"):
        check_new_password("x" * 129)
    with pytest.raises(ValueError, match="control"):
        check_new_password("tab\there!")


def hash_password(hasher: PasswordHasher, password: str) -> str:
    return asyncio.run(hasher.hash(password))


def verify(hasher: PasswordHasher, password: str, password_hash: str | None) -> bool:
    return asyncio.run(hasher.verify(password, password_hash))


def test_bcrypt_runs_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = PasswordHasher(rounds=4)
    threads: list[int] = []
    real_hash, real_check = bcrypt.hashpw, bcrypt.checkpw

    def hash_in(password: bytes, salt: bytes) -> bytes:
        threads.append(threading.get_ident())
        return real_hash(password, salt)

    def check_in(password: bytes, hashed: bytes) -> bool:
        threads.append(threading.get_ident())
        return real_check(password, hashed)

    monkeypatch.setattr(bcrypt, "hashpw", hash_in)
    monkeypatch.setattr(bcrypt, "checkpw", check_in)

    async def login_like() -> int:
        await hasher.verify("a password", await hasher.hash("a password"))
        await hasher.verify("a password", None)  # the unknown email's dummy compare
        return threading.get_ident()

    loop_thread = asyncio.run(login_like())
    assert len(threads) == 3 and loop_thread not in threads


def test_unknown_users_still_cost_a_bcrypt_check(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = PasswordHasher(rounds=4)
    stored = hash_password(hasher, "right password")
    calls: list[bytes] = []
    real_check = bcrypt.checkpw

    def counting_check(password: bytes, hashed: bytes) -> bool:
        calls.append(hashed)
        return real_check(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting_check)
    assert verify(hasher, "right password", stored)
    assert not verify(hasher, "wrong password", stored)
    assert not verify(hasher, "right password", None)
    assert not verify(hasher, "x" * 100, stored)
    assert len(calls) == 4


def test_long_passwords_count_in_full() -> None:
    hasher = PasswordHasher(rounds=4)
    long = "é" * 100  # 200 bytes: plain bcrypt would read the first 72 only
    stored = hash_password(hasher, long)
    assert stored.startswith("hmac-sha256+$2b$04$")
    assert verify(hasher, long, stored)
    assert not verify(hasher, "é" * 99 + "e", stored)
    assert not hasher.needs_rehash(stored)


def test_first_scheme_hashes_still_verify_and_ask_for_a_rehash() -> None:
    hasher = PasswordHasher(rounds=4)
    legacy = bcrypt.hashpw(b"old password", bcrypt.gensalt(4)).decode()
    assert verify(hasher, "old password", legacy)
    assert not verify(hasher, "old password!", legacy)
    assert not verify(hasher, "old password" + "x" * 80, legacy)  # > 72 bytes: never it
    assert hasher.needs_rehash(legacy)
    assert PasswordHasher(rounds=5).needs_rehash(hash_password(hasher, "old password"))


def test_signing_key_must_be_rsa(private_key_pem: str) -> None:
    assert len(SigningKey(private_key_pem).kid) == 43
    with pytest.raises(ValueError):
        SigningKey("not a pem")


def test_settings_read_secrets_from_files(
    tmp_path: Path, private_key_pem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "jwt_private_key"
    key_file.write_text(private_key_pem + "\n")
    monkeypatch.setenv("JWT_PRIVATE_KEY_FILE", str(key_file))
    monkeypatch.setenv("INTERNAL_TOKEN", "t0ken")
    settings = Settings()  # type: ignore[call-arg]
    assert settings.jwt_private_key.get_secret_value() == private_key_pem.rstrip("\n")
    assert settings.db_user == "identity_svc" and settings.service_name == "user-service"
    assert (settings.points_lock_timeout_ms, settings.bcrypt_rounds) == (50, 12)
    assert settings.access_token_ttl_seconds == 900 and settings.refresh_token_ttl_days == 30
    assert settings.company_service_url == "http://company-service:8000"


def test_settings_accept_a_one_line_pem(private_key_pem: str) -> None:
    one_line = private_key_pem.strip().replace("\n", "\\n")
    settings = Settings(internal_token="t", jwt_private_key=one_line)
    assert SigningKey(settings.jwt_private_key.get_secret_value()).kid


def test_settings_refuse_missing_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("INTERNAL_TOKEN", "JWT_PRIVATE_KEY", "JWT_PRIVATE_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValidationError):
        Settings()  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Settings(internal_token=" ", jwt_private_key="x")
