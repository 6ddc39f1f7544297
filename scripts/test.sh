#!/usr/bin/env bash
# Runs every test this machine can run and says plainly what it could not:
# the web client's checks, unit tests and build (when Node.js is here), the
# Go tests (SQLite always; PostgreSQL and Redis when their URLs are set),
# then the browser tests (when Chromium is here).
# COVERAGE_MIN=80 makes the run fail under that Go statement coverage.
set -euo pipefail
cd "$(dirname "$0")/.."

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0

web_status="NOT tested (npm not found: install Node.js 20)"
have_npm=0
if command -v npm >/dev/null 2>&1; then
  have_npm=1
  echo "== Web client: generated types, lint, unit tests, build (embedded by the Go tests' binary)"
  (cd web && { [ -d node_modules ] || npm ci --no-audit --no-fund; } &&
    npm run check:gen && npm run lint && npm test && npm run build) || status=1
  web_status="unit-tested and built"
fi

race=()
if [ "${RACE:-1}" = 1 ] && go env CGO_ENABLED | grep -q 1 && command -v gcc >/dev/null; then
  race=(-race)
fi
echo "== Go tests"
set +e
# gotestsum prints go test's package lines, every failure, and a closing
# count of tests run, skipped and failed.
go tool gotestsum --format pkgname-and-test-fails --format-hide-empty-pkg --jsonfile "$out/test.json" -- \
  "${race[@]}" -count=1 -timeout 25m -coverpkg=./... -coverprofile="$out/cover.out" ./... 2>&1 | tee "$out/test.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
set -e

if [ "$have_npm" = 1 ]; then
  if [ -x "${CHROME_PATH:-/usr/bin/chromium}" ]; then
    echo "== Web client: end-to-end in Chromium against the Go server"
    (cd web && COFFER_E2E_SKIP_BUILD=1 npm run e2e) || status=1
    web_status="tested (unit, build, and end-to-end in Chromium)"
  else
    web_status="unit-tested and built; end-to-end NOT run (no Chromium at ${CHROME_PATH:-/usr/bin/chromium}: apt-get install chromium)"
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
echo "Skipped Go tests: $(grep '"Action":"skip"' "$out/test.json" | grep -c '"Test":' || true) (each is listed above with its reason)"
[ "$status" -eq 0 ] || { echo "Tests FAILED"; exit 1; }

total=$(go tool cover -func="$out/cover.out" | awk '/^total:/ {sub("%","",$3); print $3}')
echo "Go statement coverage: ${total}%"
if [ -n "${COVERAGE_MIN:-}" ] && awk -v t="$total" -v m="$COVERAGE_MIN" 'BEGIN { exit !(t < m) }'; then
  echo "Coverage ${total}% is under the required ${COVERAGE_MIN}%"
  exit 1
fi
