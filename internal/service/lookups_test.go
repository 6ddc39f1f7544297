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
	fill := func() {
		put(l, l.tokens, "h1", svc)
		put(l, l.tokens, "h2", pat)
		put(l, l.projects, "shop", proj)
	}
	has := func(m map[string]cached[*coffer.Token], key string) bool { _, ok := get(l, m, key); return ok }

	fill()
	if !has(l.tokens, "h1") || !has(l.tokens, "h2") {
		t.Fatal("fresh entries missing")
	}
	now = now.Add(lookupTTL)
	if has(l.tokens, "h1") {
		t.Fatal("an entry outlived its TTL")
	}

	tests := []struct {
		name      string
		event     coffer.Event
		gone      []string // token keys dropped
		projectOK bool
	}{
		{"TokenRevoked", coffer.Event{Type: coffer.EventTokenRevoked, TokenID: "t1"}, []string{"h1"}, true},
		{"UserSignedOut", coffer.Event{Type: coffer.EventSessionRevoked, UserID: "u1"}, []string{"h2"}, true},
		{"ProjectDeleted", coffer.Event{Type: coffer.EventProjectDeleted, ProjectID: "p1"}, []string{"h1"}, false},
		{"ProjectRenamed", coffer.Event{Type: coffer.EventProjectUpdated, ProjectID: "p1"}, nil, false},
		{"SecretChangedKeepsAll", coffer.Event{Type: coffer.EventSecretUpdated, ProjectID: "p1", EnvironmentID: "e"}, nil, true},
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
			if _, ok := get(l, l.projects, "shop"); ok != tt.projectOK {
				t.Errorf("project cached=%v, want %v", ok, tt.projectOK)
			}
		})
	}
}
