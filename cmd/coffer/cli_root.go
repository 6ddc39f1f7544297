package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/client"
)

// Exit codes of the command-line client, documented in docs/cli.md.
// Scripts branch on them, so they never change meaning.
const (
	exitOK           = 0
	exitError        = 1
	exitUsage        = 2
	exitUnauthorized = 3 // not signed in, credentials refused, or forbidden
	exitNotFound     = 4
	exitUnreachable  = 5 // server unreachable and no offline copy to fall back on
)

// addCLICommands registers the command-line client on root. It is the one
// hook main.go calls, so that the client's commands live in cli_*.go only.
func addCLICommands(root *cobra.Command) {
	root.AddCommand(
		newLoginCmd(),
		newLogoutCmd(),
		newWhoamiCmd(),
		newProjectsCmd(),
		newEnvsCmd(),
		newSecretsCmd(),
		newRunCmd(),
	)
	for _, c := range root.Commands() {
		if isCLICommand(c) {
			c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
		}
	}
}

// cliAnnotation marks the client's commands, so that only they get the
// client's flag-error handling.
const cliAnnotation = "coffer-cli"

func isCLICommand(c *cobra.Command) bool { _, ok := c.Annotations[cliAnnotation]; return ok }

// cliCommand fills in what every client command shares.
func cliCommand(c *cobra.Command) *cobra.Command {
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[cliAnnotation] = "true"
	if c.Args != nil {
		c.Args = usageArgs(c.Args)
	}
	return c
}

// usageArgs makes argument-count errors usage errors (exit code 2).
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// usageError is a mistake in how a command was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// exitStatus is an error that carries its own exit code: a child's exit
// code (silent, the child spoke for itself) or a classified failure.
type exitStatus struct {
	code int
	err  error // nil for a child's exit code
}

func (e *exitStatus) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitStatus) Unwrap() error { return e.err }

// errNotSignedIn is returned when there are no credentials to use.
var errNotSignedIn = errors.New("not signed in: run `coffer login` or set COFFER_TOKEN")

// exitCode maps the error of a command to the process exit code.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var es *exitStatus
	if errors.As(err, &es) {
		return es.code
	}
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		return exitUsage
	}
	if errors.Is(err, errNotSignedIn) {
		return exitUnauthorized
	}
	var ce *client.Error
	if errors.As(err, &ce) {
		switch ce.Status {
		case http.StatusUnauthorized, http.StatusForbidden:
			return exitUnauthorized
		case http.StatusNotFound:
			return exitNotFound
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return exitUnreachable // a proxy saying no instance is up
		}
		return exitError
	}
	if isUnreachable(err) {
		return exitUnreachable
	}
	return exitError
}

// isCobraUsage recognises the usage errors cobra makes itself (unknown
// command or flag outside the client's commands), which carry no type.
func isCobraUsage(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "unknown command") || strings.HasPrefix(s, "unknown flag") ||
		strings.HasPrefix(s, "unknown shorthand flag")
}

// isUnreachable reports whether err means the server could not be asked
// at all (connection refused, DNS, TLS, timeout), or a proxy in front of
// it says no instance is up. Only then may `run` fall back to its offline
// copy: an answer from the server itself (401, 403, 404…) is authoritative.
func isUnreachable(err error) bool {
	var ce *client.Error
	if errors.As(err, &ce) {
		switch ce.Status {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	var ue *url.Error
	return errors.As(err, &ue)
}

// describe turns an error into the line the user reads: the server's
// detail and request id rather than the client's wrapping.
func describe(err error) error {
	var ce *client.Error
	if !errors.As(err, &ce) {
		return err
	}
	msg := ce.Detail
	for _, f := range ce.Fields {
		msg += fmt.Sprintf("\n  %s: %s", f.Field, f.Message)
	}
	if ce.RequestID != "" {
		msg += fmt.Sprintf(" (request id %s)", ce.RequestID)
	}
	return &exitStatus{code: exitCode(err), err: errors.New(msg)}
}

// runE adapts a client command's function: errors come out described and
// classified, so that main can exit with the documented code.
func runE(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := fn(cmd, args)
		if err == nil {
			return nil
		}
		var es *exitStatus
		if errors.As(err, &es) && es.err == nil {
			cmd.SilenceErrors = true // a child's exit code: it has spoken for itself
			return err
		}
		if errors.Is(err, errNotSignedIn) {
			return &exitStatus{code: exitUnauthorized, err: err}
		}
		var ue usageError
		if errors.As(err, &ue) {
			return err
		}
		if isUnreachable(err) {
			var ce *client.Error
			if !errors.As(err, &ce) {
				return &exitStatus{code: exitUnreachable, err: fmt.Errorf("cannot reach the server: %w", err)}
			}
		}
		err = describe(err)
		if exitCode(err) == exitUnauthorized && cmd.Name() != "login" && os.Getenv(envToken) == "" {
			err = &exitStatus{code: exitUnauthorized, err: fmt.Errorf("%w\nSign in again with `coffer login`.", err)}
		}
		return err
	}
}
