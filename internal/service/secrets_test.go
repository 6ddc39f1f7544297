package service

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/audit"
	"github.com/cofferhq/coffer/internal/auth"
	"github.com/cofferhq/coffer/internal/barrier"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/storetest"
)

// instance is one Service over a shared store, as one server process of
// several would run it, with its own clock and a count of the SELECT
// statements it sent.
type instance struct {
	*Service
	now     time.Time
	selects *atomic.Int64
}

func newInstances(t *testing.T, n int) []*instance {
	t.Helper()
	path := filepath.Join(t.TempDir(), "coffer.db")
	kek := make([]byte, 32)
	_, _ = rand.Read(kek)
	secret := make([]byte, 48)
	_, _ = rand.Read(secret)
	keyring, err := barrier.NewKeyring(kek)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auth.NewSigner(hex.EncodeToString(secret))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var list []*instance
	for i := range n {
		in := &instance{now: time.Now(), selects: new(atomic.Int64)}
		st := storetest.Open(t, store.Config{SQLitePath: path, Observe: func(op string, _ time.Duration) {
			if op == "select" {
				in.selects.Add(1)
			}
		}})
		if i == 0 {
			storetest.Migrate(t, st)
		}
		w := audit.NewWriter(st, log, nil)
		t.Cleanup(w.Close)
		in.Service = New(Config{
			Store: st, Keyring: keyring, Signer: signer, Hasher: auth.Hasher{Cost: 4}, CSRFKey: secret,
			AuditLog: w, Logger: log, SignupMode: SignupOpen, AccessTTL: time.Minute, SessionTTL: time.Hour,
			Now: func() time.Time { return in.now },
		})
		list = append(list, in)
	}
	return list
}

func (in *instance) read(t *testing.T, ctx context.Context, q BundleQuery) *Bundle {
	t.Helper()
	b, err := in.Secrets(ctx, "shop", "dev", q)
	if err != nil {
		t.Fatalf("bulk read: %v", err)
	}
	return b
}

func (in *instance) write(t *testing.T, ctx context.Context, value string) {
	t.Helper()
	if _, _, err := in.PutSecret(ctx, "shop", "dev", coffer.SecretInput{Key: "K", Value: value}); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func valueOf(t *testing.T, b *Bundle) string {
	t.Helper()
	if len(b.Secrets) != 1 {
		t.Fatalf("bundle at revision %d holds %d secrets, want 1", b.Revision, len(b.Secrets))
	}
	defer b.Close()
	return string(b.Values[0])
}

// Two instances over one database, with no event bus between them: what a
// bulk read on one sees of writes made through the other, and how a
// caller gets past the cache.
func TestBulkReadCacheAcrossInstances(t *testing.T) {
	ins := newInstances(t, 2)
	a, b := ins[0], ins[1]
	ctx := t.Context()
	login, err := a.Signup(ctx, "owner@example.com", "Owner", "Zebra-Quartz-Lantern-4217")
	if err != nil {
		t.Fatal(err)
	}
	ctx = coffer.NewContextWithActor(ctx, coffer.Actor{Type: coffer.ActorUser, ID: login.User.ID, UserID: login.User.ID})
	if _, err := a.CreateProject(ctx, ProjectInput{Slug: "shop", Name: "Shop"}); err != nil {
		t.Fatal(err)
	}
	a.write(t, ctx, "v1")
	if got := valueOf(t, b.read(t, ctx, BundleQuery{})); got != "v1" {
		t.Fatalf("first read on B: %q", got)
	}

	t.Run("CloseWipesTheValues", func(t *testing.T) {
		bundle := b.read(t, ctx, BundleQuery{})
		value := bundle.Values[0]
		if string(value) != "v1" {
			t.Fatalf("read: %q", value)
		}
		bundle.Close()
		bundle.Close() // a second Close is harmless
		if !bytes.Equal(value, make([]byte, len(value))) || bundle.Values != nil {
			t.Errorf("after Close the value's memory holds %q", value)
		}
	})

	t.Run("AWarmReadSendsNoSelect", func(t *testing.T) {
		before := b.selects.Load()
		if got := valueOf(t, b.read(t, ctx, BundleQuery{})); got != "v1" {
			t.Fatalf("read: %q", got)
		}
		// The lookups and the bundle come from the caches, and the read's
		// audit event is chained onto the head B's last read wrote, in one
		// INSERT that takes no lock first.
		if n := b.selects.Load() - before; n != 0 {
			t.Errorf("a warm bulk read sent %d SELECT statements, want none", n)
		}
	})

	t.Run("OwnWritesAreReadAtOnce", func(t *testing.T) {
		a.write(t, ctx, "v2")
		if got := valueOf(t, a.read(t, ctx, BundleQuery{})); got != "v2" {
			t.Fatalf("A reads %q after writing v2", got)
		}
	})

	t.Run("UnannouncedWriteIsNotSeenUntilFreshOrNewerRevision", func(t *testing.T) {
		stale := b.read(t, ctx, BundleQuery{})
		if got := valueOf(t, stale); got != "v1" {
			t.Fatalf("B read %q: the cache was not used (this test would prove nothing)", got)
		}
		fresh := b.read(t, ctx, BundleQuery{Fresh: true})
		if got := valueOf(t, fresh); got != "v2" || fresh.Revision != stale.Revision+1 {
			t.Fatalf("Fresh read on B: %q at %d, want v2 at %d", got, fresh.Revision, stale.Revision+1)
		}
		a.write(t, ctx, "v3")
		known := fresh.Revision + 1 // the caller heard of it, e.g. from a live event
		if nm := b.read(t, ctx, BundleQuery{Known: &known}); !nm.NotModified || nm.Revision != known {
			t.Fatalf("If-None-Match %d on B: %+v, want 304 (never an older bundle than the caller has)", known, nm)
		}
		since := fresh.Revision
		if ch := b.read(t, ctx, BundleQuery{Since: &since}); valueOf(t, ch) != "v3" || ch.Revision != known {
			t.Fatalf("since %d on B: %+v", since, ch)
		}
	})

	t.Run("AnEventFromAnotherInstanceMovesTheRevision", func(t *testing.T) {
		a.write(t, ctx, "v4")
		b.Invalidate(coffer.Event{Type: coffer.EventSecretUpdated, EnvironmentID: b.read(t, ctx, BundleQuery{}).Secrets[0].EnvironmentID})
		if got := valueOf(t, b.read(t, ctx, BundleQuery{})); got != "v4" {
			t.Fatalf("after the event B reads %q", got)
		}
	})

	t.Run("WithoutTheEventTheTTLBoundsStaleness", func(t *testing.T) {
		a.write(t, ctx, "v5")
		if got := valueOf(t, b.read(t, ctx, BundleQuery{})); got != "v4" {
			t.Fatalf("B read %q before the TTL passed", got)
		}
		b.now = b.now.Add(lookupTTL)
		if got := valueOf(t, b.read(t, ctx, BundleQuery{})); got != "v5" {
			t.Fatalf("B read %q one TTL after the write", got)
		}
	})

	t.Run("ValuesAreNeverCachedOpen", func(t *testing.T) {
		for _, sb := range b.bundles.m {
			for _, s := range sb.secrets {
				if s.Value != "" || len(s.Ciphertext) == 0 {
					t.Fatalf("cached row %s holds Value %q, ciphertext %d bytes", s.Key, s.Value, len(s.Ciphertext))
				}
			}
		}
	})

	t.Run("DerivedIsKeptPerCachedRevision", func(t *testing.T) {
		first, second := b.read(t, ctx, BundleQuery{}), b.read(t, ctx, BundleQuery{})
		defer first.Close()
		defer second.Close()
		if first.Derived == nil || first.Derived != second.Derived {
			t.Fatalf("two reads of one cached revision have derived slots %p and %p, want one", first.Derived, second.Derived)
		}
		since := first.Revision - 1
		partial := b.read(t, ctx, BundleQuery{Since: &since})
		defer partial.Close()
		if partial.Derived != nil {
			t.Fatal("a read since a revision shares a derived slot, but its rows are its own")
		}
		a.write(t, ctx, "v6")
		next := a.read(t, ctx, BundleQuery{})
		defer next.Close()
		if next.Revision == first.Revision || next.Derived == first.Derived {
			t.Fatalf("revision %d shares the derived slot of revision %d", next.Revision, first.Revision)
		}
	})
}
