package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// CleanupName is the cleanup job's name, lease and metrics label.
const CleanupName = "cleanup"

// Retention is how long an ended session or token is kept before cleanup
// deletes it: long enough for "signed out from …" and "revoked at …" to be
// seen on the sessions and tokens pages, short enough that dead
// credentials do not pile up. The audit log keeps the history for good.
const Retention = 7 * 24 * time.Hour

// Sweeper deletes ended credentials; *store.Store implements it.
type Sweeper interface {
	// DeleteExpiredSessions deletes sessions that expired or were revoked
	// before before, with their refresh tokens (a cascade).
	DeleteExpiredSessions(ctx context.Context, before time.Time) (int, error)
	// DeleteExpiredTokens deletes personal and service tokens that expired
	// or were revoked before before.
	DeleteExpiredTokens(ctx context.Context, before time.Time) (int, error)
}

// Cleanup returns the job that deletes sessions and tokens that ended
// more than retention before now, logging how many it deleted.
func Cleanup(s Sweeper, every, retention time.Duration, logger *slog.Logger, now func() time.Time) Job {
	return Job{Name: CleanupName, Every: every, Run: func(ctx context.Context) error {
		before := now().Add(-retention)
		sessions, err := s.DeleteExpiredSessions(ctx, before)
		if err != nil {
			return fmt.Errorf("cleanup: %w", err)
		}
		tokens, err := s.DeleteExpiredTokens(ctx, before)
		if err != nil {
			return fmt.Errorf("cleanup: %w", err)
		}
		logger.Info("cleanup", "job", CleanupName, "sessions_deleted", sessions, "tokens_deleted", tokens,
			"ended_before", before.UTC().Format(time.RFC3339))
		return nil
	}}
}
