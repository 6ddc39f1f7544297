package events

import (
	"slices"
	"sync"

	"github.com/cofferhq/coffer"
)

// Subscription is one subscriber's view of the broker: a bounded queue of
// the events it is concerned by. Its methods are safe for concurrent use.
//
// An idle subscription holds as little as it can, since every idle feed
// connection holds one (docs/benchmarks.md, "Live events"): the queue is
// a slice that grows with what is waiting and is let go when it drains,
// not a buffered channel (a channel of DefaultQueueSize events would hold
// ~55 KB from the start); its environments are a short slice, not a map;
// and Done's channel is made only when asked for.
type Subscription struct {
	b  *Broker
	id Identity

	// envs are the environments watched; guarded by b.mu.
	envs []watched

	notify func() // told of every event queued and of the end

	qmu   sync.Mutex
	queue []coffer.Event // oldest first; nil when empty
	done  chan struct{}  // made by Done; closed once err is set
	err   error          // why the broker ended the subscription; set once

	closed bool // guarded by b.mu
}

// watched is an environment a subscription receives the events of.
type watched struct{ envID, projectID string }

// Identity returns the credential the subscription belongs to.
func (s *Subscription) Identity() Identity { return s.id }

// Next removes and returns the oldest queued event; ok is false when none
// is queued.
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
	}
	return e, true
}

// Pending reports whether events are queued or the subscription has
// ended: what the reader checks after it last drained, so that a
// notification that came meanwhile is not lost.
func (s *Subscription) Pending() bool {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	return len(s.queue) > 0 || s.err != nil
}

// Done is closed when the broker ends the subscription (see Err).
func (s *Subscription) Done() <-chan struct{} {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if s.done == nil {
		s.done = make(chan struct{})
		if s.err != nil {
			close(s.done)
		}
	}
	return s.done
}

// Err returns why the broker ended the subscription — ErrOverflow or
// ErrResync — or nil while it has not.
func (s *Subscription) Err() error {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	return s.err
}

// Add starts delivery of the events of environment envID of project
// projectID. Adding an environment twice is harmless.
func (s *Subscription) Add(projectID, envID string) {
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.closed || slices.ContainsFunc(s.envs, func(w watched) bool { return w.envID == envID }) {
		return
	}
	s.envs = append(s.envs, watched{envID: envID, projectID: projectID})
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
	i := slices.IndexFunc(s.envs, func(w watched) bool { return w.envID == envID })
	if i < 0 {
		return
	}
	projectID := s.envs[i].projectID
	s.envs = slices.Delete(s.envs, i, i+1)
	if len(s.envs) == 0 {
		s.envs = nil
	}
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
	for len(s.envs) > 0 {
		s.remove(s.envs[0].envID)
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
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if s.err != nil {
		return // ended: its reader is going away, and may have stopped reading
	}
	if len(s.queue) >= s.b.queue {
		s.endLocked(ErrOverflow)
		return
	}
	s.queue = append(s.queue, e)
	s.notify()
}

func (s *Subscription) end(err error) {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	s.endLocked(err)
}

func (s *Subscription) endLocked(err error) {
	if s.err != nil {
		return
	}
	s.err = err
	if s.done != nil {
		close(s.done)
	}
	s.notify()
}
