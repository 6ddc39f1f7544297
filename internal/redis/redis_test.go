package redis

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/events"
	"github.com/cofferhq/coffer/internal/logtest"
	"github.com/cofferhq/coffer/internal/ratelimit"
	"github.com/cofferhq/coffer/internal/redis/redistest"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func mustOpen(t *testing.T, url, name string) *Client {
	t.Helper()
	c, err := Open(Config{URL: url, Name: name, Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// memoryLimiter returns an in-process fallback limiter whose janitor stops
// with the test.
func memoryLimiter(t *testing.T) *ratelimit.Memory {
	t.Helper()
	m := ratelimit.NewMemory()
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func TestOpenRefusesBadURLWithoutQuotingIt(t *testing.T) {
	t.Parallel()
	_, err := Open(Config{URL: "memcached://:hunter2@h", Logger: discard()})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err = %v, want an error that does not quote the URL", err)
	}
}

func TestLimiterSharedByInstances(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	a := NewLimiter(mustOpen(t, url, "coffer-test-a"), memoryLimiter(t))
	b := NewLimiter(mustOpen(t, url, "coffer-test-b"), memoryLimiter(t))
	key := "login:" + uuid.NewString()
	lim := ratelimit.Limit{Rate: 4, Period: time.Minute, Burst: 4}
	allowed := 0
	for i := range 8 {
		l := a
		if i%2 == 1 {
			l = b
		}
		res, err := l.Allow(t.Context(), key, lim)
		if err != nil {
			t.Fatal(err)
		}
		if res.Allowed {
			allowed++
		} else if res.RetryAfter <= 0 {
			t.Errorf("refusal %d without RetryAfter: %+v", i, res)
		}
	}
	if allowed != 4 {
		t.Fatalf("two instances allowed %d of 8 events under a shared burst of 4", allowed)
	}
}

func TestLimiterFallsBackWhenRedisIsDown(t *testing.T) {
	t.Parallel()
	var states []bool
	c, err := Open(Config{URL: redistest.Unreachable, Logger: discard(), OnState: func(up bool) { states = append(states, up) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l := NewLimiter(c, memoryLimiter(t))
	lim := ratelimit.Limit{Rate: 2, Period: time.Minute, Burst: 2}
	var got []bool
	start := time.Now()
	for range 3 {
		res, err := l.Allow(t.Context(), "k", lim)
		if err != nil {
			t.Fatalf("Allow with Redis down: %v", err)
		}
		got = append(got, res.Allowed)
	}
	if got[0] != true || got[1] != true || got[2] != false {
		t.Fatalf("fallback decisions %v, want [true true false]: limits hold per instance, never open", got)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("three decisions with Redis down took %v", d)
	}
	if len(states) != 2 || states[0] != true || states[1] != false {
		t.Errorf("state changes %v, want [true false] (down reported once)", states)
	}
}

func TestLimiterRefusesMisuse(t *testing.T) {
	t.Parallel()
	l := NewLimiter(mustOpen(t, redistest.Unreachable, ""), memoryLimiter(t))
	if _, err := l.Allow(t.Context(), "", ratelimit.PerMinute(1)); coffer.ErrorCode(err) != coffer.EINVALID {
		t.Errorf("empty key: %v", err)
	}
	if _, err := l.Allow(t.Context(), "k", ratelimit.Limit{}); coffer.ErrorCode(err) != coffer.EINVALID {
		t.Errorf("zero limit: %v", err)
	}
}

// subscriber is a subscription with the channel its notifications
// signal, for a test that waits for events.
type subscriber struct {
	*events.Subscription
	ready chan struct{}
}

func subscribe(b *events.Broker, id events.Identity) subscriber {
	ready := make(chan struct{}, 1)
	s := b.Subscribe(id, func() {
		select {
		case ready <- struct{}{}:
		default: // already signalled
		}
	})
	return subscriber{s, ready}
}

// recv waits for one event on s.
func recv(t *testing.T, s subscriber) coffer.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		if e, ok := s.Next(); ok {
			return e
		}
		select {
		case <-s.ready:
		case <-deadline:
			t.Fatal("no event within 5 s")
		}
	}
}

func TestBusCarriesEventsBetweenInstances(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	channel := "coffer:test:" + uuid.NewString()
	brokerA, brokerB := events.NewBroker(0), events.NewBroker(0)
	busA := NewBus(mustOpen(t, url, "coffer-test-a"), brokerA, channel)
	defer busA.Close()
	busB := NewBus(mustOpen(t, url, "coffer-test-b"), brokerB, channel)
	defer busB.Close()
	subA := subscribe(brokerA, events.Identity{UserID: "u"})
	defer subA.Close()
	subB := subscribe(brokerB, events.Identity{UserID: "u"})
	defer subB.Close()
	subA.Add("p", "e")
	subB.Add("p", "e")
	waitSubscribed(t, busB)

	e := coffer.Event{Type: coffer.EventSecretUpdated, ProjectID: "p", EnvironmentID: "e", Key: "K", Version: 2, Revision: 7}
	busA.Publish(t.Context(), e)
	if got := recv(t, subA); got.Key != "K" {
		t.Fatalf("local subscriber got %+v", got)
	}
	if got := recv(t, subB); got.Key != "K" || got.Revision != 7 {
		t.Fatalf("remote subscriber got %+v", got)
	}
	time.Sleep(200 * time.Millisecond)
	if dup, ok := subA.Next(); ok {
		t.Fatalf("the publishing instance got its own event twice: %+v", dup)
	}
}

func TestBusResyncsSubscribersAfterAGap(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	name := "coffer-test-gap-" + uuid.NewString()[:8]
	c := mustOpen(t, url, name)
	broker := events.NewBroker(0)
	bus := NewBus(c, broker, "coffer:test:"+uuid.NewString())
	defer bus.Close()
	waitSubscribed(t, bus)
	sub := subscribe(broker, events.Identity{UserID: "u"})
	defer sub.Close()

	killPubSub(t, url, name)
	select {
	case <-sub.Done():
		if sub.Err() != events.ErrResync {
			t.Fatalf("Err() = %v, want ErrResync", sub.Err())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("subscriber not told to resync after the bus connection dropped")
	}
}

// waitSubscribed waits until the bus's subscription is confirmed, so that
// a message published next reaches it.
func waitSubscribed(t *testing.T, b *Bus) {
	t.Helper()
	admin := b.c.rdb
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		n, err := admin.PubSubNumSub(t.Context(), b.channel).Result()
		if err == nil && n[b.channel] > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the bus did not subscribe within 5 s")
}

// killPubSub drops the pub/sub connection of the client named name, as a
// Redis restart or a network cut would.
func killPubSub(t *testing.T, url, name string) {
	t.Helper()
	admin := mustOpen(t, url, "coffer-test-admin")
	list, err := admin.rdb.ClientList(t.Context()).Result()
	if err != nil {
		t.Fatal(err)
	}
	var killed atomic.Int32
	for _, line := range strings.Split(list, "\n") {
		if !strings.Contains(line, " name="+name+" ") || !strings.Contains(line, "cmd=subscribe") && !strings.Contains(line, "sub=1") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if id, ok := strings.CutPrefix(f, "id="); ok {
				if err := admin.rdb.Do(context.Background(), "CLIENT", "KILL", "ID", id).Err(); err != nil {
					t.Fatal(err)
				}
				killed.Add(1)
			}
		}
	}
	if killed.Load() == 0 {
		t.Fatalf("no pub/sub connection named %s in CLIENT LIST", name)
	}
}

// TestBusSurvivesPanic: a panic while a received event is delivered (here
// in an observer of the local broker) is logged with its stack and
// reported, the local subscribers are told to resync (the event may have
// reached only some of them), and the bus goes on relaying later events.
func TestBusSurvivesPanic(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	channel := "coffer:test:" + uuid.NewString()
	var logs logtest.Buffer
	var reported atomic.Int32
	cB, err := Open(Config{URL: url, Name: "coffer-test-panic-b", Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		PanicHook: func(context.Context, any, []byte) { reported.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer cB.Close()
	brokerA, brokerB := events.NewBroker(0), events.NewBroker(0)
	busA := NewBus(mustOpen(t, url, "coffer-test-panic-a"), brokerA, channel)
	defer busA.Close()
	busB := NewBus(cB, brokerB, channel)
	defer busB.Close()
	var panics atomic.Int32
	panics.Store(1)
	relayed := make(chan coffer.Event, 4)
	brokerB.Observe(func(e coffer.Event) {
		if panics.Add(-1) >= 0 {
			panic("observer exploded")
		}
		relayed <- e
	})
	sub := subscribe(brokerB, events.Identity{UserID: "u"})
	defer sub.Close()
	sub.Add("p", "e")
	waitSubscribed(t, busB)

	busA.Publish(t.Context(), coffer.Event{Type: coffer.EventSecretUpdated, ProjectID: "p", EnvironmentID: "e", Key: "FIRST", Revision: 1})
	select {
	case <-sub.Done():
		if sub.Err() != events.ErrResync {
			t.Fatalf("Err() = %v, want ErrResync", sub.Err())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("subscriber not told to resync after the panic")
	}
	if n := reported.Load(); n != 1 {
		t.Fatalf("panic reported %d times, want once", n)
	}
	busA.Publish(t.Context(), coffer.Event{Type: coffer.EventSecretUpdated, ProjectID: "p", EnvironmentID: "e", Key: "SECOND", Revision: 2})
	select {
	case e := <-relayed:
		if e.Key != "SECOND" {
			t.Fatalf("relayed %+v, want SECOND", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the bus stopped relaying after the panic")
	}
	if out := logs.String(); !strings.Contains(out, `"job":"event bus receive"`) || !strings.Contains(out, "bus.go") {
		t.Errorf("panic not logged with its job and stack:\n%.2000s", out)
	}
}
