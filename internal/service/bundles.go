package service

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/cofferhq/coffer"
)

// SharedBundles is a cache of sealed bundles that every instance shares,
// keyed by environment and exact revision. Failures are misses.
type SharedBundles interface {
	Get(ctx context.Context, envID string, revision int64) ([]*coffer.Secret, bool)
	Put(ctx context.Context, envID string, revision int64, secrets []*coffer.Secret)
}

// maxBundleBytes bounds the sealed bytes the bundle cache holds; past it
// the cache is emptied and refills with the environments still read.
const maxBundleBytes = 64 << 20

// sealedBundle is an environment's secrets at one revision, their values
// still sealed. Shared by concurrent reads: never modified.
type sealedBundle struct {
	projectID string
	revision  int64
	secrets   []*coffer.Secret
	keys      []string     // of secrets, for the audit event of every read
	derived   atomic.Value // see Bundle.Derived
	size      int
}

func newSealedBundle(projectID string, revision int64, secrets []*coffer.Secret) *sealedBundle {
	b := &sealedBundle{projectID: projectID, revision: revision, secrets: secrets, keys: keyNames(secrets)}
	for _, s := range secrets {
		// The struct, its strings, and as much again derived from them.
		b.size += len(s.Ciphertext) + 2*(len(s.Key)+len(s.Comment)) + 400
	}
	return b
}

// keyNames returns the keys of secrets, in order.
func keyNames(secrets []*coffer.Secret) []string {
	keys := make([]string, len(secrets))
	for i, s := range secrets {
		keys[i] = s.Key
	}
	return keys
}

// bundleCache keeps the newest sealed bundle read of each environment, so
// that a bulk read at a revision already read costs no database round
// trip. An entry holds its exact revision (SecretBundle reads the two in
// one statement), so it is never stale for that revision: a change makes a
// newer one, which misses. It holds ciphertexts only — values are opened per
// request and never cached in the clear.
type bundleCache struct {
	mu   sync.Mutex
	m    map[string]*sealedBundle // by environment id
	size int
}

func newBundleCache() *bundleCache { return &bundleCache{m: map[string]*sealedBundle{}} }

// get returns envID's bundle at revision or newer, or nil.
func (c *bundleCache) get(envID string, revision int64) *sealedBundle {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b := c.m[envID]; b != nil && b.revision >= revision {
		return b
	}
	return nil
}

// put keeps b unless a newer revision of envID is cached already.
func (c *bundleCache) put(envID string, b *sealedBundle) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[envID]; old != nil {
		if old.revision >= b.revision {
			return
		}
		delete(c.m, envID)
		c.size -= old.size
	}
	if c.size+b.size > maxBundleBytes {
		clear(c.m)
		c.size = 0
	}
	c.m[envID] = b
	c.size += b.size
}

// invalidate frees the bundles of deleted environments and projects.
// Changes need nothing: they make new revisions.
func (c *bundleCache) invalidate(e coffer.Event) {
	if e.Type != coffer.EventEnvironmentDeleted && e.Type != coffer.EventProjectDeleted {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, b := range c.m {
		if id == e.EnvironmentID || (e.Type == coffer.EventProjectDeleted && b.projectID == e.ProjectID) {
			delete(c.m, id)
			c.size -= b.size
		}
	}
}
