"""Load the services' SQLAlchemy MetaData and describe it canonically.

The canonical text lists every table, column (type, nullability), primary, foreign and
unique key, sorted, so its SHA-256 changes exactly when the diagram may need redrawing.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Column, ForeignKeyConstraint, Index, MetaData, Table, UniqueConstraint
from sqlalchemy.dialects import postgresql

REPO_ROOT = Path(__file__).resolve().parents[2]

# (import name, service folder, schema) in diagram order.
SERVICES: tuple[tuple[str, str, str], ...] = (
    ("company_service.models", "company-service", "company"),
    ("user_service.models", "user-service", "identity"),
    ("video_service.models", "video-service", "video"),
)

# Columns that hold another service's id without a foreign key (no cross-schema FKs by
# design), and the table whose `id` they mean.
CROSS_REFERENCE_COLUMNS: dict[str, str] = {
    "company_id": "companies",
    "user_id": "users",
    "video_id": "videos",
    "uploaded_by": "users",
    "changed_by": "users",
}


@dataclass(frozen=True)
class CrossReference:
    table: Table
    column: Column[object]
    target: Table


def load_metadata() -> list[MetaData]:
    """Import each service's models module and return its MetaData, in SERVICES order."""
    found: list[MetaData] = []
    for module_name, folder, _schema in SERVICES:
        service_dir = str(REPO_ROOT / folder)
        if service_dir not in sys.path:
            sys.path.append(service_dir)
        module = importlib.import_module(module_name)
        found.append(_metadata_of(module_name, vars(module).values()))
    return found


def _metadata_of(module_name: str, members: Iterable[object]) -> MetaData:
    for member in members:
        if isinstance(member, MetaData):
            return member
        metadata = getattr(member, "metadata", None)
        if isinstance(member, type) and isinstance(metadata, MetaData) and metadata.tables:
            return metadata
    raise LookupError(f"{module_name} defines no SQLAlchemy MetaData")


def all_tables(metadatas: Iterable[MetaData]) -> list[Table]:
    return sorted(
        (table for metadata in metadatas for table in metadata.tables.values()),
        key=lambda table: table.fullname,
    )


def type_name(column: Column[object]) -> str:
    try:
        return str(column.type.compile(dialect=postgresql.dialect()))
    except Exception:  # a custom type the dialect cannot compile
        return type(column.type).__name__.upper()


def _foreign_key_text(constraint: ForeignKeyConstraint) -> str:
    local = ",".join(column.name for column in constraint.columns)
    remote = ",".join(
        f"{element.column.table.fullname}.{element.column.name}" for element in constraint.elements
    )
    ondelete = f" ON DELETE {constraint.ondelete}" if constraint.ondelete else ""
    return f"  fk ({local}) -> {remote}{ondelete}"


def _index_columns(index: Index) -> str:
    return ",".join(str(expression) for expression in index.expressions)


def canonical_text(metadatas: Iterable[MetaData]) -> str:
    lines: list[str] = []
    for table in all_tables(metadatas):
        lines.append(f"table {table.fullname}")
        for column in sorted(table.columns, key=lambda c: c.name):
            null = "null" if column.nullable else "not null"
            pk = " pk" if column.primary_key else ""
            lines.append(f"  column {column.name} {type_name(column)} {null}{pk}")
        keys: list[str] = []
        for constraint in table.constraints:
            if isinstance(constraint, ForeignKeyConstraint):
                keys.append(_foreign_key_text(constraint))
            elif isinstance(constraint, UniqueConstraint):
                keys.append(f"  unique ({','.join(c.name for c in constraint.columns)})")
        for index in table.indexes:
            if index.unique:
                where = index.dialect_options["postgresql"].get("where")
                partial = f" where {where}" if where is not None else ""
                keys.append(f"  unique index ({_index_columns(index)}){partial}")
        pk_columns = ",".join(column.name for column in table.primary_key.columns)
        keys.append(f"  primary key ({pk_columns})")
        lines.extend(sorted(keys))
    return "\n".join(lines) + "\n"


def schema_hash(metadatas: Iterable[MetaData]) -> str:
    return hashlib.sha256(canonical_text(metadatas).encode()).hexdigest()


def cross_references(metadatas: Iterable[MetaData]) -> list[CrossReference]:
    """Columns naming another schema's table by id, with no foreign key to it."""
    tables = all_tables(metadatas)
    references: list[CrossReference] = []
    for table in tables:
        for column in table.columns:
            target_name = CROSS_REFERENCE_COLUMNS.get(column.name)
            if target_name is None or column.foreign_keys:
                continue
            for target in tables:
                if target.name == target_name and target.schema != table.schema:
                    references.append(CrossReference(table, column, target))
    return references
