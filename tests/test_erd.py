"""ERD.png and ERD.schema.sha256 match the services' models (regenerate with scripts/erd)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "scripts"))

from erdgen.schema import (  # noqa: E402
    canonical_text,
    cross_references,
    load_metadata,
    schema_hash,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_schema_hash_matches_the_models() -> None:
    hash_file = REPO_ROOT / "ERD.schema.sha256"
    assert hash_file.exists(), "ERD.schema.sha256 is missing: run scripts/erd"
    recorded = hash_file.read_text().split()[0]
    current = schema_hash(load_metadata())
    assert recorded == current, (
        "the models changed since ERD.png was drawn: run scripts/erd and commit "
        "ERD.png and ERD.schema.sha256"
    )


def test_erd_png_is_a_png() -> None:
    png = REPO_ROOT / "ERD.png"
    assert png.exists(), "ERD.png is missing: run scripts/erd"
    with png.open("rb") as handle:
        assert handle.read(8) == PNG_SIGNATURE, "ERD.png is not a PNG: run scripts/erd"
    assert png.stat().st_size > 10_000


def test_canonical_text_covers_the_three_schemas() -> None:
    text = canonical_text(load_metadata())
    for table in ("company.companies", "identity.users", "video.videos"):
        assert f"table {table}\n" in text


def test_cross_service_references_are_found() -> None:
    pairs = {
        (ref.table.fullname, ref.column.name, ref.target.fullname)
        for ref in cross_references(load_metadata())
    }
    assert ("video.videos", "company_id", "company.companies") in pairs
    assert ("identity.users", "company_id", "company.companies") in pairs


def test_hash_changes_with_a_column() -> None:
    metadatas = load_metadata()
    before = schema_hash(metadatas)
    *others, video = metadatas
    changed = MetaData(schema=video.schema)
    for table in video.tables.values():
        table.to_metadata(changed)
    assert schema_hash([*others, changed]) == before
    changed.tables["video.videos"].append_column(Column("extra", Integer, nullable=True))
    assert schema_hash([*others, changed]) != before


def test_erd_check_command_passes() -> None:
    result = subprocess.run(
        [str(REPO_ROOT / "scripts" / "erd"), "--check"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"{result.stdout}{result.stderr}\nrun scripts/erd"
