#!/bin/sh
# Creates the secret files docker-compose.prod.yml mounts, once. Existing
# files are kept, so it is safe to re-run. Usage:
#   deploy/compose/gen-secrets.sh [DIR]      (default: ./secrets)
# Then put the TLS certificate in DIR/tls/ (fullchain.pem, privkey.pem,
# chain.pem) and the PagerDuty / OpsGenie keys in their files.
set -eu

dir="${1:-${COFFER_SECRETS_DIR:-./secrets}}"
umask 077
mkdir -p "$dir/tls"
chmod 0700 "$dir"

rand() { openssl rand -hex "$1"; }

# write NAME VALUE: create DIR/NAME unless it exists. The files are
# world-readable inside a 0700 directory: compose bind-mounts them into
# containers running as other users (postgres, redis, 65532).
write() {
  if [ -e "$dir/$1" ]; then
    echo "keep   $dir/$1"
  else
    printf '%s' "$2" > "$dir/$1"
    chmod 0444 "$dir/$1"
    echo "create $dir/$1"
  fi
}

pg_password=$(rand 24)
if [ -e "$dir/postgres_password" ]; then pg_password=$(cat "$dir/postgres_password"); fi
redis_password=$(rand 24)
if [ -e "$dir/redis_acl" ]; then
  redis_password=$(sed -n 's/^user coffer on >\([^ ]*\) .*/\1/p' "$dir/redis_acl")
fi

write jwt_secret "$(openssl rand -base64 96 | tr -d '\n')"
write encryption_key "$(rand 32)"
write postgres_password "$pg_password"
write replication_password "$(rand 24)"
write database_url "postgres://coffer:${pg_password}@postgres-primary:5432/coffer?sslmode=disable"
write database_replica_urls "postgres://coffer:${pg_password}@postgres-replica:5432/coffer?sslmode=disable"
write redis_url "redis://coffer:${redis_password}@redis:6379/0"
# default: unauthenticated clients may only PING (the healthcheck).
write redis_acl "user default on nopass -@all +ping
user coffer on >${redis_password} ~* &* +@all -@admin -@dangerous +info
"
write grafana_admin_password "$(rand 16)"
write pagerduty_routing_key "REPLACE_WITH_PAGERDUTY_ROUTING_KEY"
write opsgenie_api_key "REPLACE_WITH_OPSGENIE_API_KEY"

echo "done: keep $dir out of version control and back up jwt_secret and encryption_key"
echo "      (without encryption_key the stored secrets cannot be decrypted)."
