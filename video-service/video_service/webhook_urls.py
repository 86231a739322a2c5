"""Which URLs may receive webhooks (SSRF rules), checked at registration and at delivery.

Only `http(s)`, no credentials or fragment in the URL. Every address the host resolves to
must be public (`is_global`): loopback, private, link-local, shared (CGNAT), reserved,
multicast and unspecified addresses are refused, also when wrapped in IPv6 (mapped,
6to4, Teredo). `allow_private` (`WEBHOOK_ALLOW_PRIVATE=true`) lifts the rule for
loopback and private networks; cloud metadata addresses stay refused in any case.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from urllib.parse import urlsplit

IPAddress = IPv4Address | IPv6Address

SCHEMES = ("http", "https")
# What parse_webhook_url asks of the text, for the OpenAPI schema: the scheme (any case), a
# non-empty authority without credentials, no spaces, control characters or fragment.
# That the host resolves, and where to, is no property of the text (422 when it fails).
WEBHOOK_URL_PATTERN = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s\x00-\x1f\x7f/?#@]+(?:[/?][^\s\x00-\x1f\x7f#]*)?$"
)
DEFAULT_PORTS = {"http": 80, "https": 443}
# Instance metadata services (AWS/GCP/Azure/OpenStack, AWS IPv6 and ECS, Alibaba).
METADATA_ADDRESSES = frozenset(
    ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200")
)


class UnsafeUrl(ValueError):
    """The URL may not receive webhooks; the message says why."""


@dataclass(frozen=True, slots=True)
class Destination:
    scheme: str
    host: str  # as in the URL, lower case, without brackets
    port: int
    target: str  # path and query, what goes on the request line
    host_header: str


def parse_webhook_url(url: str) -> Destination:
    if any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in url):
        raise UnsafeUrl("must not contain spaces or control characters")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise UnsafeUrl("must be an http or https URL")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("must not contain credentials")
    if "#" in url:  # an empty fragment too (`https://host/#`)
        raise UnsafeUrl("must not contain a fragment")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeUrl("must name a host")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise UnsafeUrl("has an invalid port") from exc
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    shown_host = f"[{host}]" if ":" in host else host
    host_header = shown_host if port == DEFAULT_PORTS[scheme] else f"{shown_host}:{port}"
    return Destination(scheme, host, port, target, host_header)


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def address_allowed(address: IPAddress, *, allow_private: bool) -> bool:
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and not address_allowed(embedded, allow_private=allow_private):
            return False
    if address in METADATA_ADDRESSES:
        return False
    if address.is_multicast or address.is_unspecified:
        return False
    return allow_private or address.is_global


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The host's addresses (a literal IP is its own), in the resolver's order. The lookup
    runs in the loop's resolver thread (`loop.getaddrinfo`), never on the loop itself."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl("host does not resolve") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        address = ip_address(str(info[4][0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeUrl("host does not resolve")
    return addresses


async def checked_addresses(destination: Destination, *, allow_private: bool) -> list[IPAddress]:
    """Resolve now and refuse if any address is off limits (so no answer order can
    smuggle one in); the caller connects to these addresses, not to the name again."""
    addresses = await resolve(destination.host, destination.port)
    for address in addresses:
        if not address_allowed(address, allow_private=allow_private):
            raise UnsafeUrl(f"resolves to a refused address ({address})")
    return addresses
