#!/bin/sh
# First-start initialisation of the Swarm PostgreSQL (mounted into
# /docker-entrypoint-initdb.d by docker-compose.yml; runs once, on an empty volume).
# Same layout as the local stack (scripts/devstack/postgres_provision.py): database `media`, one
# login role and one schema per service, the role owning its schema and nothing else.
# Role passwords come from the Docker secrets db_password_<role>.
set -eu

SECRETS_DIR="${SECRETS_DIR:-/run/secrets}"
DB="${POSTGRES_DB:-media}"
SUPER="${POSTGRES_USER:-postgres}"

run_sql() {
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$SUPER" "$@"
}

for pair in company_svc:company identity_svc:identity video_svc:video; do
    role="${pair%%:*}"
    schema="${pair##*:}"
    secret="$SECRETS_DIR/db_password_$role"
    if [ ! -s "$secret" ]; then
        echo "postgres-init: missing secret $secret" >&2
        exit 1
    fi
    password="$(cat "$secret")"
    # psql variables (:'name') quote the values safely.
    run_sql --dbname postgres -v role="$role" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'role', :'password') \gexec
SQL
    run_sql --dbname "$DB" -v role="$role" -v schema="$schema" -v db="$DB" <<'SQL'
SELECT format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', :'schema', :'role') \gexec
SELECT format('ALTER SCHEMA %I OWNER TO %I', :'schema', :'role') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'db', :'role') \gexec
SELECT format('ALTER ROLE %I SET search_path = %I', :'role', :'schema') \gexec
SQL
done

run_sql --dbname "$DB" -v db="$DB" <<'SQL'
REVOKE ALL ON SCHEMA public FROM PUBLIC;
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db') \gexec
SQL
echo "postgres-init: database $DB with schemas company, identity, video ready"
