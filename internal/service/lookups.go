package service

import (
	"strings"
	"sync"
	"time"

	"github.com/cofferhq/coffer"
)

// lookupTTL bounds how long a cached lookup may be used. Changes made
// through this instance drop the entries they make stale before the change
// is answered; changes made through another instance drop them when their
// event arrives over the bus. The TTL is the bound when that path fails,
// e.g. while Redis is down.
const lookupTTL = time.Second

// lookups caches what every API request looks up before it can do anything
// — the bearer token by hash, the project by slug, the caller's role in it,
// and the environment by slug with its revision — so that the hot bulk read
// needs no database round trip before the audit write. It holds hashes, ids,
// roles and wrapped keys only: nothing here is a secret in the clear.
type lookups struct {
	mu  sync.Mutex
	now func() time.Time
	// epoch grows with every invalidation. A fill carries the epoch read
	// before its database read and is dropped if the epoch moved since:
	// the row it read may predate the change that invalidated.
	epoch    uint64
	tokens   map[string]cached[*coffer.Token]       // by string(hash)
	projects map[string]cached[*coffer.Project]     // by slug
	roles    map[string]cached[coffer.Role]         // by inProject(project id, user id)
	envs     map[string]cached[*coffer.Environment] // by inProject(project id, slug)
}

// inProject keys an entry that belongs to a project (a role, an
// environment); with name "" it is the prefix of all of them.
func inProject(projectID, name string) string { return projectID + "/" + name }

type cached[T any] struct {
	v       T
	expires time.Time
}

func newLookups(now func() time.Time) *lookups {
	return &lookups{
		now:      now,
		tokens:   map[string]cached[*coffer.Token]{},
		projects: map[string]cached[*coffer.Project]{},
		roles:    map[string]cached[coffer.Role]{},
		envs:     map[string]cached[*coffer.Environment]{},
	}
}

// maxLookups bounds each map; past it the map is emptied (a flood of
// distinct tokens is cheaper to serve uncached than to track).
const maxLookups = 10000

// get returns the entry for key if it is fresh. On a miss, the epoch it
// returns goes to put after the database read.
func get[T any](l *lookups, m map[string]cached[T], key string) (v T, epoch uint64, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := m[key]
	if !ok || !l.now().Before(e.expires) {
		var zero T
		return zero, l.epoch, false
	}
	return e.v, l.epoch, true
}

// epochNow returns the epoch for a put after a read that did not start
// with a get.
func (l *lookups) epochNow() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.epoch
}

// put caches v under key unless something was invalidated since epoch.
func put[T any](l *lookups, m map[string]cached[T], key string, v T, epoch uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if epoch != l.epoch {
		return
	}
	if len(m) >= maxLookups {
		clear(m)
	}
	m[key] = cached[T]{v: v, expires: l.now().Add(lookupTTL)}
}

// invalidate drops what e makes stale.
func (l *lookups) invalidate(e coffer.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.epoch++
	switch e.Type {
	case coffer.EventTokenRevoked, coffer.EventSessionRevoked:
		deleteWhere(l.tokens, func(t *coffer.Token) bool {
			return t.ID == e.TokenID || (e.UserID != "" && t.UserID == e.UserID && t.Kind == coffer.TokenPersonal)
		})
	case coffer.EventMemberAdded, coffer.EventMemberUpdated, coffer.EventMemberRemoved:
		delete(l.roles, inProject(e.ProjectID, e.UserID))
	case coffer.EventProjectDeleted:
		// Deleting a project ends its tokens, members and environments.
		deleteWhere(l.tokens, func(t *coffer.Token) bool { return t.ProjectID == e.ProjectID })
		deleteWhere(l.projects, func(p *coffer.Project) bool { return p.ID == e.ProjectID })
		deleteKeysWithPrefix(l.roles, inProject(e.ProjectID, ""))
		deleteKeysWithPrefix(l.envs, inProject(e.ProjectID, ""))
	case coffer.EventProjectUpdated:
		deleteWhere(l.projects, func(p *coffer.Project) bool { return p.ID == e.ProjectID })
	case coffer.EventEnvironmentDeleted, coffer.EventEnvironmentUpdated:
		// A token's scope names environments: renamed or gone, it changes.
		deleteWhere(l.tokens, func(t *coffer.Token) bool { return t.ProjectID == e.ProjectID })
		deleteWhere(l.envs, func(env *coffer.Environment) bool { return env.ID == e.EnvironmentID })
	case coffer.EventSecretCreated, coffer.EventSecretUpdated, coffer.EventSecretDeleted:
		// The environment's revision moved.
		deleteWhere(l.envs, func(env *coffer.Environment) bool { return env.ID == e.EnvironmentID })
	}
}

func deleteWhere[T any](m map[string]cached[T], stale func(T) bool) {
	for k, e := range m {
		if stale(e.v) {
			delete(m, k)
		}
	}
}

func deleteKeysWithPrefix[T any](m map[string]cached[T], prefix string) {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			delete(m, k)
		}
	}
}

// Invalidate drops cached lookups that e makes stale. The server calls it
// for every event, local or from another instance; the service calls it
// itself for its own changes, so that they never depend on that wiring.
func (s *Service) Invalidate(e coffer.Event) {
	s.cache.invalidate(e)
	s.bundles.invalidate(e)
	s.deks.invalidate(e)
}
