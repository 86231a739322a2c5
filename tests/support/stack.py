"""Control of the local stack under test: URLs, secrets and stopping/starting services."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import requests

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Stack:
    gateway: str
    directory: Path

    @property
    def info(self) -> dict[str, Any]:
        return json.loads((self.directory / "stack.json").read_text(encoding="utf-8"))

    def run(self, *args: str) -> None:
        env = {**os.environ, "STACK_DIR": str(self.directory)}
        subprocess.run([str(ROOT / "scripts" / "stack"), *args], env=env, check=True, cwd=ROOT)

    def stop(self, service: str) -> None:
        self.run("stop", service)

    def kill(self, service: str) -> None:
        self.run("kill", service)

    def start(self, service: str) -> None:
        self.run("start", service)
        self.wait_ready()

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.gateway}/healthz", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise TimeoutError("gateway not ready")

    def secret(self, name: str) -> str:
        return (self.directory / "secrets" / name).read_text(encoding="utf-8").strip()

    def psql(self, statement: str) -> list[tuple[Any, ...]]:
        """Run one statement as the superuser in the `media` database; its rows, if any."""
        conn = psycopg2.connect(self.info["media_dsn"], connect_timeout=10)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(statement)
                return list(cur.fetchall()) if cur.description else []
        finally:
            conn.close()
