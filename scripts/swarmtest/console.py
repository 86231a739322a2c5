"""The web console as the deployed gateway image serves it: the checked-in files, byte for
byte, with the console's Content-Security-Policy, and nothing else of the source tree."""

from __future__ import annotations

from pathlib import Path

import requests

from swarmtest.api import BASE_URL
from swarmtest.load import Tally

CONSOLE = Path(__file__).resolve().parents[2] / "gateway" / "console"
FILES = ("js/main.js", "js/views/player.js", "vendor/hls.js/hls.min.mjs", "vendor/hls.js/LICENSE")


def check() -> tuple[bool, Tally | None, str]:
    problems: list[str] = []
    page = requests.get(f"{BASE_URL}/", timeout=15)
    if page.status_code != 200 or page.content != (CONSOLE / "index.html").read_bytes():
        problems.append(f"/ answered {page.status_code}, not console/index.html")
    if "script-src 'self'" not in page.headers.get("Content-Security-Policy", ""):
        problems.append("/ has no script-src 'self' Content-Security-Policy")
    for path in FILES:
        response = requests.get(f"{BASE_URL}/console/{path}", timeout=15)
        if response.status_code != 200 or response.content != (CONSOLE / path).read_bytes():
            problems.append(f"/console/{path} answered {response.status_code}, not the file")
    hidden = requests.get(f"{BASE_URL}/console/package.json", timeout=15).status_code
    if hidden != 404:
        problems.append(f"/console/package.json answered {hidden}, not 404")
    return not problems, None, "; ".join(problems) or f"index and {len(FILES)} files as checked in"
