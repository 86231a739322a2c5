"""Rendering `gateway/nginx.conf.template`: substitute `${UPPER_CASE}` placeholders only.

nginx's own variables (`$host`, `$request_id`, ...) are lower case and left alone; a
placeholder without a value is an error, so a rendered file never holds a stray `${`.
The Swarm image renders the same template with `envsubst` (gateway/entrypoint.sh).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from devstack.ui import StackError

PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
TEMPLATE = Path(__file__).resolve().parents[2] / "gateway" / "nginx.conf.template"


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def render(text: str, values: Mapping[str, str]) -> str:
    missing = sorted(placeholders(text) - set(values))
    if missing:
        raise StackError(f"no value for template placeholder(s): {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def render_file(values: Mapping[str, str], template: Path = TEMPLATE) -> str:
    return render(template.read_text(encoding="utf-8"), values)


def upstream_lines(addresses: list[str]) -> str:
    """`server` lines of an upstream block. max_fails=0: a replica that refuses a connection
    is skipped for that request (next upstream) but never marked down, so a restarted
    replica takes traffic again at once."""
    return "\n        ".join(f"server {address} max_fails=0;" for address in addresses)
