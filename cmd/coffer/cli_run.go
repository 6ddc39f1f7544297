package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/client"
)

// runOptions are the flags of `coffer run`.
type runOptions struct {
	watch    bool
	debounce time.Duration
	grace    time.Duration
}

func newRunCmd() *cobra.Command {
	var opts runOptions
	cmd := &cobra.Command{
		Use:   "run --project P --env E [--watch] -- COMMAND [ARG...]",
		Short: "Run a command with the secrets of an environment in its environment",
		Long: `Run COMMAND with the secrets of one environment added to the variables it
inherits; a secret overrides an inherited variable of the same name. Signals
(SIGINT, SIGTERM, SIGHUP) are passed on to the command, and coffer exits with
its exit code.

With --watch, coffer follows the environment's live events and, when secrets
change, waits for --debounce of quiet, refetches them and restarts the
command: SIGTERM, then SIGKILL after --grace.

When the server cannot be reached, the last copy fetched with the same token
is used from an encrypted cache, with a warning on stderr.`,
		Example: "  coffer run -p shop -e dev -- npm start\n" +
			"  coffer run -p shop -e prod --watch --grace 30s -- ./server",
		Args: cobra.MinimumNArgs(1),
	}
	t := targetFlags(cmd, false)
	// Everything after the command name belongs to the command.
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().BoolVarP(&opts.watch, "watch", "w", false, "restart the command when the secrets change")
	cmd.Flags().DurationVar(&opts.debounce, "debounce", 500*time.Millisecond, "with --watch, quiet time after a change before restarting")
	cmd.Flags().DurationVar(&opts.grace, "grace", 10*time.Second, "with --watch, time between SIGTERM and SIGKILL when restarting the command")
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		if err := t.check(); err != nil {
			return err
		}
		return runCommand(cmd, t, args, opts)
	})
	return cmd
}

func runCommand(cmd *cobra.Command, t *target, args []string, opts runOptions) error {
	s, c, err := connect()
	if err != nil {
		return err
	}
	cache, err := newBundleCache()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	bundle, err := loadBundle(ctx, s, c, cache, t, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	var changes chan *cachedBundle
	if opts.watch {
		wctx, stop := context.WithCancel(ctx)
		defer stop()
		changes = make(chan *cachedBundle, 1)
		w := &watcher{s: s, c: c, cache: cache, t: t, debounce: opts.debounce, log: cmd.ErrOrStderr(), out: changes}
		w.rev.Store(bundle.Revision)
		go w.run(wctx, bundle)
	}
	sup := &supervisor{cmd: cmd, args: args, grace: opts.grace}
	return sup.run(ctx, bundle, changes)
}

// loadBundle fetches the secrets of t and keeps a sealed copy; when the
// server cannot be reached it falls back on that copy, loudly.
func loadBundle(ctx context.Context, s *session, c *client.Client, cache *bundleCache, t *target, errOut io.Writer) (*cachedBundle, error) {
	res, err := c.Secrets(ctx, t.project, t.env, client.SecretsOptions{})
	if err == nil {
		b := newCachedBundle(s.addr, t, res)
		if err := cache.save(s.cacheSecret(), b); err != nil {
			fmt.Fprintf(errOut, "coffer: warning: could not keep an offline copy: %v\n", err)
		}
		return b, nil
	}
	if !isUnreachable(err) {
		return nil, err // the server answered: its answer stands, no fallback
	}
	b, cerr := cache.load(s.cacheSecret(), s.addr, t.project, t.env)
	if cerr != nil {
		return nil, &exitStatus{code: exitUnreachable, err: fmt.Errorf("cannot reach %s (%v), and %w", s.addr, describe(err), cerr)}
	}
	age := time.Since(b.FetchedAt).Round(time.Second)
	fmt.Fprintf(errOut, "coffer: WARNING: cannot reach %s: %v\n", s.addr, describe(err))
	fmt.Fprintf(errOut, "coffer: WARNING: using the OFFLINE copy of %s fetched %s ago (%s, revision %d); values may be out of date\n",
		t, age, b.FetchedAt.Local().Format(time.RFC3339), b.Revision)
	return b, nil
}

// newCachedBundle keeps what `run` needs of a bulk read.
func newCachedBundle(addr string, t *target, res *client.SecretsResult) *cachedBundle {
	b := &cachedBundle{
		Addr: addr, Project: t.project, Environment: t.env,
		Revision: res.Bundle.Revision, ETag: res.ETag, FetchedAt: time.Now().UTC(),
		Secrets: make(map[string]string, len(res.Bundle.Secrets)),
	}
	for _, s := range res.Bundle.Secrets {
		if !s.Deleted && s.Value != nil {
			b.Secrets[s.Key] = *s.Value
		}
	}
	return b
}

// childEnv is base with secrets added. A secret replaces an inherited
// variable of the same name: the environment asked for wins over whatever
// the shell happens to export.
func childEnv(base []string, secrets map[string]string) []string {
	env := make([]string, 0, len(base)+len(secrets))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := secrets[k]; !ok {
			env = append(env, kv)
		}
	}
	keys := make([]string, 0, len(secrets))
	for k := range secrets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+secrets[k])
	}
	return env
}

// sameSecrets reports whether a refetch changed nothing the child sees
// (a comment edit bumps the revision but needs no restart).
func sameSecrets(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
