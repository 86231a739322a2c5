"""wrk (Debian's package) as the load generator of `scripts/bench api`: install, run, parse."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int  # answers other than 2xx/3xx: reported, never hidden
    socket_errors: int  # connect/read/write errors and timeouts (wrk's 2 s per request)


def ensure_wrk() -> str:
    """The wrk binary; installed with apt-get (package `wrk`) when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit("bench: wrk not found; install it (Debian/Ubuntu: apt-get install wrk)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
        subprocess.run(install, env=env, capture_output=True, check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench: apt-get installed wrk but it is not on PATH")
    return found


def _millis(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * UNITS_MS[match.group(2)]


def parse(output: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    if not (rps and total and p50 and p99):
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        p50_ms=_millis(p50.group(1)),
        p99_ms=_millis(p99.group(1)),
        requests=int(total.group(1)),
        non_2xx=int(bad.group(1)) if bad else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


def run_wrk(
    binary: str,
    url: str,
    headers: Sequence[str] = (),
    *,
    seconds: int,
    threads: int = 2,
    connections: int = 32,
) -> WrkResult:
    command = [binary, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    result = subprocess.run(
        [*command, url], capture_output=True, text=True, check=False, timeout=seconds + 60
    )
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed on {url}: {result.stderr or result.stdout}")
    return parse(result.stdout)


def run_wrk_split(
    binary: str, urls: Sequence[str], *, seconds: int, connections: int = 32
) -> WrkResult:
    """The same load spread over several URLs at once (one wrk -t1 per URL, the connections
    shared out): for a target that has no balancer in front, e.g. each replica's /healthz.
    Requests add up; p50/p99 are the worst of the parts."""
    share = max(1, connections // len(urls))
    processes = [
        subprocess.Popen(
            [binary, "-t1", f"-c{share}", f"-d{seconds}s", "--latency", url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for url in urls
    ]
    parts = []
    for process in processes:
        out, err = process.communicate(timeout=seconds + 60)
        if process.returncode != 0:
            raise RuntimeError(f"wrk failed: {err or out}")
        parts.append(parse(out))
    return WrkResult(
        requests_per_second=sum(p.requests_per_second for p in parts),
        p50_ms=max(p.p50_ms for p in parts),
        p99_ms=max(p.p99_ms for p in parts),
        requests=sum(p.requests for p in parts),
        non_2xx=sum(p.non_2xx for p in parts),
        socket_errors=sum(p.socket_errors for p in parts),
    )
