package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// CleanupName is the cleanup job's name, lease and metrics label.
const CleanupName = "cleanup"

// CredentialRetention is how long an ended session or token is kept before
// cleanup deletes it: long enough for "signed out from …" and "revoked at
// …" to be seen on the sessions and tokens pages, short enough that dead
// credentials do not pile up. The audit log keeps the history for good.
const CredentialRetention = 7 * 24 * time.Hour

// Retention says how long cleanup keeps what has ended.
type Retention struct {
	Credentials time.Duration // sessions and tokens, once expired or revoked
	// DeletedSecrets is how long the values of a deleted secret stay
	// restorable (by rolling back to one) before they are destroyed.
	DeletedSecrets time.Duration
}

// Sweeper deletes what has ended; *store.Store implements it.
type Sweeper interface {
	// DeleteExpiredSessions deletes sessions that expired or were revoked
	// before before, with their refresh tokens (a cascade).
	DeleteExpiredSessions(ctx context.Context, before time.Time) (int, error)
	// DeleteExpiredTokens deletes personal and service tokens that expired
	// or were revoked before before.
	DeleteExpiredTokens(ctx context.Context, before time.Time) (int, error)
	// PurgeDeletedValues deletes the versions of secrets deleted before
	// before, all but the one recording the deletion.
	PurgeDeletedValues(ctx context.Context, before time.Time) (int, error)
}

// Cleanup returns the job that deletes the sessions and tokens that ended,
// and the values of the secrets deleted, longer ago than keep says,
// logging how many it deleted.
func Cleanup(s Sweeper, every time.Duration, keep Retention, logger *slog.Logger, now func() time.Time) Job {
	return Job{Name: CleanupName, Every: every, Run: func(ctx context.Context) error {
		t := now()
		ended, deleted := t.Add(-keep.Credentials), t.Add(-keep.DeletedSecrets)
		sessions, err := s.DeleteExpiredSessions(ctx, ended)
		if err != nil {
			return fmt.Errorf("cleanup: %w", err)
		}
		tokens, err := s.DeleteExpiredTokens(ctx, ended)
		if err != nil {
			return fmt.Errorf("cleanup: %w", err)
		}
		versions, err := s.PurgeDeletedValues(ctx, deleted)
		if err != nil {
			return fmt.Errorf("cleanup: %w", err)
		}
		logger.Info("cleanup", "job", CleanupName, "sessions_deleted", sessions, "tokens_deleted", tokens,
			"ended_before", ended.UTC().Format(time.RFC3339),
			"secret_versions_purged", versions, "deleted_before", deleted.UTC().Format(time.RFC3339))
		return nil
	}}
}
