// Package validate holds the tests that check Coffer's deployment artefacts
// (Dockerfiles, compose files, the Helm chart, the Grafana dashboard and the
// Prometheus rules' metric names) with the same parsers the real tools use.
// It lives in its own module (deploy/go.mod) so that the server's module does
// not pull in Helm, Kubernetes or BuildKit. Run through deploy/check.sh or
// `cd deploy && go test ./...`.
package validate
