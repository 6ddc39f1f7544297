#!/usr/bin/env bash
# Runs every Go test. PostgreSQL and Redis tests run when their URLs are set
# and are reported as not run otherwise; SQLite tests always run.
# COVERAGE_MIN=80 makes the run fail under that statement coverage.
set -euo pipefail
cd "$(dirname "$0")/.."

race=()
if [ "${RACE:-1}" = 1 ] && go env CGO_ENABLED | grep -q 1 && command -v gcc >/dev/null; then
  race=(-race)
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

set +e
go test "${race[@]}" -count=1 -timeout 20m -coverpkg=./... -coverprofile="$out/cover.out" ./... 2>&1 | tee "$out/test.log"
status=${PIPESTATUS[0]}
set -e

web_status="NOT tested (npm not found: install Node.js 20)"
if command -v npm >/dev/null 2>&1; then
  echo
  echo "== Web client: generated types, lint, unit tests"
  (cd web && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run check:gen && npm run lint && npm test) || status=1
  if [ -x "${CHROME_PATH:-/usr/bin/chromium}" ]; then
    echo "== Web client: end-to-end in Chromium against the Go server"
    (cd web && npm run e2e) || status=1
    web_status="tested (unit and end-to-end in Chromium)"
  else
    web_status="unit-tested; end-to-end NOT run (no Chromium at ${CHROME_PATH:-/usr/bin/chromium}: apt-get install chromium)"
  fi
fi

echo
echo "== What ran"
echo "Web client: $web_status"
echo "SQLite: tested"
if [ -n "${COFFER_TEST_DATABASE_URL:-}" ]; then
  echo "PostgreSQL: tested"
else
  echo "PostgreSQL: NOT tested (set COFFER_TEST_DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)"
fi
if [ -n "${COFFER_TEST_REDIS_URL:-}" ]; then
  echo "Redis: tested"
else
  echo "Redis: NOT tested (set COFFER_TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/0)"
fi
skips=$(grep -c -- '--- SKIP' "$out/test.log" || true)
echo "Skipped tests: $skips (run with -v to see which and why)"
[ "$status" -eq 0 ] || { echo "Go tests FAILED"; exit "$status"; }

total=$(go tool cover -func="$out/cover.out" | awk '/^total:/ {sub("%","",$3); print $3}')
echo "Go statement coverage: ${total}%"
if [ -n "${COVERAGE_MIN:-}" ] && awk -v t="$total" -v m="$COVERAGE_MIN" 'BEGIN { exit !(t < m) }'; then
  echo "Coverage ${total}% is under the required ${COVERAGE_MIN}%"
  exit 1
fi
