//go:build !coffer_cli

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/audit"
	"github.com/cofferhq/coffer/internal/barrier"
	"github.com/cofferhq/coffer/internal/config"
	"github.com/cofferhq/coffer/internal/store"
)

// rotateActor names the rotation in the audit events it writes.
const rotateActor = "coffer keys rotate"

// newKeysRotateCmd re-wraps every project's data key under ENCRYPTION_KEY.
func newKeysRotateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rotate",
		Short: "Re-wrap every project key under ENCRYPTION_KEY (the old key in ENCRYPTION_KEY_PREVIOUS)",
		Long: `Re-wrap every project's data-encryption key under the current ENCRYPTION_KEY,
reading keys wrapped by an old one from ENCRYPTION_KEY_PREVIOUS, then store a
new key check value made by ENCRYPTION_KEY. Servers keep serving meanwhile.
It is safe to run again: projects already wrapped by ENCRYPTION_KEY are only
checked. See docs/key-rotation.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, mustExist, func(ctx context.Context, m *Main) error {
				keyring, err := commandKeyring(m.Config)
				if err != nil {
					return err
				}
				r, err := rotateKeys(ctx, m.Store, keyring, m.Logger)
				r.print(cmd.OutOrStdout(), keyring.CurrentID())
				return err
			})
		},
	}
}

// newKeysStatusCmd shows how many projects each KEK wraps.
func newKeysStatusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show how many project keys each key-encryption key wraps",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd, mustExist, func(ctx context.Context, m *Main) error {
				keyring, err := commandKeyring(m.Config)
				if err != nil {
					return err
				}
				return keyStatus(ctx, cmd.OutOrStdout(), m.Store, m.Config, keyring)
			})
		},
	}
}

// commandKeyring builds the keyring of an operations command as the server
// builds its own. In development a key the server generated into DATA_DIR is
// used, but none is created: a fresh key could open nothing.
func commandKeyring(cfg *config.Config) (*barrier.Keyring, error) {
	if len(cfg.EncryptionKey) == 0 && !cfg.Production() {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, config.EncryptionKeyFile)); err == nil {
			if _, err := config.EnsureDevKeys(cfg); err != nil {
				return nil, err
			}
		}
	}
	if len(cfg.EncryptionKey) == 0 {
		return nil, errors.New("ENCRYPTION_KEY is not set")
	}
	k, err := barrier.NewKeyring(cfg.EncryptionKey, cfg.EncryptionKeyPrevious...)
	if err != nil {
		return nil, fmt.Errorf("ENCRYPTION_KEY: %w", err)
	}
	return k, nil
}

// rotation counts what a rotation did.
type rotation struct {
	Rewrapped int      // re-wrapped under the current key now
	Current   int      // already wrapped by the current key (checked)
	Gone      int      // deleted while the rotation ran
	Failed    []string // project ids whose key could not be re-wrapped
	// CheckStored is true once the new key check value is stored: from
	// then on the server starts without the previous keys.
	CheckStored bool
}

func (r rotation) print(w io.Writer, currentID string) {
	fmt.Fprintf(w, "Re-wrapped %d project key(s) under key %s; %d already used it", r.Rewrapped, currentID, r.Current)
	if r.Gone > 0 {
		fmt.Fprintf(w, "; %d project(s) were deleted meanwhile", r.Gone)
	}
	fmt.Fprintln(w, ".")
	if len(r.Failed) > 0 {
		fmt.Fprintf(w, "%d project key(s) could NOT be re-wrapped: %v\n", len(r.Failed), r.Failed)
	}
	if r.CheckStored {
		fmt.Fprintln(w, "Stored a new key check value: the previous keys may now be removed from ENCRYPTION_KEY_PREVIOUS.")
	} else {
		fmt.Fprintln(w, "The rotation is NOT complete: keep ENCRYPTION_KEY_PREVIOUS and run `coffer keys rotate` again.")
	}
}

// rotateKeys re-wraps every project's DEK under the keyring's current KEK,
// one project per transaction so that a long rotation never holds locks
// for long and an interrupted one resumes where it stopped. Once no project
// is left under another key it stores a check value made by the current
// key, which is what lets the server start without the previous keys.
func rotateKeys(ctx context.Context, st *store.Store, keyring *barrier.Keyring, logger *slog.Logger) (rotation, error) {
	var r rotation
	if err := checkKey(ctx, st, keyring); err != nil {
		return r, err
	}
	after := ""
	for {
		page, err := st.ListProjectKeys(ctx, after, 500)
		if err != nil {
			return r, err
		}
		for _, k := range page {
			if err := rewrapOne(ctx, st, keyring, k, &r); err != nil {
				// Logged by id only; the rest of the projects still rotate.
				logger.Error("re-wrap project key", "project_id", k.ProjectID, "kek_id", k.KEKID, "error", err)
				r.Failed = append(r.Failed, k.ProjectID)
			}
		}
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].ProjectID
	}
	if len(r.Failed) > 0 {
		return r, fmt.Errorf("%d project key(s) could not be re-wrapped", len(r.Failed))
	}
	// A server still running with the old ENCRYPTION_KEY as its current
	// key wraps new projects with it; count again rather than trust the walk.
	counts, err := st.CountProjectsByKEK(ctx)
	if err != nil {
		return r, err
	}
	if left := len(counts) - boolInt(counts[keyring.CurrentID()] > 0); left > 0 {
		return r, fmt.Errorf("projects are still wrapped by %d other key(s): is a server still running with the old ENCRYPTION_KEY? Restart it with the new one and run `coffer keys rotate` again", left)
	}
	check, err := keyring.CheckValue()
	if err != nil {
		return r, err
	}
	if err := st.SetMeta(ctx, keyCheckName, check); err != nil {
		return r, fmt.Errorf("store key check value: %w", err)
	}
	r.CheckStored = true
	logger.Info("key rotation complete", "kek_id", keyring.CurrentID(), "rewrapped", r.Rewrapped, "already_current", r.Current)
	return r, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// rewrapOne re-wraps one project's key in its own transaction, with an
// audit event in the same transaction (the audit log fails closed).
func rewrapOne(ctx context.Context, st *store.Store, keyring *barrier.Keyring, k store.ProjectKey, r *rotation) error {
	wrapped, kekID, changed, err := keyring.Rewrap(k.ProjectID, k.WrappedDEK, k.KEKID)
	if err != nil {
		return err
	}
	if !changed {
		r.Current++
		return nil
	}
	err = st.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.ReplaceProjectKey(ctx, k, wrapped, kekID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, &coffer.AuditEvent{
			ID: uuid.Must(uuid.NewV7()).String(), Time: time.Now(),
			ActorType: coffer.ActorSystem, ActorID: rotateActor,
			// The API's list of actions is closed; the target says what
			// changed: the project's key is now wrapped by kekID.
			Action: coffer.AuditProjectUpdate, Outcome: coffer.OutcomeSuccess,
			ProjectID: k.ProjectID, Target: "kek:" + kekID,
		})
	})
	switch coffer.ErrorCode(err) {
	case "":
		r.Rewrapped++
		return nil
	case coffer.ENOTFOUND:
		r.Gone++
		return nil
	case coffer.ECONFLICT:
		// Someone else re-wrapped it first (two rotations at once).
		r.Current++
		return nil
	}
	return err
}

// keyStatus prints how many projects each KEK wraps and which key made the
// stored check value.
func keyStatus(ctx context.Context, w io.Writer, st *store.Store, cfg *config.Config, keyring *barrier.Keyring) error {
	counts, err := st.CountProjectsByKEK(ctx)
	if err != nil {
		return err
	}
	role := map[string]string{keyring.CurrentID(): "current (ENCRYPTION_KEY)"}
	for _, p := range cfg.EncryptionKeyPrevious {
		if id := barrier.KeyID(p); role[id] == "" {
			role[id] = "previous (ENCRYPTION_KEY_PREVIOUS)"
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEK ID\tPROJECTS\tKEY")
	ids := slices.Sorted(maps.Keys(role))
	for id := range counts {
		if role[id] == "" {
			ids = append(ids, id)
		}
	}
	pending := 0
	for _, id := range ids {
		r := role[id]
		if r == "" {
			r = "UNKNOWN: not configured; these projects cannot be read"
		}
		if id != keyring.CurrentID() {
			pending += counts[id]
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\n", id, counts[id], r)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	made, err := checkValueMaker(ctx, st, cfg)
	if err != nil {
		return err
	}
	if made == "missing" {
		fmt.Fprintln(w, "Key check value: none stored yet (the server stores one at its first start).")
	} else {
		fmt.Fprintf(w, "Key check value: made by the %s key.\n", made)
	}
	if pending > 0 || made == "previous" || made == "unknown" {
		fmt.Fprintf(w, "Rotation pending: %d project key(s) to re-wrap; run `coffer keys rotate`.\n", pending)
	} else {
		fmt.Fprintln(w, "Every project key is wrapped by ENCRYPTION_KEY.")
	}
	return nil
}

// checkValueMaker says which key made the stored check value: "current",
// "previous", "missing" (never stored) or "unknown" (no configured key).
func checkValueMaker(ctx context.Context, st *store.Store, cfg *config.Config) (string, error) {
	stored, err := st.Meta(ctx, keyCheckName)
	if coffer.ErrorCode(err) == coffer.ENOTFOUND {
		return "missing", nil
	}
	if err != nil {
		return "", fmt.Errorf("read key check value: %w", err)
	}
	current, err := barrier.NewKeyring(cfg.EncryptionKey)
	if err != nil {
		return "", err
	}
	if current.VerifyCheckValue(stored) == nil {
		return "current", nil
	}
	all, err := barrier.NewKeyring(cfg.EncryptionKey, cfg.EncryptionKeyPrevious...)
	if err != nil {
		return "", err
	}
	if all.VerifyCheckValue(stored) == nil {
		return "previous", nil
	}
	return "unknown", nil
}

// warnPendingRotation logs at WARN, at start-up, when a rotation has begun
// but not finished: the check value or some project keys still belong to a
// previous key, so the server cannot yet run without ENCRYPTION_KEY_PREVIOUS.
// checkKey has already refused a key that matches nothing.
func (m *Main) warnPendingRotation(ctx context.Context) error {
	if len(m.Config.EncryptionKeyPrevious) == 0 {
		return nil // nothing to rotate from
	}
	made, err := checkValueMaker(ctx, m.Store, m.Config)
	if err != nil {
		return err
	}
	counts, err := m.Store.CountProjectsByKEK(ctx)
	if err != nil {
		return err
	}
	current := barrier.KeyID(m.Config.EncryptionKey)
	pending := 0
	for id, n := range counts {
		if id != current {
			pending += n
		}
	}
	if made == "previous" || pending > 0 {
		m.Logger.Warn("key rotation in progress: run `coffer keys rotate`, then remove the old key from ENCRYPTION_KEY_PREVIOUS",
			"kek_id", current, "projects_to_rewrap", pending, "check_value_by", made)
	}
	return nil
}
