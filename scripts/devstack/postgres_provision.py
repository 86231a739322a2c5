"""The database layout inside the stack's cluster: database `media`, one login role and one
schema per service (the role owns its schema and nothing else), PUBLIC locked out."""

from __future__ import annotations

from devstack.config import SERVICES
from devstack.postgres import DATABASE
from devstack.postgres_cluster import Cluster
from devstack.secretstore import SecretPaths, read_secret


def provision(cluster: Cluster, secrets: SecretPaths) -> None:
    """Database `media`, one login role and one schema per service, PUBLIC locked out."""
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(cluster.admin_dsn(secrets), connect_timeout=10)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for spec in SERVICES:
                password = read_secret(secrets.db_passwords[spec.role])
                cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (spec.role,))
                verb = "ALTER" if cur.fetchone() else "CREATE"
                cur.execute(
                    sql.SQL(
                        "{} ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %s"
                    ).format(sql.SQL(verb), sql.Identifier(spec.role)),
                    (password,),
                )
                cur.execute(
                    sql.SQL("ALTER ROLE {} SET search_path = {}").format(
                        sql.Identifier(spec.role), sql.Identifier(spec.schema)
                    )
                )
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
            if not cur.fetchone():
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
            cur.execute(
                sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(DATABASE))
            )
            for spec in SERVICES:
                cur.execute(
                    sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
                        sql.Identifier(DATABASE), sql.Identifier(spec.role)
                    )
                )
    finally:
        conn.close()
    conn = psycopg2.connect(cluster.admin_dsn(secrets, DATABASE), connect_timeout=10)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
            for spec in SERVICES:
                role, schema = sql.Identifier(spec.role), sql.Identifier(spec.schema)
                cur.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(schema, role)
                )
                cur.execute(sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(schema, role))
    finally:
        conn.close()
