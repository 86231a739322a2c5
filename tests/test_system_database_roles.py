"""Each service's database role can touch its own schema and nothing else."""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest
from psycopg2 import errors
from psycopg2.extensions import connection as pg_connection

from tests.support.stack import Stack

OWN = {"company_svc": "company", "identity_svc": "identity", "video_svc": "video"}
TABLE = {"company": "companies", "identity": "users", "video": "videos"}


def _connect(stack: Stack, role: str) -> pg_connection:
    info = stack.info
    password = Path(info["secrets"]["db_passwords"][role]).read_text(encoding="utf-8").strip()
    return psycopg2.connect(
        host="127.0.0.1", port=info["pg_port"], dbname="media", user=role, password=password
    )


@pytest.mark.parametrize("role", sorted(OWN))
def test_role_reads_its_schema_and_is_refused_elsewhere(stack: Stack, role: str) -> None:
    conn = _connect(stack, role)
    try:
        with conn.cursor() as cur:
            own = OWN[role]
            cur.execute(f"SELECT count(*) FROM {own}.{TABLE[own]}")
            assert cur.fetchone() is not None
        conn.rollback()
        for schema, table in TABLE.items():
            if schema == OWN[role]:
                continue
            with conn.cursor() as cur, pytest.raises(errors.InsufficientPrivilege):
                cur.execute(f"SELECT 1 FROM {schema}.{table} LIMIT 1")
            conn.rollback()
        with conn.cursor() as cur, pytest.raises(errors.InsufficientPrivilege):
            cur.execute("CREATE TABLE public.intruder (id int)")
        conn.rollback()
    finally:
        conn.close()
