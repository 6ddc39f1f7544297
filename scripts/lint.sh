#!/usr/bin/env bash
# Static checks: formatting, go vet, and that generated code matches its source.
set -euo pipefail
cd "$(dirname "$0")/.."
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
# The Postman and Insomnia collections are generated from api/openapi.yaml.
go run ./api/collections -dir api/collections -check
echo "lint: ok"
