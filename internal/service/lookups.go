package service

import (
	"sync"
	"time"

	"github.com/cofferhq/coffer"
)

// lookupTTL bounds how long a cached token or project may be used. Changes
// made through any instance drop the entries at once through Invalidate
// (the event bus reaches every instance); the TTL is the bound when that
// path fails, e.g. while Redis is down.
const lookupTTL = time.Second

// lookups caches the two lookups every API request repeats — the bearer
// token by hash and the project by slug — so that the hot bulk read needs
// fewer database round trips. It holds hashes, ids and wrapped keys only:
// nothing here is a secret in the clear.
type lookups struct {
	mu       sync.Mutex
	now      func() time.Time
	tokens   map[string]cached[*coffer.Token]   // by string(hash)
	projects map[string]cached[*coffer.Project] // by slug
}

type cached[T any] struct {
	v       T
	expires time.Time
}

func newLookups(now func() time.Time) *lookups {
	return &lookups{now: now, tokens: map[string]cached[*coffer.Token]{}, projects: map[string]cached[*coffer.Project]{}}
}

// maxLookups bounds each map; past it the cache is emptied (a flood of
// distinct tokens is cheaper to serve uncached than to track).
const maxLookups = 10000

func get[T any](l *lookups, m map[string]cached[T], key string) (T, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := m[key]
	if !ok || !l.now().Before(e.expires) {
		var zero T
		return zero, false
	}
	return e.v, true
}

func put[T any](l *lookups, m map[string]cached[T], key string, v T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(m) >= maxLookups {
		clear(m)
	}
	m[key] = cached[T]{v: v, expires: l.now().Add(lookupTTL)}
}

// invalidate drops what e makes stale.
func (l *lookups) invalidate(e coffer.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch e.Type {
	case coffer.EventTokenRevoked, coffer.EventSessionRevoked:
		for k, t := range l.tokens {
			if t.v.ID == e.TokenID || (e.UserID != "" && t.v.UserID == e.UserID && t.v.Kind == coffer.TokenPersonal) {
				delete(l.tokens, k)
			}
		}
	case coffer.EventProjectDeleted, coffer.EventEnvironmentDeleted, coffer.EventEnvironmentUpdated:
		// Deleting a project or environment changes tokens' scopes too.
		for k, t := range l.tokens {
			if t.v.ProjectID == e.ProjectID {
				delete(l.tokens, k)
			}
		}
		fallthrough
	case coffer.EventProjectUpdated:
		for slug, p := range l.projects {
			if p.v.ID == e.ProjectID {
				delete(l.projects, slug)
			}
		}
	}
}

// Invalidate drops cached lookups that e makes stale. The server calls it
// for every event, local or from another instance.
func (s *Service) Invalidate(e coffer.Event) { s.cache.invalidate(e) }
