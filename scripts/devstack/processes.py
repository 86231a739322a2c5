"""Detached processes with pid files: start, check, stop, wait until an URL answers."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from devstack.ui import StackError, tail


@dataclass(frozen=True)
class Proc:
    """One managed process: `<run_dir>/<name>.pid`, `<logs_dir>/<name>.log`."""

    name: str  # e.g. "company-service-1", "gateway"
    run_dir: Path
    logs_dir: Path
    marker: str  # a substring of its command line, guards against a recycled pid

    @property
    def pid_file(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def fingerprint_file(self) -> Path:
        return self.run_dir / f"{self.name}.sha"

    @property
    def log_file(self) -> Path:
        return self.logs_dir / f"{self.name}.log"

    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def alive(self) -> bool:
        pid = self.pid()
        return pid is not None and pid_alive(pid, self.marker)

    def exited(self) -> bool:
        """The process is gone (or a zombie); unlike `alive`, ignores the command line,
        which is briefly in flux while a program starts (nginx rewrites its title)."""
        pid = self.pid()
        return pid is None or not pid_alive(pid)

    def fingerprint(self) -> str | None:
        try:
            return self.fingerprint_file.read_text().strip()
        except OSError:
            return None


def pid_alive(pid: int, marker: str = "") -> bool:
    """True when `pid` runs (not a zombie) and its command line contains `marker`."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
        if state in ("Z", "X"):
            return False
        if marker:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace")
            return marker in cmdline
        return True
    except (OSError, IndexError):
        return False


def fingerprint(cmd: Sequence[str], env: Mapping[str, str]) -> str:
    payload = json.dumps([list(cmd), sorted(env.items())]).encode()
    return hashlib.sha256(payload).hexdigest()


def spawn(
    proc: Proc,
    cmd: Sequence[str],
    env: Mapping[str, str],
    cwd: Path | None = None,
    identity: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start `cmd` in its own session, output appended to the log, pid file written.

    `identity` (default: a hash of cmd and env) is saved next to the pid file; `up`
    restarts a running process whose wanted identity differs (its settings changed).
    """
    proc.run_dir.mkdir(parents=True, exist_ok=True)
    proc.logs_dir.mkdir(parents=True, exist_ok=True)
    with open(proc.log_file, "ab") as log:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        log.write(f"\n===== {stamp} starting: {' '.join(cmd)}\n".encode())
        log.flush()
        child = subprocess.Popen(
            list(cmd),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    proc.pid_file.write_text(f"{child.pid}\n")
    proc.fingerprint_file.write_text((identity or fingerprint(cmd, env)) + "\n")
    return child


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return
    except PermissionError:
        os.kill(pid, sig)


def stop(proc: Proc, timeout: float = 10.0, sig: signal.Signals = signal.SIGTERM) -> bool:
    """Stop the process (and its process group); SIGKILL after `timeout`. True if it ran."""
    pid = proc.pid()
    ran = pid is not None and pid_alive(pid, proc.marker)
    if pid is not None and ran:
        _signal_group(pid, sig)
        deadline = time.monotonic() + timeout
        while pid_alive(pid, proc.marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid_alive(pid, proc.marker):
            _signal_group(pid, signal.SIGKILL)
            deadline = time.monotonic() + 5
            while pid_alive(pid, proc.marker) and time.monotonic() < deadline:
                time.sleep(0.05)
    proc.pid_file.unlink(missing_ok=True)
    proc.fingerprint_file.unlink(missing_ok=True)
    return ran


def kill(proc: Proc) -> bool:
    """SIGKILL the process group at once (a crash, for fault tests)."""
    pid = proc.pid()
    if pid is None or not pid_alive(pid, proc.marker):
        return False
    _signal_group(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while pid_alive(pid, proc.marker) and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.pid_file.unlink(missing_ok=True)
    proc.fingerprint_file.unlink(missing_ok=True)
    return True


def port_in_use(port: int) -> bool:
    """True when something accepts connections on 127.0.0.1:`port`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def ensure_port_free(port: int, what: str) -> None:
    if port_in_use(port):
        raise StackError(
            f"port {port} (for {what}) is already in use by another process. Another stack? "
            "Stop it, or choose other ports (GATEWAY_PORT, INTERNAL_PORT, PG_PORT, "
            "SERVICE_PORT_OFFSET)."
        )


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The status code `url` answers with, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return None


def wait_ready(
    checks: Mapping[str, tuple[str, Proc | None]], timeout: float, log_hint: Mapping[str, Path]
) -> None:
    """Wait until every URL answers 200; fail early if its process died, or at `timeout`."""
    pending = dict(checks)
    deadline = time.monotonic() + timeout
    while pending:
        for label, (url, proc) in list(pending.items()):
            if http_status(url, timeout=1.0) == 200 and (proc is None or proc.alive()):
                del pending[label]
            elif proc is not None and proc.exited():
                log = log_hint.get(label, proc.log_file)
                raise StackError(
                    f"{label} exited while starting; last lines of {log}:\n{tail(str(log))}"
                )
        if not pending:
            return
        if time.monotonic() > deadline:
            details = []
            for label, (url, proc) in pending.items():
                hint = log_hint.get(label) or (proc.log_file if proc else None)
                last = tail(str(hint)) if hint else ""
                details.append(f"--- {label}: {url} not ready; log {hint}:\n{last}")
            raise StackError(f"not ready after {timeout:.0f}s:\n" + "\n".join(details))
        time.sleep(0.2)


def stop_all(procs: Sequence[Proc], timeout: float = 10.0) -> list[str]:
    """Stop several processes at once (SIGTERM all, wait, SIGKILL the rest); names stopped."""
    running: list[tuple[Proc, int]] = []
    for p in procs:
        pid = p.pid()
        if pid is not None and pid_alive(pid, p.marker):
            running.append((p, pid))
    for _, pid in running:
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(pid_alive(pid, p.marker) for p, pid in running):
        time.sleep(0.05)
    for p, pid in running:
        if pid_alive(pid, p.marker):
            _signal_group(pid, signal.SIGKILL)
    for p in procs:
        stop(p, timeout=5)  # waits for the SIGKILLed ones, removes pid files
    return [p.name for p, _ in running]
