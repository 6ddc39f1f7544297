//go:build coffer_cli

package main

import "github.com/spf13/cobra"

// addServerCommands adds nothing: this build is the command-line client
// alone. Every package that `coffer` links has its initialisers run at each
// start, before main; the server's (OpenTelemetry, gRPC, protobuf, pgx,
// SQLite, Prometheus, Sentry…) cost a `coffer run` more than the request
// it makes. Leaving them out is the only way not to pay for them.
func addServerCommands(*cobra.Command) {}
