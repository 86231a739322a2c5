"""Graphviz DOT text of the schema: one cluster per PostgreSQL schema, tables as records."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from sqlalchemy import Column, MetaData, Table, UniqueConstraint

from erdgen.schema import SERVICES, all_tables, cross_references, type_name

SCHEMA_COLOURS = {"company": "#e8f1fb", "identity": "#eaf7ea", "video": "#fdf1e4"}
HEADER_COLOURS = {"company": "#4a78b5", "identity": "#3f8f4f", "video": "#c0782c"}


def _node_id(table: Table) -> str:
    return f'"{table.fullname}"'


def _column_row(column: Column[object]) -> str:
    marks = []
    if column.primary_key:
        marks.append("PK")
    if column.foreign_keys:
        marks.append("FK")
    unique = any(
        isinstance(constraint, UniqueConstraint)
        and [c.name for c in constraint.columns] == [column.name]
        for constraint in column.table.constraints
    )
    if unique or column.unique:
        marks.append("UQ")
    name = escape(column.name)
    if column.primary_key:
        name = f"<B>{name}</B>"
    if column.nullable:
        name = f"<I>{name}</I>"
    type_text = escape(type_name(column).lower())
    if not column.nullable:
        type_text += " not null"
    mark_text = f'<FONT COLOR="#8a1c1c">{" ".join(marks)}</FONT>' if marks else " "
    return (
        f'<TR><TD ALIGN="LEFT" PORT="{escape(column.name)}">{name}</TD>'
        f'<TD ALIGN="LEFT"><FONT COLOR="#555555">{type_text}</FONT></TD>'
        f'<TD ALIGN="LEFT">{mark_text}</TD></TR>'
    )


def _table_node(table: Table) -> str:
    schema = table.schema or ""
    header = HEADER_COLOURS.get(schema, "#555555")
    rows = "".join(_column_row(column) for column in table.columns)
    label = (
        '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" BGCOLOR="white">'
        f'<TR><TD COLSPAN="3" BGCOLOR="{header}"><FONT COLOR="white"><B>'
        f"{escape(table.name)}</B></FONT></TD></TR>{rows}</TABLE>>"
    )
    return f"    {_node_id(table)} [label={label}];"


def render_dot(metadatas: Sequence[MetaData]) -> str:
    tables = all_tables(metadatas)
    lines = [
        "digraph erd {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, nodesep=0.5, ranksep=1.2,',
        '         label="media-resource: one PostgreSQL database, one schema per service",',
        "         labelloc=t, fontsize=16, pad=0.3];",
        '  node [shape=plaintext, fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for _module, folder, schema in SERVICES:
        members = [table for table in tables if table.schema == schema]
        if not members:
            continue
        lines.append(f"  subgraph cluster_{schema} {{")
        lines.append(
            f'    label="schema {schema} ({folder})"; style="rounded,filled"; '
            f'fillcolor="{SCHEMA_COLOURS.get(schema, "#f4f4f4")}"; color="#999999";'
        )
        lines.extend(_table_node(table) for table in members)
        lines.append("  }")
    for table in tables:
        for fk in sorted(table.foreign_keys, key=lambda fk: fk.parent.name):
            target = fk.column
            lines.append(
                f'  {_node_id(table)}:"{fk.parent.name}" -> '
                f'{_node_id(target.table)}:"{target.name}" '
                '[dir=both, arrowtail=crow, arrowhead=tee, label="FK"];'
            )
    for reference in cross_references(metadatas):
        lines.append(
            f'  {_node_id(reference.table)}:"{reference.column.name}" -> '
            f'{_node_id(reference.target)}:"id" [style=dashed, color="#777777", '
            f'fontcolor="#777777", label="by id (no FK)", constraint=false];'
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
