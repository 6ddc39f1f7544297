// Command coffer is Coffer in one binary: the server, its operations
// commands (migrations, configuration check, audit verification, key
// generation, backups) and the command-line client.
//
// Built with -tags coffer_cli it is the command-line client alone: the
// files of the server carry `//go:build !coffer_cli`, so none of the
// server's packages is linked and none of their initialisers runs when a
// developer's `coffer run` starts (docs/benchmarks.md, docs/adr/0001).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Set at build time with -ldflags "-X main.version=… -X main.commit=… -X main.date=…".
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCmd(os.Stdout, os.Stderr).ExecuteContext(ctx); err != nil {
		os.Exit(exitCode(err))
	}
}

// newRootCmd builds the command tree; out and errOut let tests capture
// what a command prints.
func newRootCmd(out, errOut io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "coffer",
		Short:         "Coffer keeps a team's secrets encrypted and serves them to people and services.",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	root.SetOut(out)
	root.SetErr(errOut)
	addServerCommands(root) // commands.go; none in a coffer_cli build
	root.AddCommand(
		newSmokeCmd(), // smoke.go
		&cobra.Command{
			Use:   "version",
			Short: "Print the version of this binary",
			Args:  cobra.NoArgs,
			Run: func(cmd *cobra.Command, _ []string) {
				fmt.Fprintf(cmd.OutOrStdout(), "coffer %s (commit %s, built %s)\n", version, commit, date)
			},
		},
	)
	addCLICommands(root)
	return root
}
