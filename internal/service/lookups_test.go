package service

import (
	"testing"
	"time"

	"github.com/cofferhq/coffer"
)

func TestLookupsExpireAndInvalidate(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newLookups(func() time.Time { return now })
	svc := &coffer.Token{ID: "t1", Kind: coffer.TokenService, ProjectID: "p1"}
	pat := &coffer.Token{ID: "t2", Kind: coffer.TokenPersonal, UserID: "u1"}
	proj := &coffer.Project{ID: "p1", Slug: "shop"}
	env := &coffer.Environment{ID: "e1", ProjectID: "p1", Slug: "dev", Revision: 7}
	fill := func() {
		put(l, l.tokens, "h1", svc, l.epochNow())
		put(l, l.tokens, "h2", pat, l.epochNow())
		put(l, l.projects, "shop", proj, l.epochNow())
		put(l, l.roles, "p1/u1", coffer.RoleOwner, l.epochNow())
		put(l, l.envs, "p1/dev", env, l.epochNow())
	}
	has := func(m map[string]cached[*coffer.Token], key string) bool { _, _, ok := get(l, m, key); return ok }

	fill()
	if !has(l.tokens, "h1") || !has(l.tokens, "h2") {
		t.Fatal("fresh entries missing")
	}
	now = now.Add(lookupTTL)
	if has(l.tokens, "h1") {
		t.Fatal("an entry outlived its TTL")
	}

	tests := []struct {
		name                     string
		event                    coffer.Event
		gone                     []string // token keys dropped
		projectOK, roleOK, envOK bool
	}{
		{"TokenRevoked", coffer.Event{Type: coffer.EventTokenRevoked, TokenID: "t1"}, []string{"h1"}, true, true, true},
		{"UserSignedOut", coffer.Event{Type: coffer.EventSessionRevoked, UserID: "u1"}, []string{"h2"}, true, true, true},
		{"ProjectDeleted", coffer.Event{Type: coffer.EventProjectDeleted, ProjectID: "p1"}, []string{"h1"}, false, false, false},
		{"ProjectRenamed", coffer.Event{Type: coffer.EventProjectUpdated, ProjectID: "p1"}, nil, false, true, true},
		{"EnvironmentRenamed", coffer.Event{Type: coffer.EventEnvironmentUpdated, ProjectID: "p1", EnvironmentID: "e1"}, []string{"h1"}, true, true, false},
		{"MemberDemoted", coffer.Event{Type: coffer.EventMemberUpdated, ProjectID: "p1", UserID: "u1"}, nil, true, false, true},
		{"OtherMemberRemoved", coffer.Event{Type: coffer.EventMemberRemoved, ProjectID: "p1", UserID: "u9"}, nil, true, true, true},
		{"SecretChangedMovesTheRevision", coffer.Event{Type: coffer.EventSecretUpdated, ProjectID: "p1", EnvironmentID: "e1"}, nil, true, true, false},
		{"OtherEnvironmentsSecret", coffer.Event{Type: coffer.EventSecretUpdated, ProjectID: "p1", EnvironmentID: "e2"}, nil, true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fill()
			l.invalidate(tt.event)
			for _, key := range []string{"h1", "h2"} {
				dropped := !has(l.tokens, key)
				want := false
				for _, g := range tt.gone {
					want = want || g == key
				}
				if dropped != want {
					t.Errorf("token %s dropped=%v, want %v", key, dropped, want)
				}
			}
			if _, _, ok := get(l, l.projects, "shop"); ok != tt.projectOK {
				t.Errorf("project cached=%v, want %v", ok, tt.projectOK)
			}
			if _, _, ok := get(l, l.roles, "p1/u1"); ok != tt.roleOK {
				t.Errorf("role cached=%v, want %v", ok, tt.roleOK)
			}
			if _, _, ok := get(l, l.envs, "p1/dev"); ok != tt.envOK {
				t.Errorf("environment cached=%v, want %v", ok, tt.envOK)
			}
		})
	}
}

// A read that started before an invalidation must not cache what it read:
// the row may predate the change.
func TestLookupsDropFillsThatRacedAnInvalidation(t *testing.T) {
	l := newLookups(time.Now)
	_, epoch, ok := get(l, l.envs, "p1/dev")
	if ok {
		t.Fatal("empty cache hit")
	}
	stale := &coffer.Environment{ID: "e1", Revision: 7}                                           // read from the database…
	l.invalidate(coffer.Event{Type: coffer.EventSecretUpdated, EnvironmentID: "e1", Revision: 8}) // …while a write committed
	put(l, l.envs, "p1/dev", stale, epoch)
	if _, _, ok := get(l, l.envs, "p1/dev"); ok {
		t.Fatal("a fill that raced an invalidation was cached")
	}
	put(l, l.envs, "p1/dev", &coffer.Environment{ID: "e1", Revision: 8}, l.epochNow())
	if e, _, ok := get(l, l.envs, "p1/dev"); !ok || e.Revision != 8 {
		t.Fatalf("a fill after the invalidation: %v %v", e, ok)
	}
}

func TestBundleCacheKeepsTheNewestRevision(t *testing.T) {
	c := newBundleCache()
	b5 := newSealedBundle("p1", 5, []*coffer.Secret{{Key: "A", Ciphertext: []byte("sealed")}})
	b6 := newSealedBundle("p1", 6, nil)
	c.put("e1", b5)
	if c.get("e1", 5) != b5 || c.get("e1", 4) != b5 {
		t.Fatal("a bundle at or past the asked revision is served")
	}
	if c.get("e1", 6) != nil {
		t.Fatal("an older bundle served for a newer revision")
	}
	c.put("e1", b6)
	c.put("e1", b5) // a slow reader finishing late
	if c.get("e1", 6) != b6 {
		t.Fatal("an older bundle replaced a newer one")
	}
	c.put("e2", newSealedBundle("p2", 1, nil))
	c.invalidate(coffer.Event{Type: coffer.EventProjectDeleted, ProjectID: "p1"})
	if c.get("e1", 0) != nil || c.get("e2", 0) == nil {
		t.Fatal("project deletion: wrong bundles dropped")
	}
	c.invalidate(coffer.Event{Type: coffer.EventEnvironmentDeleted, ProjectID: "p2", EnvironmentID: "e2"})
	if c.get("e2", 0) != nil || c.size != 0 {
		t.Fatalf("environment deletion: bundle kept, size %d", c.size)
	}
}
