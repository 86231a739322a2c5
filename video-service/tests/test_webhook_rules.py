"""Webhook rules without HTTP or DB: signatures, the receiver example, secrets at rest,
which URLs and addresses may receive, the retry schedule."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from ipaddress import ip_address

import pytest
from webhook_testkit import verify_webhook

from video_service.webhook_delivery import (
    FIRST_RETRY_SECONDS,
    MAX_RETRY_SECONDS,
    RETRY_WINDOW,
    retry_delay_seconds,
)
from video_service.webhook_secrets import SecretBox, SecretUnreadable, new_signing_secret
from video_service.webhook_signing import signature_header
from video_service.webhook_urls import (
    WEBHOOK_URL_PATTERN,
    UnsafeUrl,
    address_allowed,
    checked_addresses,
    parse_webhook_url,
)

KEY = "a-webhook-encryption-key-of-enough-length"
BODY = b'{"id":1,"type":"video.deleted","created_at":"2026-12-02T14:00:00+00:00","data":{}}'


def test_signature_is_hmac_sha256_of_timestamp_dot_body_keyed_with_the_shown_secret() -> None:
    secret = new_signing_secret()
    header = signature_header(secret, 1764684000, BODY)
    expected = hmac.new(secret.encode(), b"1764684000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1764684000,v1={expected}"


def test_documented_receiver_accepts_a_fresh_signature_and_refuses_the_rest() -> None:
    verify = verify_webhook()
    secret = new_signing_secret()
    now = 1764684000
    header = signature_header(secret, now, BODY)
    assert verify(secret, header, BODY, now=now + 10)
    assert not verify(secret, header, BODY + b" ", now=now)  # body changed
    assert not verify(new_signing_secret(), header, BODY, now=now)  # other secret
    assert not verify(secret, header, BODY, now=now + 301)  # too old: a replay
    assert not verify(secret, header, BODY, now=now - 301)  # from the future
    assert not verify(secret, "t=abc,v1=00", BODY, now=now)
    assert not verify(secret, "", BODY, now=now)
    assert not verify(secret, f"t={now}", BODY, now=now)


def test_secrets_are_sealed_per_company_and_key() -> None:
    box = SecretBox(KEY)
    secret = new_signing_secret()
    sealed = box.seal(secret, company_id=7)
    assert secret.encode() not in sealed
    assert box.seal(secret, company_id=7) != sealed  # a fresh nonce each time
    assert box.open(sealed, company_id=7) == secret
    with pytest.raises(SecretUnreadable):
        box.open(sealed, company_id=8)  # copied into another company's row
    with pytest.raises(SecretUnreadable):
        SecretBox(KEY + "-other").open(sealed, company_id=7)
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(SecretUnreadable):
        box.open(tampered, company_id=7)
    with pytest.raises(ValueError, match="WEBHOOK_ENCRYPTION_KEY"):
        SecretBox("short")


def test_signing_secrets_are_random_and_prefixed() -> None:
    secrets = {new_signing_secret() for _ in range(100)}
    assert len(secrets) == 100
    assert all(s.startswith("whsec_") and len(s) >= 40 for s in secrets)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "gopher://example.com/",
        "example.com/hook",
        "http://",
        "http://user:pass@example.com/",
        "http://example.com/#frag",
        "http://example.com/#",
        "http://example.com:99999/",
        "http://exa mple.com/",
        "http://example.com/\r\nX: y",
    ],
)
def test_urls_that_are_refused_before_any_lookup(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        parse_webhook_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "example.com/hook",
        "http://",
        "http:example.com",
        "http://user@example.com/",
        "http://example.com/#",
        "http://exa mple.com/",
        "http://example.com/\x7f",
        "https://example.com/a\u2003b",
    ],
)
def test_the_schema_pattern_refuses_what_the_rule_refuses(url: str) -> None:
    assert not re.fullmatch(WEBHOOK_URL_PATTERN, url)
    with pytest.raises(UnsafeUrl):
        parse_webhook_url(url)


@pytest.mark.parametrize(
    "url", ["HTTPS://Hooks.Example.com/a/b?x=1", "http://[::1]:8080", "http://h?q=@"]
)
def test_the_schema_pattern_allows_what_the_rule_parses(url: str) -> None:
    assert re.fullmatch(WEBHOOK_URL_PATTERN, url)
    parse_webhook_url(url)


def test_url_parts_for_the_request() -> None:
    https = parse_webhook_url("HTTPS://Hooks.Example.com/a/b?x=1")
    assert (https.scheme, https.host, https.port) == ("https", "hooks.example.com", 443)
    assert (https.target, https.host_header) == ("/a/b?x=1", "hooks.example.com")
    v6 = parse_webhook_url("http://[2606:4700::1111]:8080")
    assert (v6.host, v6.port, v6.target, v6.host_header) == (
        "2606:4700::1111",
        8080,
        "/",
        "[2606:4700::1111]:8080",
    )


REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.10.10",
    "100.64.0.1",  # shared address space (CGNAT)
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "2002:7f00:1::1",  # 6to4 around 127.0.0.1
    "ff02::1",
]
METADATA = ["169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200"]


@pytest.mark.parametrize("address", REFUSED + METADATA)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not address_allowed(ip_address(address), allow_private=False)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_allowed(ip_address(address), allow_private=False)


def test_allow_private_opens_local_networks_but_never_metadata() -> None:
    for address in ("127.0.0.1", "10.1.2.3", "192.168.1.1", "::1", "fd12:3456::1"):
        assert address_allowed(ip_address(address), allow_private=True), address
    for address in [*METADATA, "0.0.0.0", "224.0.0.1"]:
        assert not address_allowed(ip_address(address), allow_private=True), address


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/hook",
        "http://127.0.0.1:8080/hook",
        "http://2130706433/",  # 127.0.0.1 as one decimal number
        "http://0x7f.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://no-such-host.invalid/",
    ],
)
def test_resolved_destinations_that_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        asyncio.run(checked_addresses(parse_webhook_url(url), allow_private=False))


def test_loopback_receiver_allowed_only_when_private_is_allowed() -> None:
    destination = parse_webhook_url("http://127.0.0.1:9/hook")
    allowed = asyncio.run(checked_addresses(destination, allow_private=True))
    assert allowed == [ip_address("127.0.0.1")]
    with pytest.raises(UnsafeUrl):
        asyncio.run(checked_addresses(destination, allow_private=False))


def test_retry_schedule_first_within_10s_doubling_to_an_hour() -> None:
    for _ in range(200):
        first = retry_delay_seconds(1)
        assert FIRST_RETRY_SECONDS / 2 <= first <= FIRST_RETRY_SECONDS
        assert 10 <= retry_delay_seconds(2) <= 20
        assert 40 <= retry_delay_seconds(4) <= 80
        assert MAX_RETRY_SECONDS / 2 <= retry_delay_seconds(40) <= MAX_RETRY_SECONDS
    # Even with the shortest jitter, 24 h of retries take dozens of attempts, not thousands.
    elapsed, attempts = 0.0, 0
    while elapsed < RETRY_WINDOW.total_seconds():
        attempts += 1
        elapsed += retry_delay_seconds(attempts)
    assert 20 <= attempts <= 60
