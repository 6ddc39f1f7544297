package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
)

// maxPage is the largest page of any list the API serves (parameter Limit
// in api/openapi.yaml).
const maxPage = 200

// versionView is a version as `secrets history --output json` shows it:
// the value only with --reveal, as for `secrets list`.
type versionView struct {
	Version   int64     `json:"version"`
	Deleted   bool      `json:"deleted"`
	Value     *string   `json:"value,omitempty"`
	Comment   string    `json:"comment"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy api.Actor `json:"created_by"`
}

func newSecretsHistoryCmd(t *target) *cobra.Command {
	var reveal bool
	var limit int
	cmd := &cobra.Command{
		Use:   "history KEY",
		Short: "List the versions of a secret, newest first (values with --reveal)",
		Long: `List the versions of a secret, newest first. A version marked deleted records
a deletion and has no value. The history of a deleted secret is listed too, as
long as its values are kept (DELETED_SECRET_RETENTION): pick a version there and
bring it back with ` + "`coffer secrets rollback`.",
		Example: "  coffer secrets history API_KEY -p shop -e dev\n" +
			"  coffer secrets history API_KEY -p shop -e dev --limit 5 --output json --reveal",
		Args: cobra.ExactArgs(1),
	}
	cmd.Flags().BoolVar(&reveal, "reveal", false, "include the values")
	cmd.Flags().IntVar(&limit, "limit", 0, "list at most the N newest versions (0: all)")
	output := outputFlag(cmd)
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		format, err := output()
		if err != nil {
			return err
		}
		if limit < 0 {
			return usagef("--limit must be 0 (all) or more, not %d", limit)
		}
		c, err := t.connect()
		if err != nil {
			return err
		}
		versions, err := secretHistory(cmd.Context(), c, t, args[0], limit)
		if err != nil {
			return err
		}
		views := make([]versionView, 0, len(versions))
		for _, v := range versions {
			view := versionView{Version: v.Version, Deleted: v.Deleted, Comment: v.Comment, CreatedAt: v.CreatedAt.UTC(), CreatedBy: v.CreatedBy}
			if reveal {
				view.Value = v.Value
			}
			views = append(views, view)
		}
		if format == outputJSON {
			return printJSON(cmd.OutOrStdout(), struct {
				Key      string        `json:"key"`
				Versions []versionView `json:"versions"`
			}{args[0], views})
		}
		return printTable(cmd.OutOrStdout(), historyHeader(reveal), historyRows(views, reveal))
	})
	return cmd
}

// secretHistory reads the versions of key newest first, following the
// cursor to the end, or until it has limit versions when limit > 0.
func secretHistory(ctx context.Context, c *client.Client, t *target, key string, limit int) ([]api.SecretVersion, error) {
	versions := []api.SecretVersion{}
	for cursor := ""; ; {
		size := 0 // the server's default page size
		if limit > 0 {
			size = min(limit-len(versions), maxPage)
		}
		page, err := c.SecretVersions(ctx, t.project, t.env, key, cursor, size)
		if err != nil {
			return nil, err
		}
		versions = append(versions, page.Versions...)
		if limit > 0 && len(versions) >= limit {
			return versions[:limit], nil
		}
		// An empty page with a cursor would loop for ever; stop there.
		if cursor = page.NextCursor; cursor == "" || len(page.Versions) == 0 {
			return versions, nil
		}
	}
}

func historyHeader(reveal bool) []string {
	header := []string{"VERSION", "UPDATED", "BY", "DELETED", "COMMENT"}
	if reveal {
		header = append(header, "VALUE")
	}
	return header
}

func historyRows(views []versionView, reveal bool) [][]string {
	rows := make([][]string, 0, len(views))
	for _, v := range views {
		deleted := ""
		if v.Deleted {
			deleted = "yes"
		}
		row := []string{fmt.Sprint(v.Version), v.CreatedAt.Format(time.RFC3339), actorName(v.CreatedBy), deleted, oneLine(v.Comment)}
		if reveal {
			row = append(row, oneLine(deref(v.Value)))
		}
		rows = append(rows, row)
	}
	return rows
}

// actorName is who made a version, as a table shows it: the kind of actor
// and, for a user or token, its id.
func actorName(a api.Actor) string {
	if a.ID == "" {
		return string(a.Type)
	}
	return string(a.Type) + ":" + a.ID
}

func newSecretsRollbackCmd(t *target) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollback KEY VERSION",
		Short: "Make an old version of a secret current again (restores a deleted secret too)",
		Long: `Write a new version of KEY with the value and comment of VERSION, as listed by
` + "`coffer secrets history`" + `. Rolling back a deleted secret restores it, as long
as its values are kept (DELETED_SECRET_RETENTION, docs/data-retention.md). A
version that records a deletion has no value to roll back to.`,
		Example: "  coffer secrets history API_KEY -p shop -e dev\n  coffer secrets rollback API_KEY 2 -p shop -e dev",
		Args:    cobra.ExactArgs(2),
	}
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		key := args[0]
		version, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil || version < 1 {
			return usagef("VERSION must be a positive integer, not %q", args[1])
		}
		c, err := t.connect()
		if err != nil {
			return err
		}
		s, err := c.RollbackSecret(cmd.Context(), t.project, t.env, key, version)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "Rolled %s in %s back to version %d: now version %d.\n", key, t, version, s.Version)
		return err
	})
	return cmd
}

// deletedView is a deleted secret as `secrets deleted --output json` shows
// it.
type deletedView struct {
	Key            string    `json:"key"`
	DeletedAt      time.Time `json:"deleted_at"`
	DeletedBy      api.Actor `json:"deleted_by"`
	Version        int64     `json:"version"`
	RestoreVersion int64     `json:"restore_version"`
}

func newSecretsDeletedCmd(t *target) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deleted",
		Short: "List the deleted secrets that can still be restored",
		Long: `List the keys of an environment that were deleted and whose values are still
kept (DELETED_SECRET_RETENTION, docs/data-retention.md), with who deleted them
and the version that restores each: ` + "`coffer secrets restore KEY`" + ` brings one back.
No value is shown.`,
		Example: "  coffer secrets deleted -p shop -e dev\n  coffer secrets restore API_KEY -p shop -e dev",
		Args:    cobra.NoArgs,
	}
	output := outputFlag(cmd)
	cmd.RunE = runE(func(cmd *cobra.Command, _ []string) error {
		format, err := output()
		if err != nil {
			return err
		}
		c, err := t.connect()
		if err != nil {
			return err
		}
		deleted, err := deletedSecrets(cmd.Context(), c, t)
		if err != nil {
			return err
		}
		views := make([]deletedView, len(deleted))
		rows := make([][]string, len(deleted))
		for i, d := range deleted {
			views[i] = deletedView{Key: d.Key, DeletedAt: d.DeletedAt.UTC(), DeletedBy: d.DeletedBy, Version: d.Version, RestoreVersion: d.RestoreVersion}
			rows[i] = []string{d.Key, views[i].DeletedAt.Format(time.RFC3339), actorName(d.DeletedBy), fmt.Sprint(d.RestoreVersion)}
		}
		if format == outputJSON {
			return printJSON(cmd.OutOrStdout(), struct {
				Secrets []deletedView `json:"secrets"`
			}{views})
		}
		return printTable(cmd.OutOrStdout(), []string{"KEY", "DELETED", "BY", "RESTORES TO VERSION"}, rows)
	})
	return cmd
}

// deletedSecrets reads every deleted secret of t that can be restored,
// following the cursor to the end.
func deletedSecrets(ctx context.Context, c *client.Client, t *target) ([]api.DeletedSecret, error) {
	deleted := []api.DeletedSecret{}
	for cursor := ""; ; {
		page, err := c.DeletedSecrets(ctx, t.project, t.env, cursor, maxPage)
		if err != nil {
			return nil, err
		}
		deleted = append(deleted, page.Secrets...)
		if cursor = page.NextCursor; cursor == "" || len(page.Secrets) == 0 {
			return deleted, nil
		}
	}
}

func newSecretsRestoreCmd(t *target) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "restore KEY",
		Short: "Bring back a deleted secret with its last value",
		Long: `Restore a deleted secret: roll it back to its newest version with a value, as
` + "`coffer secrets deleted`" + ` lists it. To restore an older value, pick its version with
` + "`coffer secrets history`" + ` and use ` + "`coffer secrets rollback`.",
		Example: "  coffer secrets restore API_KEY -p shop -e dev",
		Args:    cobra.ExactArgs(1),
	}
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		key := args[0]
		c, err := t.connect()
		if err != nil {
			return err
		}
		deleted, err := deletedSecrets(cmd.Context(), c, t)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(deleted, func(d api.DeletedSecret) bool { return d.Key == key })
		if i < 0 {
			return &exitStatus{code: exitNotFound, err: fmt.Errorf("%s in %s is not a deleted secret that can be restored (see `coffer secrets deleted`)", key, t)}
		}
		s, err := c.RollbackSecret(cmd.Context(), t.project, t.env, key, deleted[i].RestoreVersion)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "Restored %s in %s from version %d: now version %d.\n", key, t, deleted[i].RestoreVersion, s.Version)
		return err
	})
	return cmd
}
