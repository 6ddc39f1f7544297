package service

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/barrier"
)

// maxDEKs bounds the unwrapped keys kept; past it the cache starts over.
const maxDEKs = 4096

// dekCache keeps projects' unwrapped data keys, as the KEK itself is kept:
// unwrapping builds two AES ciphers, and every bulk read needs its
// project's key. An entry serves only the exact wrapped bytes and KEK id
// it was unwrapped from, so a rewrapped or replaced key is never used
// stale; a deleted project's entry is dropped with its event.
type dekCache struct {
	mu sync.RWMutex
	m  map[string]dekEntry // by project id
}

type dekEntry struct {
	kekID   string
	wrapped []byte
	dek     *barrier.DEK
}

func newDEKCache() *dekCache { return &dekCache{m: map[string]dekEntry{}} }

func (c *dekCache) get(p *coffer.Project) *barrier.DEK {
	c.mu.RLock()
	e, ok := c.m[p.ID]
	c.mu.RUnlock()
	if !ok || e.kekID != p.KEKID || !bytes.Equal(e.wrapped, p.WrappedDEK) {
		return nil
	}
	return e.dek
}

func (c *dekCache) put(p *coffer.Project, d *barrier.DEK) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxDEKs {
		clear(c.m)
	}
	c.m[p.ID] = dekEntry{kekID: p.KEKID, wrapped: bytes.Clone(p.WrappedDEK), dek: d}
}

func (c *dekCache) invalidate(e coffer.Event) {
	if e.Type != coffer.EventProjectDeleted {
		return
	}
	c.mu.Lock()
	delete(c.m, e.ProjectID)
	c.mu.Unlock()
}

// dek returns p's unwrapped data key.
func (s *Service) dek(p *coffer.Project) (*barrier.DEK, error) {
	if d := s.deks.get(p); d != nil {
		return d, nil
	}
	d, err := s.Keyring.UnwrapDEK(p.ID, p.WrappedDEK, p.KEKID)
	if err != nil {
		return nil, fmt.Errorf("unwrap data key of project %s: %w", p.ID, err)
	}
	s.deks.put(p, d)
	return d, nil
}
