#!/bin/sh
# Entrypoint of the streaming replica (docker-compose.prod.yml). On first
# start it clones the primary with pg_basebackup (-R writes
# standby.signal + primary_conninfo); afterwards it starts as a hot standby.
set -eu

: "${PRIMARY_HOST:?PRIMARY_HOST is required}"
: "${PGDATA:=/var/lib/postgresql/data}"
slot="${REPLICATION_SLOT:-replica1}"
PGPASSWORD=$(cat "${REPLICATION_PASSWORD_FILE:-/run/secrets/replication_password}")
export PGPASSWORD

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "replica: cloning ${PRIMARY_HOST} into ${PGDATA}"
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 0700 "$PGDATA"
  su-exec postgres pg_basebackup \
    --host="$PRIMARY_HOST" --username=replicator \
    --pgdata="$PGDATA" --wal-method=stream --slot="$slot" \
    --write-recovery-conf --checkpoint=fast --progress
fi
unset PGPASSWORD

# The official entrypoint skips initdb (PGDATA is populated) and drops to the
# postgres user.
exec docker-entrypoint.sh postgres -c hot_standby=on -c max_connections=200
