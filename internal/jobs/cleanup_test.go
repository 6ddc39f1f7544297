package jobs

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/storetest"
)

func TestCleanup(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	old := now.Add(-CredentialRetention - time.Hour)    // ended before the window
	recent := now.Add(-CredentialRetention + time.Hour) // ended inside it
	ptr := func(t time.Time) *time.Time { return &t }
	tests := []struct {
		name    string
		expires time.Time
		revoked *time.Time
		deleted bool
	}{
		{"ExpiredLongAgoIsDeleted", old, nil, true},
		{"RevokedLongAgoIsDeleted", now.Add(time.Hour), ptr(old), true},
		{"ExpiredRecentlyIsKept", recent, nil, false},
		{"RevokedRecentlyIsKept", now.Add(time.Hour), ptr(recent), false},
		{"ActiveIsKept", now.Add(time.Hour), nil, false},
	}
	st := storetest.OpenSQLite(t)
	ctx := t.Context()
	u := &coffer.User{ID: uuid.NewString(), Email: "cleanup@example.test", Name: "c", PasswordHash: []byte("x"), CreatedAt: old, UpdatedAt: old}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(tests)) // one session, one token, one refresh token each
	for i, tt := range tests {
		ids[i] = uuid.NewString()
		s := &coffer.Session{ID: ids[i], UserID: u.ID, CreatedAt: old.Add(-time.Hour), LastSeenAt: old, ExpiresAt: tt.expires, RevokedAt: tt.revoked}
		tok := &coffer.Token{ID: ids[i], Kind: coffer.TokenPersonal, Name: tt.name, Hash: []byte(ids[i]), UserID: u.ID,
			CreatedAt: old.Add(-time.Hour), ExpiresAt: &tt.expires, RevokedAt: tt.revoked}
		rt := &coffer.RefreshToken{Hash: []byte("rt-" + ids[i]), SessionID: ids[i], CreatedAt: old}
		for _, err := range []error{st.CreateSession(ctx, s), st.CreateToken(ctx, tok), st.CreateRefreshToken(ctx, rt)} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	sweeper := &purgeRecorder{Store: st}
	keep := Retention{Credentials: CredentialRetention, DeletedSecrets: 30 * 24 * time.Hour}
	job := Cleanup(sweeper, time.Hour, keep, slog.New(slog.DiscardHandler), func() time.Time { return now })
	if job.Name != CleanupName {
		t.Fatalf("job name %q", job.Name)
	}
	if err := job.Run(ctx); err != nil {
		t.Fatal(err)
	}
	// What the purge deletes is the store's to prove (storetest,
	// Secrets/PurgeDeletedValues); the job gives it the cut-off.
	if want := now.Add(-keep.DeletedSecrets); !sweeper.before.Equal(want) {
		t.Errorf("deleted secrets purged before %v, want %v", sweeper.before, want)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errS := st.SessionByID(ctx, ids[i])
			_, errT := st.TokenByID(ctx, ids[i])
			_, errR := st.RefreshTokenByHash(ctx, []byte("rt-"+ids[i]))
			for what, err := range map[string]error{"session": errS, "token": errT, "refresh token": errR} {
				gone := coffer.ErrorCode(err) == coffer.ENOTFOUND
				if err != nil && !gone {
					t.Fatalf("%s: %v", what, err)
				}
				if gone != tt.deleted {
					t.Errorf("%s deleted = %v, want %v", what, gone, tt.deleted)
				}
			}
		})
	}
}

// purgeRecorder is the store, noting the cut-off of the purge of deleted
// secrets.
type purgeRecorder struct {
	*store.Store
	before time.Time
}

func (r *purgeRecorder) PurgeDeletedValues(ctx context.Context, before time.Time) (int, error) {
	r.before = before
	return r.Store.PurgeDeletedValues(ctx, before)
}
