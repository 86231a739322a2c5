"""The login rate limit counts each client's own address.

A network namespace joined to the host by a veth pair plays a remote client with an
address of its own, 198.18.77.2 (RFC 2544 test range; nothing leaves the machine). It sends
40 logins at once to the host's side of the pair, port 80: most must get 429, the
gateway's access log must show that client's address for them, and a login from loopback
right after must still be answered (401, not 429). (Docker keeps the source address of
connections from any host address but loopback; loopback ones go through its userland
proxy and show the docker_gwbridge address.)"""

from __future__ import annotations

import secrets
import subprocess
import time
from datetime import UTC, datetime

import requests

from swarmtest import docker
from swarmtest.api import BASE_URL
from swarmtest.load import Tally

NETNS = "swarmtest-client"
HOST_IP, CLIENT_IP = "198.18.77.1", "198.18.77.2"
ATTEMPTS = 40


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


def remove_client() -> None:
    subprocess.run(["ip", "netns", "del", NETNS], capture_output=True, check=False)
    subprocess.run(["ip", "link", "del", "swt-host"], capture_output=True, check=False)


def add_client() -> None:
    remove_client()
    ip("netns", "add", NETNS)
    ip("link", "add", "swt-host", "type", "veth", "peer", "name", "swt-client")
    ip("link", "set", "swt-client", "netns", NETNS)
    ip("addr", "add", f"{HOST_IP}/30", "dev", "swt-host")
    ip("link", "set", "swt-host", "up")
    ip("netns", "exec", NETNS, "ip", "addr", "add", f"{CLIENT_IP}/30", "dev", "swt-client")
    ip("netns", "exec", NETNS, "ip", "link", "set", "swt-client", "up")
    ip("netns", "exec", NETNS, "ip", "link", "set", "lo", "up")
    ip("netns", "exec", NETNS, "ip", "route", "add", "default", "via", HOST_IP)


def remote_logins(request_id: str) -> list[int]:
    """ATTEMPTS logins with unknown credentials from the namespace, all at once (one curl,
    parallel transfers); their HTTP statuses."""
    out = subprocess.run(
        [
            "ip", "netns", "exec", NETNS, "curl", "-s", "--parallel", "--parallel-max", "20",
            "-w", "%{http_code}\\n", "--max-time", "20", "-H", "Content-Type: application/json",
            "-H", f"X-Request-ID: {request_id}",
            "--data", '{"email":"nobody@ratelimit.example.com","password":"wrong-password"}',
            *[arg for _ in range(ATTEMPTS)
              for arg in ("-o", "/dev/null", f"http://{HOST_IP}:80/api/v1/auth/login")],
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return [int(code) for code in out.stdout.split()]


def seen_addresses(since: str, prefix: str) -> set[str]:
    """remote_addr of the gateway's access-log lines whose request id starts with prefix."""
    found: set[str] = set()
    for line in docker.service_logs(docker.service("gateway"), since):
        if f'"request_id":"{prefix}' in line and '"remote_addr":"' in line:
            found.add(line.split('"remote_addr":"', 1)[1].split('"', 1)[0])
    return found


def check() -> tuple[bool, Tally | None, str]:
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    prefix = f"ratelimit-{secrets.token_hex(4)}"
    add_client()
    try:
        statuses = remote_logins(prefix)
    finally:
        remove_client()
    local = requests.post(
        f"{BASE_URL}/api/v1/auth/login",
        json={"email": "nobody@ratelimit.example.com", "password": "wrong-password"},
        timeout=15,
    ).status_code
    addresses: set[str] = set()
    for _ in range(20):  # the log reaches `docker service logs` with a small delay
        addresses = seen_addresses(since, prefix)
        if addresses:
            break
        time.sleep(0.5)
    limited = statuses.count(429)
    answered = statuses.count(401)
    # burst 10 (AUTH_RATE_LIMIT_BURST) and a refill of 1 a second: most of 40 at once are 429
    ok = limited >= ATTEMPTS // 2 and answered > 0 and local == 401 and addresses == {CLIENT_IP}
    note = (
        f"client {CLIENT_IP}: {answered}x 401, {limited}x 429 of {ATTEMPTS} at once; "
        f"gateway saw {sorted(addresses)}; loopback client right after: {local}"
    )
    return ok, None, note
