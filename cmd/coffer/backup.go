//go:build !coffer_cli

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/audit"
	"github.com/cofferhq/coffer/internal/backup"
	"github.com/cofferhq/coffer/internal/barrier"
	"github.com/cofferhq/coffer/internal/store"
)

// The variables that hold the backup key, for commands run by a scheduler.
const (
	envBackupKey     = "COFFER_BACKUP_KEY"
	envBackupKeyFile = "COFFER_BACKUP_KEY_FILE"
)

// keyNotice is printed by every command that handles an archive, because
// the backup key alone does not make an archive usable.
const keyNotice = `NOTE: secret values in a Coffer backup stay encrypted by the project keys,
which are wrapped by ENCRYPTION_KEY. A restored database is readable only by a
server started with the same ENCRYPTION_KEY (key id(s) listed above). Keep
ENCRYPTION_KEY safe and apart from the backups: without it, no backup can be read.`

func newBackupCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Create, verify and restore encrypted backups of the whole database",
		Long: `A backup is one encrypted file holding every table, read in one consistent
snapshot while the server keeps running. It restores into SQLite or
PostgreSQL, whichever it came from. The backup key is an age identity
(coffer backup keygen) or a passphrase of at least 16 characters, given by
--key-file, ` + envBackupKeyFile + ` or ` + envBackupKey + `. See docs/backup.md.`,
	}
	cmd.AddCommand(newBackupCreateCmd(), newBackupVerifyCmd(), newBackupRestoreCmd(), newBackupKeygenCmd())
	return cmd
}

func newBackupCreateCmd() *cobra.Command {
	var out, keyFile string
	var recipients []string
	cmd := &cobra.Command{
		Use:   "create --out FILE",
		Short: "Write an encrypted backup of the database to FILE (- for standard output)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rs, err := createRecipients(keyFile, recipients)
			if err != nil {
				return err
			}
			return withStore(cmd, mustExist, func(ctx context.Context, m *Main) error {
				report := cmd.OutOrStdout()
				if out == "-" {
					report = cmd.ErrOrStderr()
				}
				sum, err := writeBackup(ctx, m.Store, out, cmd.OutOrStdout(), rs)
				if err != nil {
					return err
				}
				printSummary(report, "Backup written to "+out, sum)
				fmt.Fprintln(report, keyNotice)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write (created with mode 0600; - writes to standard output)")
	cmd.Flags().StringVar(&keyFile, "key-file", "", "file holding the backup key (age identity or passphrase)")
	cmd.Flags().StringArrayVar(&recipients, "recipient", nil, "age public key to encrypt to instead of the backup key (repeatable); the machine taking backups then cannot read them")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func newBackupVerifyCmd() *cobra.Command {
	var keyFile string
	cmd := &cobra.Command{
		Use:   "verify FILE",
		Short: "Decrypt a backup and check its structure and checksum, touching no database",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := backupKey(keyFile)
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			sum, err := backup.Verify(f, key.Identities...)
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "The backup %s does NOT verify: %v\n", args[0], err)
				return err
			}
			printSummary(cmd.OutOrStdout(), "The backup "+args[0]+" verifies", sum)
			return nil
		},
	}
	cmd.Flags().StringVar(&keyFile, "key-file", "", "file holding the backup key (age identity or passphrase)")
	return cmd
}

func newBackupRestoreCmd() *cobra.Command {
	var keyFile string
	var force bool
	cmd := &cobra.Command{
		Use:   "restore FILE",
		Short: "Restore a backup into an empty database (DATABASE_URL or DATA_DIR)",
		Long: `Restore a backup into the configured database, which must be empty unless
--force is given. ENCRYPTION_KEY must be the key of the server that was backed
up: the restore checks it before it commits anything. Stop every server using
the database first.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := backupKey(keyFile)
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			// Restoring into a new data directory is the point: the
			// database may be created.
			return withStore(cmd, mayCreate, func(ctx context.Context, m *Main) error {
				keyring, err := commandKeyring(m.Config)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Restoring %s into %s with ENCRYPTION_KEY id %s.\n", args[0], storeName(m.Config), keyring.CurrentID())
				sum, err := restoreBackup(ctx, m.Store, f, key.Identities, keyring, force)
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "The restore FAILED; nothing of the archive was kept: %v\n", err)
					return err
				}
				printSummary(cmd.OutOrStdout(), "Restored", sum)
				fmt.Fprintln(cmd.OutOrStdout(), "Every project key opens with ENCRYPTION_KEY and the audit chain verifies.")
				fmt.Fprintln(cmd.OutOrStdout(), keyNotice)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&keyFile, "key-file", "", "file holding the backup key (age identity or passphrase)")
	cmd.Flags().BoolVar(&force, "force", false, "replace everything in a database that is not empty")
	return cmd
}

func newBackupKeygenCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "keygen",
		Short: "Print a new backup key (an age identity) and its public key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			file, pub, err := backup.GenerateKey()
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), file)
			fmt.Fprintf(cmd.ErrOrStderr(), "Public key (for create --recipient): %s\n", pub)
			return nil
		},
	}
}

// backupKey reads the backup key from --key-file, COFFER_BACKUP_KEY_FILE
// or COFFER_BACKUP_KEY, in that order.
func backupKey(keyFile string) (*backup.Key, error) {
	if keyFile == "" {
		keyFile = os.Getenv(envBackupKeyFile)
	}
	var text string
	switch {
	case keyFile != "":
		b, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("read backup key: %w", err)
		}
		text = string(b)
	default:
		text = os.Getenv(envBackupKey)
		if text == "" {
			return nil, errors.New("no backup key: pass --key-file, or set " + envBackupKeyFile + " or " + envBackupKey + " (coffer backup keygen makes one)")
		}
	}
	return backup.ParseKey(text)
}

// createRecipients returns the public keys given with --recipient, or else
// those of the backup key.
func createRecipients(keyFile string, recipients []string) ([]age.Recipient, error) {
	if len(recipients) > 0 {
		return backup.ParseRecipients(strings.Join(recipients, "\n"))
	}
	key, err := backupKey(keyFile)
	if err != nil {
		return nil, err
	}
	return key.Recipients, nil
}

// writeBackup writes an archive of st to path, or to stdout for "-". A
// file is written beside its final name and renamed only once complete,
// so a failed or interrupted backup never leaves a file that looks whole.
func writeBackup(ctx context.Context, st *store.Store, path string, stdout io.Writer, rs []age.Recipient) (*backup.Summary, error) {
	opts := backup.CreateOptions{Recipients: rs, CofferVersion: version}
	if path == "-" {
		return backup.Create(ctx, st, stdout, opts)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.partial")
	if err != nil {
		return nil, fmt.Errorf("create backup file: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename: nothing left to remove
	sum, err := backup.Create(ctx, st, tmp, opts)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("create backup file: %w", err)
	}
	return sum, nil
}

// restoreBackup restores an archive into st and proves the result usable
// with keyring before it commits: the key check value verifies and every
// project's data key unwraps. After the commit it verifies the audit
// chain.
func restoreBackup(ctx context.Context, st *store.Store, r io.Reader, ids []age.Identity, keyring *barrier.Keyring, force bool) (*backup.Summary, error) {
	sum, err := backup.Restore(ctx, st, r, ids, backup.RestoreOptions{
		Force:        force,
		BeforeCommit: func(ctx context.Context, tx *store.Tx) error { return checkRestoredKeys(ctx, tx, keyring) },
	})
	if err != nil {
		return nil, err
	}
	if _, err := audit.Verify(ctx, st); err != nil {
		return sum, fmt.Errorf("the data is restored, but its audit chain does not verify: %w", err)
	}
	return sum, nil
}

// checkRestoredKeys runs inside the restore's transaction: a wrong
// ENCRYPTION_KEY rolls the whole restore back instead of leaving a
// database no server can start on.
func checkRestoredKeys(ctx context.Context, tx *store.Tx, keyring *barrier.Keyring) error {
	stored, err := tx.Meta(ctx, keyCheckName)
	switch {
	case coffer.ErrorCode(err) == coffer.ENOTFOUND: // the source server never started
	case err != nil:
		return fmt.Errorf("read key check value: %w", err)
	default:
		if err := keyring.VerifyCheckValue(stored); err != nil {
			return err
		}
	}
	after := ""
	for {
		page, err := tx.ListProjectKeys(ctx, after, 500)
		if err != nil {
			return err
		}
		for _, k := range page {
			if _, err := keyring.UnwrapDEK(k.ProjectID, k.WrappedDEK, k.KEKID); err != nil {
				return fmt.Errorf("ENCRYPTION_KEY does not open the restored data: %w", err)
			}
		}
		if len(page) < 500 {
			return nil
		}
		after = page[len(page)-1].ProjectID
	}
}

func printSummary(w io.Writer, title string, s *backup.Summary) {
	h := s.Header
	fmt.Fprintf(w, "%s: %d rows in %d tables, taken %s from %s at schema version %d (coffer %s).\n",
		title, s.TotalRows(), len(h.Tables), h.CreatedAt.Format("2006-01-02 15:04:05Z07:00"), h.SourceDialect, h.SchemaVersion, h.CofferVersion)
	for _, t := range h.Tables {
		fmt.Fprintf(w, "  %-20s %d\n", t.Name, s.Rows[t.Name])
	}
	if s.SHA256 != "" {
		fmt.Fprintf(w, "SHA-256 of the content: %s\n", s.SHA256)
	}
	if len(s.KEKIDs) > 0 {
		ids := make([]string, 0, len(s.KEKIDs))
		for id := range s.KEKIDs {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		fmt.Fprintf(w, "Project keys are wrapped by ENCRYPTION_KEY id(s): %s\n", strings.Join(ids, ", "))
	}
}
