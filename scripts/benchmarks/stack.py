"""What the benchmarks need to know about the running stack, read from `stack.json`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STATE = REPO_ROOT / ".stack" / "stack.json"


@dataclass(frozen=True)
class StackInfo:
    gateway_url: str
    media_dsn: str
    internal_token: str
    storage_dir: Path
    storage_backend: str
    service_urls: dict[str, list[str]]

    @property
    def user_service_urls(self) -> list[str]:
        return self.service_urls["user-service"]

    @property
    def video_service_url(self) -> str:
        return self.service_urls["video-service"][0]


def load_stack(state_file: Path = DEFAULT_STATE) -> StackInfo:
    if not state_file.exists():
        raise SystemExit(f"bench: {state_file} not found; start the stack with scripts/stack up")
    state = json.loads(state_file.read_text(encoding="utf-8"))
    token_file = Path(state["secrets"]["internal_token"])
    return StackInfo(
        gateway_url=state["gateway_url"].rstrip("/"),
        media_dsn=state["media_dsn"],
        internal_token=token_file.read_text(encoding="utf-8").strip(),
        storage_dir=Path(state["storage_dir"]),
        storage_backend=state.get("storage_backend", "local"),
        service_urls={name: info["urls"] for name, info in state["services"].items()},
    )


def points_per_view(state_file: Path = DEFAULT_STATE) -> int:
    """POINTS_PER_VIEW of the stack (what one first view credits)."""
    state = json.loads(state_file.read_text(encoding="utf-8"))
    return int(state.get("points_per_view", 10))
