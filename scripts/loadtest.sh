#!/usr/bin/env bash
# Load test of the bulk read — the hot path every service hits at start:
# a service token reading a 20-secret environment, audit on. Starts its own
# server, seeds it, runs wrk from a separate process, and reports requests
# per second and the CPU time per request of the server, of PostgreSQL when
# it runs on this machine, and of wrk itself (from /proc): on one machine
# the three share the cores, and what each spends says what limits the rate.
#
#   scripts/loadtest.sh                       # SQLite in a temp dir
#   LOADTEST_DATABASE_URL=postgres://... scripts/loadtest.sh
#   LOADTEST_REDIS_URL=redis://127.0.0.1:6379/0 ...   # with the Redis bundle cache and bus
#   DURATION=30s CONNECTIONS=64 scripts/loadtest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
DURATION=${DURATION:-20s} CONNECTIONS=${CONNECTIONS:-64} THREADS=${THREADS:-2}
PORT=${PORT:-18555} base="http://127.0.0.1:$PORT"
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/coffer" ./cmd/coffer
DATA_DIR="$work/data" PORT=$PORT DATABASE_URL=${LOADTEST_DATABASE_URL:-} REDIS_URL=${LOADTEST_REDIS_URL:-} BCRYPT_COST=4 LOG_LEVEL=warn \
  RATE_LIMIT_MAX_REQUESTS=1000000 RATE_LIMIT_TOKEN_PER_MINUTE=10000000 "$work/coffer" server 2>"$work/server.log" &
pid=$!
for _ in $(seq 100); do curl -sf "$base/health" >/dev/null && break; sleep 0.1; done

jar="$work/cookies"
curl -sf -c "$jar" -H 'Content-Type: application/json' \
  -d '{"email":"load@example.test","name":"Load","password":"load-test-password-1"}' "$base/api/v1/auth/signup" >/dev/null
csrf=$(awk '$6 == "coffer_csrf" {print $7}' "$jar")
api() { curl -sf -b "$jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' "$@"; }
api -d '{"slug":"load","name":"Load"}' "$base/api/v1/projects" >/dev/null
secrets=$(for i in $(seq -w 1 20); do printf '{"key":"SECRET_%s","value":"value-%s-0123456789abcdef0123456789abcdef"},' "$i" "$i"; done)
api -X PUT -d "{\"secrets\":[${secrets%,}]}" "$base/api/v1/projects/load/environments/prod/secrets" >/dev/null
token=$(api -d '{"name":"load","environments":["prod"],"access":"read"}' "$base/api/v1/projects/load/tokens" |
  grep -o '"secret":"[^"]*"' | cut -d'"' -f4)

url="$base/api/v1/projects/load/environments/prod/secrets"
curl -sf -H "Authorization: Bearer $token" "$url" | grep -q SECRET_20
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
# Every local PostgreSQL process: the backends serving Coffer, and the WAL
# writer and checkpointer its commits keep busy.
pgcpu() { local t=0 p; for p in $(pgrep -x postgres || true); do t=$(( t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0) )); done; echo "$t"; }
before=$(cpu) pgbefore=$(pgcpu)
# The shell's `times` counts the CPU of the children it has waited for —
# wrk, once it exits — so it runs here, not in a subshell.
times >"$work/times.before"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $token" "$url" | tee "$work/wrk.txt"
times >"$work/times.after"
after=$(cpu) pgafter=$(pgcpu)
requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
per() { awk -v t="$1" -v n="$requests" -v what="$2" 'BEGIN { printf "%s CPU: %.1f s for %d requests = %.0f µs per request\n", what, t, n, t/n*1e6 }'; }
per "$(awk -v t="$(( after - before ))" -v hz="$ticks" 'BEGIN { print t/hz }')" server
if [ -n "${LOADTEST_DATABASE_URL:-}" ] && [ "$pgafter" -gt 0 ]; then
  per "$(awk -v t="$(( pgafter - pgbefore ))" -v hz="$ticks" 'BEGIN { print t/hz }')" "PostgreSQL (every local process)"
fi
children() { awk 'NR == 2 {gsub(/[ms]/, " "); print $1 * 60 + $2 + $3 * 60 + $4}' "$1"; }
per "$(awk -v a="$(children "$work/times.after")" -v b="$(children "$work/times.before")" 'BEGIN { print a - b }')" wrk
if [ -n "${LOADTEST_DATABASE_URL:-}" ]; then echo "store: PostgreSQL"; else echo "store: SQLite"; fi
if [ -n "${LOADTEST_REDIS_URL:-}" ]; then echo "redis: on"; else echo "redis: off"; fi
