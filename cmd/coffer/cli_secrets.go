package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

// target is the environment a secrets command works on.
type target struct{ project, env string }

func (t *target) check() error {
	if err := requireFlag("project", t.project); err != nil {
		return err
	}
	return requireFlag("env", t.env)
}

func (t *target) String() string { return t.project + "/" + t.env }

// connect checks that t names a project and an environment, then connects
// to the server with the stored or given credentials.
func (t *target) connect() (*client.Client, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	_, c, err := connect()
	return c, err
}

// targetFlags adds --project and --env to cmd and its subcommands.
func targetFlags(cmd *cobra.Command, persistent bool) *target {
	t := &target{}
	fs := cmd.Flags()
	if persistent {
		fs = cmd.PersistentFlags()
	}
	fs.StringVarP(&t.project, "project", "p", "", "project slug (required)")
	fs.StringVarP(&t.env, "env", "e", "", "environment slug (required)")
	return t
}

func newSecretsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "Read and change the secrets of an environment",
	}
	t := targetFlags(cmd, true)
	for _, sub := range []*cobra.Command{
		newSecretsListCmd(t), newSecretsGetCmd(t), newSecretsSetCmd(t), newSecretsDeleteCmd(t),
		newSecretsImportCmd(t), newSecretsExportCmd(t), newSecretsHistoryCmd(t), newSecretsRollbackCmd(t),
		newSecretsDeletedCmd(t), newSecretsRestoreCmd(t),
	} {
		cmd.AddCommand(cliCommand(sub))
	}
	return cliCommand(cmd)
}

// secretView is a secret as `secrets list --output json` shows it: the
// value only when asked for, so that listing does not spill values into
// terminals and CI logs by default.
type secretView struct {
	Key       string    `json:"key"`
	Value     *string   `json:"value,omitempty"`
	Version   int64     `json:"version"`
	Comment   string    `json:"comment"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy api.Actor `json:"updated_by"`
}

func newSecretsListCmd(t *target) *cobra.Command {
	var reveal bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the keys of an environment (values with --reveal)",
		Example: "  coffer secrets list -p shop -e dev\n  coffer secrets list -p shop -e dev --output json --reveal",
		Args:    cobra.NoArgs,
	}
	cmd.Flags().BoolVar(&reveal, "reveal", false, "include the values")
	output := outputFlag(cmd)
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		format, err := output()
		if err != nil {
			return err
		}
		bundle, err := fetchBundle(cmd, t)
		if err != nil {
			return err
		}
		views := make([]secretView, 0, len(bundle.Secrets))
		for _, s := range bundle.Secrets {
			v := secretView{Key: s.Key, Version: s.Version, Comment: s.Comment, UpdatedAt: s.UpdatedAt.UTC(), UpdatedBy: s.UpdatedBy}
			if reveal {
				v.Value = s.Value
			}
			views = append(views, v)
		}
		if format == outputJSON {
			return printJSON(cmd.OutOrStdout(), struct {
				Revision int64        `json:"revision"`
				Secrets  []secretView `json:"secrets"`
			}{bundle.Revision, views})
		}
		header := []string{"KEY", "VERSION", "UPDATED", "COMMENT"}
		if reveal {
			header = append(header, "VALUE")
		}
		rows := make([][]string, 0, len(views))
		for _, v := range views {
			row := []string{v.Key, fmt.Sprint(v.Version), v.UpdatedAt.Format(time.RFC3339), oneLine(v.Comment)}
			if reveal {
				row = append(row, oneLine(deref(v.Value)))
			}
			rows = append(rows, row)
		}
		return printTable(cmd.OutOrStdout(), header, rows)
	})
	return cmd
}

// fetchBundle reads the live secrets of t, sorted by key.
func fetchBundle(cmd *cobra.Command, t *target) (*api.SecretBundle, error) {
	c, err := t.connect()
	if err != nil {
		return nil, err
	}
	res, err := c.Secrets(cmd.Context(), t.project, t.env, client.SecretsOptions{})
	if err != nil {
		return nil, err
	}
	b := res.Bundle
	live := b.Secrets[:0]
	for _, s := range b.Secrets {
		if !s.Deleted {
			live = append(live, s)
		}
	}
	b.Secrets = live
	sort.Slice(b.Secrets, func(i, j int) bool { return b.Secrets[i].Key < b.Secrets[j].Key })
	return &b, nil
}

func newSecretsGetCmd(t *target) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "get KEY",
		Short: "Print the value of one secret",
		Long: `Print the value of one secret followed by a newline, so that
VALUE=$(coffer secrets get KEY …) works; --output json prints the secret with
its version and metadata.`,
		Example: "  coffer secrets get DB_URL -p shop -e dev",
		Args:    cobra.ExactArgs(1),
	}
	output := outputFlag(cmd)
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		format, err := output()
		if err != nil {
			return err
		}
		c, err := t.connect()
		if err != nil {
			return err
		}
		s, err := c.Secret(cmd.Context(), t.project, t.env, args[0])
		if err != nil {
			return err
		}
		if format == outputJSON {
			return printJSON(cmd.OutOrStdout(), s)
		}
		_, err = fmt.Fprintln(cmd.OutOrStdout(), deref(s.Value))
		return err
	})
	return cmd
}

func newSecretsSetCmd(t *target) *cobra.Command {
	var comment string
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "set KEY=VALUE... | set KEY --value-stdin",
		Short: "Create or update secrets, all in one change",
		Long: `Create or update one or more secrets in a single change (one new revision).
With --value-stdin the value of the one KEY is read from standard input, one
trailing newline removed — values never need to appear in shell history.`,
		Example: "  coffer secrets set -p shop -e dev API_KEY=abc123 DEBUG=false\n" +
			"  openssl rand -hex 32 | coffer secrets set -p shop -e dev SESSION_KEY --value-stdin",
		Args: cobra.MinimumNArgs(1),
	}
	cmd.Flags().StringVar(&comment, "comment", "", "note stored with the new versions")
	cmd.Flags().BoolVar(&fromStdin, "value-stdin", false, "read the value of the one KEY from standard input")
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		if err := t.check(); err != nil {
			return err
		}
		inputs, err := setInputs(cmd.InOrStdin(), args, fromStdin, comment)
		if err != nil {
			return err
		}
		_, c, err := connect()
		if err != nil {
			return err
		}
		res, err := c.PutSecrets(cmd.Context(), t.project, t.env, inputs, client.ImportOptions{})
		if err != nil {
			return err
		}
		printImportSummary(cmd.OutOrStdout(), t, res)
		return nil
	})
	return cmd
}

// setInputs turns the arguments of `secrets set` into secrets.
func setInputs(stdin io.Reader, args []string, fromStdin bool, comment string) ([]api.SecretInput, error) {
	if fromStdin {
		if len(args) != 1 || strings.Contains(args[0], "=") {
			return nil, usagef("--value-stdin takes exactly one KEY, without =")
		}
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read value: %w", err)
		}
		v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		return []api.SecretInput{{Key: args[0], Value: v, Comment: comment}}, nil
	}
	inputs := make([]api.SecretInput, 0, len(args))
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, usagef("%q: want KEY=VALUE (or KEY --value-stdin)", a)
		}
		inputs = append(inputs, api.SecretInput{Key: k, Value: v, Comment: comment})
	}
	return inputs, nil
}

func newSecretsDeleteCmd(t *target) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "delete KEY...",
		Short:   "Delete secrets (their history is kept until retention purges it)",
		Example: "  coffer secrets delete -p shop -e dev OLD_TOKEN",
		Args:    cobra.MinimumNArgs(1),
	}
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		c, err := t.connect()
		if err != nil {
			return err
		}
		for _, k := range args {
			if err := c.DeleteSecret(cmd.Context(), t.project, t.env, k); err != nil {
				return fmt.Errorf("delete %s: %w", k, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Deleted %s from %s.\n", k, t)
		}
		return nil
	})
	return cmd
}

// printImportSummary says what a bulk write changed.
func printImportSummary(w io.Writer, t *target, res *api.ImportResult) {
	verb := "Changed"
	if res.DryRun {
		verb = "Would change (dry run)"
	}
	fmt.Fprintf(w, "%s %s: %d created, %d updated, %d deleted, %d unchanged (revision %d).\n",
		verb, t, len(res.Created), len(res.Updated), len(res.Deleted), len(res.Unchanged), res.Revision)
	for _, g := range []struct {
		sign string
		keys []string
	}{{"+", res.Created}, {"~", res.Updated}, {"-", res.Deleted}} {
		for _, k := range g.keys {
			fmt.Fprintf(w, "  %s %s\n", g.sign, k)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// oneLine keeps a table row on one line whatever a value or comment holds.
func oneLine(s string) string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
}
