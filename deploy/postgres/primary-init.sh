#!/bin/sh
# Runs once, when the primary's data directory is initialised
# (/docker-entrypoint-initdb.d). Creates the replication role and slot the
# streaming replica (replica-entrypoint.sh) connects with.
set -eu

repl_password=$(cat "${REPLICATION_PASSWORD_FILE:-/run/secrets/replication_password}")

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v repl_password="$repl_password" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'repl_password';
SELECT pg_create_physical_replication_slot('replica1');
SQL

# Replication connections from the compose networks, SCRAM only.
echo "host replication replicator samenet scram-sha-256" >> "$PGDATA/pg_hba.conf"
