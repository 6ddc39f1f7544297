# Coffer's everyday commands. `make run` starts a development server on
# SQLite; `make test` runs every test this machine can run and says what it
# could not.
GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)
DATE      ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)

.PHONY: run build build-cli test lint generate bench web web-if-npm

run: web-if-npm ## start Coffer on its embedded defaults (SQLite in ./data, no Redis)
	$(GO) run ./cmd/coffer server

web: ## build the web client into web/dist (embedded by the next Go build)
	cd web && npm ci --no-audit --no-fund && npm run build

web-if-npm: # build the browser UI once when Node.js is here; the API runs either way
	@if [ -f web/dist/index.html ]; then :; \
	elif command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory web; \
	else echo "npm not found: starting the API without the web client (install Node.js 20 and run make web)"; fi

build: web-if-npm ## build a static binary into bin/coffer
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/coffer ./cmd/coffer

build-cli: ## build the command-line client alone into bin/coffer-cli (no server linked, so it starts faster)
	CGO_ENABLED=0 $(GO) build -tags coffer_cli -trimpath -ldflags '$(LDFLAGS)' -o bin/coffer-cli ./cmd/coffer

test: ## run the tests (PostgreSQL/Redis ones when COFFER_TEST_DATABASE_URL / COFFER_TEST_REDIS_URL are set)
	bash scripts/test.sh

lint: ## vet, formatting, and the generated code check
	bash scripts/lint.sh

generate: ## regenerate the Go types and the Postman/Insomnia collections from api/openapi.yaml
	$(GO) generate ./api

bench: ## run the Go benchmarks (see docs/benchmarks.md)
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./internal/barrier ./internal/auth ./internal/httpx ./internal/server
