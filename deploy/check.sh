#!/usr/bin/env bash
# Validates every deployment artefact of Coffer with the tool that owns its
# format, installing missing tools first (idempotent: apt-get only when a
# command is missing, `go install` of pinned versions only when absent).
#
#   bash deploy/check.sh          # from anywhere in the repository
#
# Prints one line per artefact; stops at the first failure with the tool's
# output. Needs root (or sudo) only when a Debian package must be installed.
#
# Environment:
#   COFFER_TOOLS_DIR  where Go-built tools go (default ~/.cache/coffer-deploy-tools)
#   CHECK_VERBOSE=1   print every tool's output, not only on failure
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

ACTIONLINT_VERSION=v1.7.12
# The libraries Insomnia and Postman import collections with (npm).
INSOMNIA_IMPORTERS_VERSION=3.6.0
POSTMAN_COLLECTION_VERSION=5.3.1
TOOLS_DIR=${COFFER_TOOLS_DIR:-${HOME:-/root}/.cache/coffer-deploy-tools}
export PATH="$TOOLS_DIR/bin:$PATH:/usr/sbin:/sbin"
export GOWORK=off GOTOOLCHAIN=${GOTOOLCHAIN:-local}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
START=$(date +%s)

say()  { printf '%s\n' "$*"; }
fail() { say "FAIL  $1"; shift; [ $# -gt 0 ] && printf '%s\n' "$@"; exit 1; }

# check NAME DESCRIPTION -- COMMAND...: runs COMMAND, prints one line.
check() {
  local name=$1 desc=$2; shift 3
  local t0 out=$WORK/out.txt
  t0=$(date +%s)
  if "$@" >"$out" 2>&1; then
    printf 'ok    %-38s %-50s %3ss\n' "$name" "$desc" "$(( $(date +%s) - t0 ))"
    if [ "${CHECK_VERBOSE:-}" = 1 ]; then sed 's/^/      /' "$out"; fi
  else
    say "FAIL  $name ($desc)"
    sed 's/^/      /' "$out"
    exit 1
  fi
}

# ---------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------
SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

# command -> Debian package
declare -A APT_TOOLS=(
  [nginx]=nginx
  [caddy]=caddy
  [promtool]=prometheus
  [amtool]=prometheus-alertmanager
  [prometheus-blackbox-exporter]=prometheus-blackbox-exporter
  [shellcheck]=shellcheck
  [systemd-analyze]=systemd
  [openssl]=openssl
  [unshare]=util-linux
  [npm]=npm
)

missing=()
for cmd in "${!APT_TOOLS[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${APT_TOOLS[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  # Installing nginx/prometheus must not start daemons on this machine:
  # a policy-rc.d that denies service starts, removed again only if we made it.
  made_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 0755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  apt_install() {
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$WORK/apt.log" 2>&1
  }
  if ! apt_install; then
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
    apt_install || { [ -n "$made_policy" ] && $SUDO rm -f /usr/sbin/policy-rc.d; fail "apt-get install ${missing[*]}" "$(tail -20 "$WORK/apt.log")"; }
  fi
  # Debian's packages may have started a daemon anyway (systemd hosts);
  # nothing here needs them running.
  if [ -n "$made_policy" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
fi

if [ "$(actionlint -version 2>/dev/null | head -1)" != "$ACTIONLINT_VERSION" ] && \
   [ "$(actionlint -version 2>/dev/null | head -1)" != "${ACTIONLINT_VERSION#v}" ]; then
  say "installing actionlint $ACTIONLINT_VERSION"
  mkdir -p "$TOOLS_DIR/bin"
  GOBIN="$TOOLS_DIR/bin" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION" \
    || fail "go install actionlint@$ACTIONLINT_VERSION"
fi
say "tools ready ($(( $(date +%s) - START ))s)"

# ---------------------------------------------------------------------------
# Shell scripts
# ---------------------------------------------------------------------------
check "shell scripts" "shellcheck" -- \
  shellcheck deploy/check.sh deploy/postgres/primary-init.sh deploy/postgres/replica-entrypoint.sh deploy/compose/gen-secrets.sh

# ---------------------------------------------------------------------------
# nginx: the exact files, laid out as under /etc/nginx in a scratch prefix,
# with a throwaway self-signed certificate. The upstream host `coffer` (a
# compose service name) resolves through a private /etc/hosts in a mount
# namespace; without unshare, a test copy points the upstream at 127.0.0.1.
# ---------------------------------------------------------------------------
nginx_check() {
  local p=$WORK/nginx
  mkdir -p "$p/conf.d" "$p/tls"
  cp /etc/nginx/mime.types "$p/"
  cp deploy/nginx/nginx.conf "$p/nginx.conf"
  cp -r deploy/nginx/snippets "$p/snippets"
  cp deploy/nginx/coffer.conf "$p/conf.d/coffer.conf"
  cp deploy/nginx/web-static.conf "$p/conf.d/web-static.conf"
  # Check the opt-in Cloudflare snippet as well.
  echo 'include snippets/cloudflare-realip.conf;' > "$p/conf.d/zz-cloudflare.conf"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=coffer.example.com -keyout "$p/tls/privkey.pem" -out "$p/tls/fullchain.pem" 2>/dev/null
  cp "$p/tls/fullchain.pem" "$p/tls/chain.pem"
  printf '127.0.0.1 localhost\n127.0.0.1 coffer\n' > "$p/hosts"
  # pid via -g: a non-root run cannot write /run/nginx.pid.
  if unshare -m true 2>/dev/null; then
    # shellcheck disable=SC2016 # $1 is expanded by the inner shell
    unshare -m sh -c 'mount --bind "$1/hosts" /etc/hosts && exec nginx -t -q -p "$1/" -c "$1/nginx.conf" -e stderr -g "pid $1/nginx.pid;"' sh "$p"
  else
    sed -i 's/server coffer:8080/server 127.0.0.1:8080/' "$p/conf.d/coffer.conf"
    nginx -t -q -p "$p/" -c "$p/nginx.conf" -e stderr -g "pid $p/nginx.pid;"
  fi
}
check "deploy/nginx/*.conf" "nginx -t (self-signed cert, scratch prefix)" -- nginx_check

# ---------------------------------------------------------------------------
# Caddy
# ---------------------------------------------------------------------------
caddy_check() {
  XDG_CONFIG_HOME=$WORK XDG_DATA_HOME=$WORK caddy validate --adapter caddyfile --config deploy/caddy/Caddyfile
  caddy fmt deploy/caddy/Caddyfile | diff -u deploy/caddy/Caddyfile - \
    || { echo "Caddyfile is not formatted: caddy fmt --overwrite deploy/caddy/Caddyfile"; return 1; }
}
check "deploy/caddy/Caddyfile" "caddy validate + caddy fmt" -- caddy_check

# ---------------------------------------------------------------------------
# systemd: verify needs ExecStart to exist, so a scratch copy points at a
# stub binary. Any message (unknown key, bad section) is a failure. The
# security score guards the sandboxing.
# ---------------------------------------------------------------------------
systemd_check() {
  local d=$WORK/systemd out
  mkdir -p "$d"
  printf '#!/bin/sh\nexit 0\n' > "$d/coffer"
  chmod +x "$d/coffer"
  for u in coffer.service coffer-migrate.service; do
    sed "s#/usr/local/bin/coffer#$d/coffer#g" "deploy/systemd/$u" > "$d/$u"
  done
  out=$(cd "$d" && systemd-analyze verify --man=no ./coffer.service ./coffer-migrate.service 2>&1) || { echo "$out"; return 1; }
  if [ -n "$out" ]; then echo "$out"; return 1; fi
  # Exposure score 0 (locked down) .. 10 (unsafe); fail above 2.5.
  (cd "$d" && systemd-analyze security --offline=yes --threshold=25 --no-pager ./coffer.service)
}
check "deploy/systemd/*.service" "systemd-analyze verify + security <= 2.5" -- systemd_check

# ---------------------------------------------------------------------------
# Prometheus, Alertmanager, blackbox
# ---------------------------------------------------------------------------
check "deploy/prometheus/alerts.yml" "promtool check rules" -- promtool check rules deploy/prometheus/alerts.yml
check "deploy/prometheus/alerts_test.yml" "promtool test rules" -- promtool test rules deploy/prometheus/alerts_test.yml
check "deploy/prometheus/prometheus.yml" "promtool check config" -- promtool check config deploy/prometheus/prometheus.yml
check "deploy/prometheus/blackbox.yml" "blackbox_exporter --config.check" -- \
  prometheus-blackbox-exporter --config.file=deploy/prometheus/blackbox.yml --config.check
check "deploy/alertmanager/alertmanager.yml" "amtool check-config" -- amtool check-config deploy/alertmanager/alertmanager.yml
check "helm chart's files/alerts.yml" "identical to deploy/prometheus/alerts.yml" -- \
  cmp deploy/prometheus/alerts.yml deploy/helm/coffer/files/alerts.yml

# ---------------------------------------------------------------------------
# Go validators (deploy/ module): BuildKit's Dockerfile parser, compose-spec
# loader, Helm lint/render + strict Kubernetes decoding, Grafana/metric names.
# Built once, then run per artefact.
# ---------------------------------------------------------------------------
build_validators() { (cd deploy && go vet ./... && go test -c -o "$WORK/validate.test" ./validate); }
check "deploy/validate (go test -c)" "build the validators" -- build_validators
vt() { (cd deploy/validate && "$WORK/validate.test" -test.count=1 -test.run "$1"); }
check "Dockerfile, Dockerfile.web" "BuildKit parser + lint + invariants" -- vt '^(TestServerDockerfile|TestWebDockerfile)$'
check ".dockerignore" "required exclusions" -- vt '^TestDockerignore$'
check "docker-compose.yml" "compose-spec loader + invariants" -- vt '^TestComposeDev$'
check "docker-compose.prod.yml" "compose-spec loader + invariants" -- vt '^TestComposeProd$'
check "deploy/helm/coffer" "helm lint --strict (SDK), kube 1.28 + 1.31" -- vt '^TestHelmLintStrict$'
check "deploy/helm/coffer templates" "render + strict k8s decode + schema" -- vt '^TestHelm(Template|ValuesSchema|Environment)'
check "deploy/grafana/coffer-dashboard.json" "JSON + panel exprs use real metrics" -- vt '^(TestGrafanaDashboard|TestMetricNameExtraction)$'
check "alert metric names + runbooks" "metrics exist, runbook sections exist" -- vt '^TestAlert(RulesUseKnownMetrics|RunbooksExist)$'
check "deploy/loki/*.yml" "structure + wiring (no Loki binary here)" -- vt '^TestLokiPromtailConfig$'
check ".github/workflows/ci.yml" "runs every check of .ci/run" -- vt '^(TestCIWorkflowRunsLocalCI|TestMissingCommands)$'

# ---------------------------------------------------------------------------
# API collections (api/collections, generated from api/openapi.yaml): the
# importer library Insomnia runs on Import reads both files, and Postman's
# collection SDK loads the v2.1 one. Freshness (scripts/lint.sh) and
# coverage of every operation (go test ./api/collections) are checked too.
# ---------------------------------------------------------------------------
collections_check() {
  local d=$TOOLS_DIR/npm-collections
  local want="insomnia-importers@$INSOMNIA_IMPORTERS_VERSION postman-collection@$POSTMAN_COLLECTION_VERSION"
  if [ "$(cat "$d/.installed" 2>/dev/null)" != "$want" ]; then
    mkdir -p "$d"
    # shellcheck disable=SC2086 # $want is two package specs
    npm install --prefix "$d" --no-audit --no-fund --no-save --loglevel=error $want
    echo "$want" > "$d/.installed"
  fi
  NODE_PATH=$d/node_modules node api/collections/import-check.cjs api/collections
}
check "api/collections/*.json" "Insomnia importer + Postman collection SDK" -- collections_check

# ---------------------------------------------------------------------------
# GitHub workflows (actionlint runs shellcheck on every run: block)
# ---------------------------------------------------------------------------
check ".github/workflows/*.yml" "actionlint $ACTIONLINT_VERSION" -- actionlint -color=false

say "all deployment artefacts valid ($(( $(date +%s) - START ))s)"
