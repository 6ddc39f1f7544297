package events

import (
	"sync"

	"github.com/cofferhq/coffer"
)

// Subscription is one subscriber's view of the broker: a bounded queue of
// the events it is concerned by. Its methods are safe for concurrent use.
//
// The queue is a slice that grows with what is waiting and is let go when
// it drains, not a buffered channel: a channel of DefaultQueueSize events
// would hold ~55 KB per connection from the start, and most connections
// are idle.
type Subscription struct {
	b  *Broker
	id Identity

	// envs maps environment id to project id; guarded by b.mu.
	envs map[string]string

	qmu   sync.Mutex
	queue []coffer.Event // oldest first; nil when empty
	ready chan struct{}  // holds a signal while queue is not empty

	endOnce sync.Once
	done    chan struct{}
	err     error // set once, before done closes
	closed  bool  // guarded by b.mu
}

// Identity returns the credential the subscription belongs to.
func (s *Subscription) Identity() Identity { return s.id }

// Ready receives a signal while events are queued: take one with Next on
// each signal. It is never closed: select on Done as well.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Next removes and returns the oldest queued event; ok is false when none
// is queued. If more remain, Ready is signalled again, so that a reader
// taking one event per signal interleaves them with its other work.
func (s *Subscription) Next() (e coffer.Event, ok bool) {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if len(s.queue) == 0 {
		return coffer.Event{}, false
	}
	e = s.queue[0]
	s.queue[0] = coffer.Event{} // the backing array outlives the pop
	s.queue = s.queue[1:]
	if len(s.queue) == 0 {
		s.queue = nil // let the array go: an idle subscription holds none
	} else {
		s.signal()
	}
	return e, true
}

func (s *Subscription) signal() {
	select {
	case s.ready <- struct{}{}:
	default: // already signalled
	}
}

// Done is closed when the broker ends the subscription (see Err).
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Err returns why the broker ended the subscription — ErrOverflow or
// ErrResync — or nil while it has not.
func (s *Subscription) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Add starts delivery of the events of environment envID of project
// projectID. Adding an environment twice is harmless.
func (s *Subscription) Add(projectID, envID string) {
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.closed {
		return
	}
	if _, ok := s.envs[envID]; ok {
		return
	}
	s.envs[envID] = projectID
	addTo(b.byEnv, envID, s)
	if b.byProject[projectID] == nil {
		b.byProject[projectID] = map[*Subscription]int{}
	}
	b.byProject[projectID][s]++
}

// Remove stops delivery of the events of environment envID. Events
// already queued stay queued; the reader filters them.
func (s *Subscription) Remove(envID string) {
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	s.remove(envID)
}

// remove runs with b.mu held.
func (s *Subscription) remove(envID string) {
	b := s.b
	projectID, ok := s.envs[envID]
	if !ok {
		return
	}
	delete(s.envs, envID)
	removeFrom(b.byEnv, envID, s)
	if set := b.byProject[projectID]; set != nil {
		if set[s]--; set[s] <= 0 {
			delete(set, s)
		}
		if len(set) == 0 {
			delete(b.byProject, projectID)
		}
	}
}

// Close removes the subscription from the broker. It is idempotent.
func (s *Subscription) Close() {
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	for envID := range s.envs {
		s.remove(envID)
	}
	delete(b.all, s)
	removeFrom(b.byUser, s.id.UserID, s)
	removeFrom(b.bySession, s.id.SessionID, s)
	removeFrom(b.byToken, s.id.TokenID, s)
}

// offer queues e without blocking; a full queue ends the subscription.
// It runs with b.mu read-locked (possibly by several publishers at once),
// so it only marks the end; the owner closes.
func (s *Subscription) offer(e coffer.Event) {
	select {
	case <-s.done:
		return // ended: its reader is going away, and may have stopped reading
	default:
	}
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if len(s.queue) >= s.b.queue {
		s.end(ErrOverflow)
		return
	}
	s.queue = append(s.queue, e)
	s.signal()
}

func (s *Subscription) end(err error) {
	s.endOnce.Do(func() {
		s.err = err
		close(s.done)
	})
}
