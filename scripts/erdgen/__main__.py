"""`scripts/erd`: draw ERD.png from the services' models and record the schema hash.

scripts/erd            write ERD.png and ERD.schema.sha256 at the repository root
scripts/erd --check    exit 1 when the models no longer match ERD.schema.sha256
scripts/erd --dot      write the DOT text to stdout
scripts/erd --text     write the canonical schema description to stdout
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

from erdgen.dot import render_dot
from erdgen.schema import REPO_ROOT, canonical_text, load_metadata, schema_hash

PNG_PATH = REPO_ROOT / "ERD.png"
HASH_PATH = REPO_ROOT / "ERD.schema.sha256"


def recorded_hash(path: Path = HASH_PATH) -> str | None:
    if not path.exists():
        return None
    text = path.read_text().split()
    return text[0] if text else None


def render_png(dot_text: str, target: Path) -> None:
    dot = shutil.which("dot")
    if dot is None:
        raise SystemExit("scripts/erd: Graphviz 'dot' not found (apt-get install -y graphviz)")
    result = subprocess.run(
        [dot, "-Tpng", "-Gdpi=110", "-o", str(target)],
        input=dot_text.encode(),
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"scripts/erd: dot failed:\n{result.stderr.decode(errors='replace')}")
    # Graphviz 2.43 sometimes warns about arrow types it parsed from HTML-label graphs; the
    # image is still right, so pass warnings on without failing.
    sys.stderr.write(result.stderr.decode(errors="replace"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/erd", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="compare the models to the hash")
    mode.add_argument("--dot", action="store_true", help="print the DOT text")
    mode.add_argument("--text", action="store_true", help="print the canonical schema text")
    args = parser.parse_args(argv)

    metadatas = load_metadata()
    if args.text:
        sys.stdout.write(canonical_text(metadatas))
        return 0
    if args.dot:
        sys.stdout.write(render_dot(metadatas))
        return 0
    current = schema_hash(metadatas)
    if args.check:
        recorded = recorded_hash()
        if recorded != current:
            sys.stderr.write(
                f"ERD is stale: models hash {current}, ERD.schema.sha256 has {recorded}; "
                "run scripts/erd\n"
            )
            return 1
        sys.stdout.write(f"ERD is up to date ({current})\n")
        return 0
    render_png(render_dot(metadatas), PNG_PATH)
    HASH_PATH.write_text(f"{current}  company+identity+video models\n")
    sys.stdout.write(f"wrote {PNG_PATH.name} and {HASH_PATH.name} ({current})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
