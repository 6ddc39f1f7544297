#!/usr/bin/env bash
# Lets the local PostgreSQL cluster serve streaming replication to loopback
# clients, so that the replica test (cmd/coffer, TestReplica*) can start a
# real standby with pg_basebackup. Idempotent: it adds one pg_hba.conf line
# only when no replication line exists, then reloads. wal_level=replica and
# max_wal_senders=10 are PostgreSQL's defaults and are only checked.
set -euo pipefail
host=${PGHOST:-127.0.0.1} port=${PGPORT:-5432} user=${PGUSER:-postgres}
q() { psql -qAt -h "$host" -p "$port" -U "$user" -d postgres -c "$1"; }

hba=$(q 'SHOW hba_file')
if ! grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]' "$hba"; then
  printf '\n# Added by coffer scripts/pg-replication-setup.sh: loopback streaming replication for tests.\nhost replication all 127.0.0.1/32 trust\n' >>"$hba"
  q 'SELECT pg_reload_conf()' >/dev/null
  echo "pg-replication-setup: replication allowed from 127.0.0.1 in $hba"
fi
[ "$(q 'SHOW wal_level')" != minimal ] || { echo "pg-replication-setup: wal_level=minimal; set replica and restart" >&2; exit 1; }
[ "$(q 'SHOW max_wal_senders')" -gt 0 ] || { echo "pg-replication-setup: max_wal_senders=0; raise it and restart" >&2; exit 1; }
