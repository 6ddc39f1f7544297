// Package events is Coffer's in-process event broker: the service publishes
// committed changes to it, and every live feed connection holds one
// Subscription that receives the events of the environments it watches,
// those of their projects (members, environments created, renamed or
// deleted) and the revocations that concern its credential. A shared bus
// (Redis) feeds the brokers of other instances through the same Publish.
package events

import (
	"context"
	"errors"
	"sync"

	"github.com/cofferhq/coffer"
)

// DefaultQueueSize is how many events a subscription holds before its
// reader is declared too slow. A burst larger than this (an import of
// hundreds of keys) costs a slow client a resync, never a stalled writer.
const DefaultQueueSize = 256

// Why a subscription ended without being closed by its owner. The feed
// tells its client to resync by revision in both cases.
var (
	// ErrOverflow: the subscriber did not keep up and its queue filled.
	ErrOverflow = errors.New("slow consumer: event queue full")
	// ErrResync: events may have been lost (the shared bus had a gap).
	ErrResync = errors.New("event stream interrupted")
)

// Identity is the credential a subscription belongs to, so that the
// revocation events that end it reach it without a subscription to any
// environment.
type Identity struct {
	UserID    string // users, directly or through a personal token
	SessionID string // a browser or CLI session
	TokenID   string // a personal or service token
}

// Broker delivers events to local subscribers. It implements
// coffer.EventPublisher; Publish never blocks.
type Broker struct {
	queue int

	mu        sync.RWMutex
	all       map[*Subscription]struct{}
	byEnv     map[string]map[*Subscription]struct{}
	byProject map[string]map[*Subscription]int // how many of the sub's envs are in the project
	byUser    map[string]map[*Subscription]struct{}
	bySession map[string]map[*Subscription]struct{}
	byToken   map[string]map[*Subscription]struct{}
	observers []func(coffer.Event)
}

var _ coffer.EventPublisher = (*Broker)(nil)

// NewBroker returns a broker whose subscriptions hold queue events each
// (DefaultQueueSize when queue is 0 or less).
func NewBroker(queue int) *Broker {
	if queue <= 0 {
		queue = DefaultQueueSize
	}
	return &Broker{
		queue:     queue,
		all:       map[*Subscription]struct{}{},
		byEnv:     map[string]map[*Subscription]struct{}{},
		byProject: map[string]map[*Subscription]int{},
		byUser:    map[string]map[*Subscription]struct{}{},
		bySession: map[string]map[*Subscription]struct{}{},
		byToken:   map[string]map[*Subscription]struct{}{},
	}
}

// Subscribe returns a subscription for the holder of id. It receives the
// revocations that concern id at once, and the events of the environments
// added with Add. The reader holds no goroutine while it waits: notify is
// called whenever an event is queued or the subscription ends, and the
// reader then takes events with Next until none is left, checking Pending
// once it stopped. notify runs with the broker's locks held: it must
// return at once, without calling the subscription. The caller must Close
// it.
func (b *Broker) Subscribe(id Identity, notify func()) *Subscription {
	s := &Subscription{b: b, id: id, notify: notify}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.all[s] = struct{}{}
	addTo(b.byUser, id.UserID, s)
	addTo(b.bySession, id.SessionID, s)
	addTo(b.byToken, id.TokenID, s)
	return s
}

// Publish delivers events to every local subscription they concern. A
// subscription whose queue is full is ended with ErrOverflow instead of
// waiting for it: one slow reader must not delay a write or its peers.
func (b *Broker) Publish(_ context.Context, events ...coffer.Event) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	b.deliver(events)
}

// Relay delivers events that another instance published: the observers
// see them first, then the local subscriptions, as with Publish.
func (b *Broker) Relay(events ...coffer.Event) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, e := range events {
		for _, observe := range b.observers {
			observe(e)
		}
	}
	b.deliver(events)
}

func (b *Broker) deliver(events []coffer.Event) {
	for _, e := range events {
		for s := range b.targets(e) {
			s.offer(e)
		}
	}
}

// Observe calls fn with every event relayed from another instance, before
// subscribers get it, so that caches drop what a change made elsewhere
// makes stale (this instance's own changes drop theirs before they are
// published). fn must be quick and must not publish.
func (b *Broker) Observe(fn func(coffer.Event)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.observers = append(b.observers, fn)
}

// Resync ends every subscription with ErrResync: called when events may
// have been lost, so that every client catches up from the database.
func (b *Broker) Resync() {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.all {
		s.end(ErrResync)
	}
}

// Len returns the number of open subscriptions.
func (b *Broker) Len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.all)
}

// targets returns the subscriptions e concerns. Each appears once, even
// when several indexes name it (a user's session revoked by user and id).
func (b *Broker) targets(e coffer.Event) map[*Subscription]struct{} {
	switch e.Type {
	case coffer.EventSessionRevoked:
		return union(b.byUser[e.UserID], b.bySession[e.SessionID])
	case coffer.EventTokenRevoked:
		return union(b.byToken[e.TokenID], nil)
	}
	if e.EnvironmentID != "" && !coffer.IsEnvironmentEvent(e.Type) {
		return b.byEnv[e.EnvironmentID]
	}
	// Project-wide events (members, project deletion) and the lifecycle of
	// an environment (a new one has no subscribers yet) reach every
	// subscription holding any environment of the project; the feed
	// decides which of them may know of the environment.
	set := make(map[*Subscription]struct{}, len(b.byProject[e.ProjectID]))
	for s := range b.byProject[e.ProjectID] {
		set[s] = struct{}{}
	}
	return set
}

func union(a, b map[*Subscription]struct{}) map[*Subscription]struct{} {
	set := make(map[*Subscription]struct{}, len(a)+len(b))
	for s := range a {
		set[s] = struct{}{}
	}
	for s := range b {
		set[s] = struct{}{}
	}
	return set
}

func addTo(m map[string]map[*Subscription]struct{}, key string, s *Subscription) {
	if key == "" {
		return
	}
	if m[key] == nil {
		m[key] = map[*Subscription]struct{}{}
	}
	m[key][s] = struct{}{}
}

func removeFrom(m map[string]map[*Subscription]struct{}, key string, s *Subscription) {
	if set := m[key]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(m, key)
		}
	}
}
