package events

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
)

// subscribe is Broker.Subscribe for a test that reads what is queued
// after publishing (delivery is synchronous), with no notification.
func subscribe(b *Broker, id Identity) *Subscription { return b.Subscribe(id, func() {}) }

// received drains what s holds now.
func received(s *Subscription) []coffer.Event {
	var got []coffer.Event
	for e, ok := s.Next(); ok; e, ok = s.Next() {
		got = append(got, e)
	}
	return got
}

func TestBrokerRouting(t *testing.T) {
	t.Parallel()
	alice := Identity{UserID: "u-alice", SessionID: "s-alice"}
	tests := []struct {
		name  string
		id    Identity
		watch [][2]string // project id, env id
		event coffer.Event
		want  bool
	}{
		{"SecretOfWatchedEnvironment", alice, [][2]string{{"p1", "e1"}},
			coffer.Event{Type: coffer.EventSecretUpdated, ProjectID: "p1", EnvironmentID: "e1"}, true},
		{"SecretOfOtherEnvironment", alice, [][2]string{{"p1", "e1"}},
			coffer.Event{Type: coffer.EventSecretUpdated, ProjectID: "p1", EnvironmentID: "e2"}, false},
		{"MemberEventOfWatchedProject", alice, [][2]string{{"p1", "e1"}},
			coffer.Event{Type: coffer.EventMemberRemoved, ProjectID: "p1", UserID: "u-bob"}, true},
		{"MemberEventOfOtherProject", alice, [][2]string{{"p1", "e1"}},
			coffer.Event{Type: coffer.EventMemberRemoved, ProjectID: "p2", UserID: "u-alice"}, false},
		{"EnvironmentCreatedInWatchedProject", alice, [][2]string{{"p1", "e1"}},
			coffer.Event{Type: coffer.EventEnvironmentCreated, ProjectID: "p1", EnvironmentID: "e2"}, true},
		{"EnvironmentUpdatedInWatchedProject", alice, [][2]string{{"p1", "e1"}},
			coffer.Event{Type: coffer.EventEnvironmentUpdated, ProjectID: "p1", EnvironmentID: "e2"}, true},
		{"WatchedEnvironmentDeleted", alice, [][2]string{{"p1", "e1"}},
			coffer.Event{Type: coffer.EventEnvironmentDeleted, ProjectID: "p1", EnvironmentID: "e1"}, true},
		{"EnvironmentCreatedInOtherProject", alice, [][2]string{{"p1", "e1"}},
			coffer.Event{Type: coffer.EventEnvironmentCreated, ProjectID: "p2", EnvironmentID: "e3"}, false},
		{"EnvironmentCreatedWithoutSubscriptions", alice, nil,
			coffer.Event{Type: coffer.EventEnvironmentCreated, ProjectID: "p1", EnvironmentID: "e2"}, false},
		{"ProjectDeleted", alice, [][2]string{{"p1", "e1"}},
			coffer.Event{Type: coffer.EventProjectDeleted, ProjectID: "p1"}, true},
		{"OwnSessionRevokedWithoutSubscriptions", alice, nil,
			coffer.Event{Type: coffer.EventSessionRevoked, UserID: "u-alice", SessionID: "s-alice"}, true},
		{"AllSessionsOfUserRevoked", alice, nil,
			coffer.Event{Type: coffer.EventSessionRevoked, UserID: "u-alice"}, true},
		{"OtherUsersSessionRevoked", alice, nil,
			coffer.Event{Type: coffer.EventSessionRevoked, UserID: "u-bob", SessionID: "s-bob"}, false},
		{"OwnTokenRevoked", Identity{TokenID: "t1"}, nil,
			coffer.Event{Type: coffer.EventTokenRevoked, TokenID: "t1"}, true},
		{"OtherTokenRevoked", Identity{TokenID: "t1"}, nil,
			coffer.Event{Type: coffer.EventTokenRevoked, TokenID: "t2"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := NewBroker(4)
			s := subscribe(b, tt.id)
			defer s.Close()
			for _, w := range tt.watch {
				s.Add(w[0], w[1])
			}
			b.Publish(context.Background(), tt.event)
			if got := len(received(s)); got != map[bool]int{true: 1, false: 0}[tt.want] {
				t.Fatalf("received %d events, want delivered=%v", got, tt.want)
			}
		})
	}
}

func TestBrokerDeliversOnceToSubscriptionNamedTwice(t *testing.T) {
	t.Parallel()
	b := NewBroker(4)
	s := subscribe(b, Identity{UserID: "u", SessionID: "s"})
	defer s.Close()
	s.Add("p", "e1")
	s.Add("p", "e2")
	s.Add("p", "e1") // again: harmless
	b.Publish(context.Background(),
		coffer.Event{Type: coffer.EventSessionRevoked, UserID: "u", SessionID: "s"},
		coffer.Event{Type: coffer.EventMemberUpdated, ProjectID: "p", UserID: "u"},
		coffer.Event{Type: coffer.EventEnvironmentDeleted, ProjectID: "p", EnvironmentID: "e1"})
	if got := len(received(s)); got != 3 {
		t.Fatalf("received %d events, want 3 (one each)", got)
	}
}

func TestBrokerRemoveAndClose(t *testing.T) {
	t.Parallel()
	b := NewBroker(4)
	s := subscribe(b, Identity{UserID: "u"})
	s.Add("p", "e1")
	s.Add("p", "e2")
	s.Remove("e1")
	b.Publish(context.Background(), coffer.Event{Type: coffer.EventSecretCreated, ProjectID: "p", EnvironmentID: "e1"})
	if got := len(received(s)); got != 0 {
		t.Fatalf("removed environment: received %d events", got)
	}
	s.Remove("e2")
	b.Publish(context.Background(), coffer.Event{Type: coffer.EventMemberAdded, ProjectID: "p"})
	if got := len(received(s)); got != 0 {
		t.Fatalf("no environment of the project left: received %d events", got)
	}
	s.Close()
	s.Close() // idempotent
	if b.Len() != 0 || len(b.byEnv) != 0 || len(b.byProject) != 0 || len(b.byUser) != 0 {
		t.Fatalf("closed subscription left index entries: %d subs, %v, %v, %v", b.Len(), b.byEnv, b.byProject, b.byUser)
	}
}

func TestBrokerSlowConsumerOverflowsWithoutBlocking(t *testing.T) {
	t.Parallel()
	b := NewBroker(2)
	slow := subscribe(b, Identity{UserID: "slow"})
	defer slow.Close()
	fast := subscribe(b, Identity{UserID: "fast"})
	defer fast.Close()
	slow.Add("p", "e")
	fast.Add("p", "e")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 1000 {
			b.Publish(context.Background(), coffer.Event{Type: coffer.EventSecretUpdated, ProjectID: "p", EnvironmentID: "e", Revision: int64(i)})
			if i%2 == 1 {
				received(fast) // keeps up
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a full queue")
	}
	select {
	case <-slow.Done():
	default:
		t.Fatal("the slow subscription did not end")
	}
	if !errors.Is(slow.Err(), ErrOverflow) {
		t.Fatalf("slow.Err() = %v, want ErrOverflow", slow.Err())
	}
	if fast.Err() != nil {
		t.Fatalf("fast subscriber ended too: %v", fast.Err())
	}
}

func TestSubscriptionQueueIsOrderedAndSignalsUntilEmpty(t *testing.T) {
	t.Parallel()
	b := NewBroker(8)
	s := subscribe(b, Identity{UserID: "u"})
	defer s.Close()
	s.Add("p", "e")
	for i := range 5 {
		b.Publish(context.Background(), coffer.Event{Type: coffer.EventSecretUpdated, ProjectID: "p", EnvironmentID: "e", Revision: int64(i + 1)})
	}
	got := received(s)
	if len(got) != 5 {
		t.Fatalf("received %d events, want 5", len(got))
	}
	for i, e := range got {
		if e.Revision != int64(i+1) {
			t.Fatalf("event %d has revision %d: out of order", i, e.Revision)
		}
	}
	if e, ok := s.Next(); ok {
		t.Fatalf("Next after draining returned %+v", e)
	}
}

// TestIdleSubscriptionHoldsNoQueue guards the memory of idle feeds: a
// subscription allocates no queue until events wait in it, and lets the
// queue go once drained. Not parallel: it counts the process's
// allocations.
func TestIdleSubscriptionHoldsNoQueue(t *testing.T) {
	b := NewBroker(DefaultQueueSize)
	const n = 200
	subs := make([]*Subscription, n)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range subs {
		subs[i] = subscribe(b, Identity{TokenID: strconv.Itoa(i)})
		subs[i].Add("p", "e")
	}
	runtime.ReadMemStats(&after)
	for _, s := range subs {
		defer s.Close()
	}
	// A queue of DefaultQueueSize events made up front would be ~55 KB.
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > 2<<10 {
		t.Fatalf("a subscription allocates %d bytes before any event, want at most 2 KiB", per)
	}
	s := subs[0]
	for range 10 {
		b.Publish(context.Background(), coffer.Event{Type: coffer.EventSecretUpdated, ProjectID: "p", EnvironmentID: "e"})
	}
	if len(received(s)) != 10 {
		t.Fatal("the burst was not delivered")
	}
	s.qmu.Lock()
	defer s.qmu.Unlock()
	if s.queue != nil {
		t.Fatalf("a drained subscription keeps a queue of capacity %d", cap(s.queue))
	}
}

func TestBrokerResyncEndsEverySubscription(t *testing.T) {
	t.Parallel()
	b := NewBroker(2)
	subs := []*Subscription{subscribe(b, Identity{UserID: "a"}), subscribe(b, Identity{TokenID: "t"})}
	b.Resync()
	for i, s := range subs {
		if !errors.Is(s.Err(), ErrResync) {
			t.Errorf("subscription %d: Err() = %v, want ErrResync", i, s.Err())
		}
		s.Close()
	}
}

func BenchmarkPublish(b *testing.B) {
	br := NewBroker(DefaultQueueSize)
	for i := range 1000 {
		ready := make(chan struct{}, 1)
		s := br.Subscribe(Identity{UserID: "u"}, func() {
			select {
			case ready <- struct{}{}:
			default:
			}
		})
		s.Add("p", "e"+string(rune('a'+i%26)))
		go func() {
			for range ready {
				for _, ok := s.Next(); ok; _, ok = s.Next() {
				}
			}
		}()
	}
	e := coffer.Event{Type: coffer.EventSecretUpdated, ProjectID: "p", EnvironmentID: "ea"}
	b.ResetTimer()
	for range b.N {
		br.Publish(context.Background(), e)
	}
}

// Observers hear of changes made on other instances only: this instance's
// own changes drop their cache entries before they are published.
func TestBrokerObserversSeeRelayedEventsOnly(t *testing.T) {
	t.Parallel()
	b := NewBroker(4)
	var observed []string
	b.Observe(func(e coffer.Event) { observed = append(observed, e.Key) })
	s := subscribe(b, Identity{UserID: "u"})
	defer s.Close()
	s.Add("p", "e1")
	b.Publish(context.Background(), coffer.Event{Type: coffer.EventSecretUpdated, ProjectID: "p", EnvironmentID: "e1", Key: "LOCAL"})
	b.Relay(coffer.Event{Type: coffer.EventSecretUpdated, ProjectID: "p", EnvironmentID: "e1", Key: "REMOTE"})
	if len(observed) != 1 || observed[0] != "REMOTE" {
		t.Fatalf("observed %v, want [REMOTE]", observed)
	}
	if got := len(received(s)); got != 2 {
		t.Fatalf("subscriber received %d events, want both", got)
	}
}

// A subscriber holds no goroutine while it waits: it is told of
// every event queued and of the end, and Pending covers a notification
// that came while it was draining.
func TestSubscribeNotifiesEventsAndEnd(t *testing.T) {
	t.Parallel()
	b := NewBroker(2)
	notified := 0
	s := b.Subscribe(Identity{UserID: "u"}, func() { notified++ })
	defer s.Close()
	s.Add("p", "e")
	e := coffer.Event{Type: coffer.EventSecretUpdated, ProjectID: "p", EnvironmentID: "e"}
	b.Publish(context.Background(), e)
	if notified != 1 || !s.Pending() {
		t.Fatalf("after one event: %d notifications, pending %v; want 1, true", notified, s.Pending())
	}
	if _, ok := s.Next(); !ok {
		t.Fatal("the event is not queued")
	}
	if notified != 1 || s.Pending() {
		t.Fatalf("after draining: %d notifications, pending %v; want 1, false", notified, s.Pending())
	}
	b.Publish(context.Background(), e, e, e) // one more than the queue holds
	if !errors.Is(s.Err(), ErrOverflow) || !s.Pending() {
		t.Fatalf("Err() = %v, pending %v; want ErrOverflow, true", s.Err(), s.Pending())
	}
	if notified != 4 { // two events queued, then the end
		t.Fatalf("%d notifications, want 4", notified)
	}
	select {
	case <-s.Done():
	default:
		t.Fatal("Done, asked for after the end, is not closed")
	}
}
