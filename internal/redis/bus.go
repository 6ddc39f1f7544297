package redis

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/google/uuid"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/events"
	"github.com/cofferhq/coffer/internal/recovery"
)

// panicPause is how long the receiver waits after a recovered panic, so
// that one that repeats (a poison message, a broken subscriber) is
// reported at a bounded rate instead of spinning.
const panicPause = 500 * time.Millisecond

// outboxSize bounds the events waiting to be sent to Redis; beyond it
// they are dropped (and other instances' subscribers resync when the bus
// recovers), because a write must never wait for the bus.
const outboxSize = 1024

// envelope is one message on the channel: the events of one Publish and
// the instance that sent them, which ignores its own.
type envelope struct {
	Origin string         `json:"origin"`
	Events []coffer.Event `json:"events"`
}

// Bus is a coffer.EventPublisher that delivers events to the local broker
// at once and to every other instance's broker through Redis pub/sub.
//
// A panic in its goroutines is recovered per message, logged with its
// stack and reported (Config.PanicHook), and the bus goes on: a message
// being sent is dropped, as when the queue is full; a message being
// received may have reached only some subscribers, so every local
// subscriber is told to resync, as after a gap.
type Bus struct {
	c       *Client
	local   *events.Broker
	channel string
	origin  string
	log     *slog.Logger

	outbox chan []coffer.Event
	ps     *goredis.PubSub
	cancel context.CancelFunc
	done   chan struct{}
}

var _ coffer.EventPublisher = (*Bus)(nil)

// NewBus starts a bus on channel (the client's key prefix and "events" if
// "") that feeds local with the events of other instances. Close stops it.
func NewBus(c *Client, local *events.Broker, channel string) *Bus {
	if channel == "" {
		channel = c.prefix + "events"
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Bus{
		c: c, local: local, channel: channel, origin: uuid.NewString(), log: c.log,
		outbox: make(chan []coffer.Event, outboxSize), cancel: cancel, done: make(chan struct{}),
	}
	b.ps = c.rdb.Subscribe(ctx, channel)
	go func() {
		defer close(b.done)
		go b.send(ctx)
		b.receive(ctx, b.ps)
	}()
	return b
}

// Publish delivers events to local subscribers now and queues them for
// the other instances. It never blocks: with the queue full (Redis slow
// or down) the remote copy is dropped and logged.
func (b *Bus) Publish(ctx context.Context, evs ...coffer.Event) {
	if len(evs) == 0 {
		return
	}
	b.local.Publish(ctx, evs...)
	select {
	case b.outbox <- evs:
	default:
		b.log.Warn("event bus queue full; events not sent to other instances", "events", len(evs))
	}
}

// Close stops the bus; events still queued are dropped.
func (b *Bus) Close() {
	b.cancel()
	_ = b.ps.Close() // unblocks a pending receive, which ignores ctx
	<-b.done
}

func (b *Bus) send(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case evs := <-b.outbox:
			_ = recovery.Do(b.log, "event bus send", func() { b.sendOne(ctx, evs) }, b.c.panicHook)
		}
	}
}

// sendOne publishes the events of one Publish to the other instances.
func (b *Bus) sendOne(ctx context.Context, evs []coffer.Event) {
	payload, err := json.Marshal(envelope{Origin: b.origin, Events: evs})
	if err != nil {
		b.log.Error("encode events for the bus", "error", err)
		return
	}
	if !b.c.usable() {
		return // down: dropped; remote subscribers resync when it is back
	}
	b.c.report(b.c.rdb.Publish(ctx, b.channel, payload).Err())
}

// receive feeds the local broker from the channel. go-redis reconnects
// and resubscribes on its own; a subscription confirmed after an error
// means messages may have been missed in between, so every local
// subscriber is told to resync.
func (b *Bus) receive(ctx context.Context, ps *goredis.PubSub) {
	gap := false
	for ctx.Err() == nil {
		err := recovery.Do(b.log, "event bus receive", func() { b.receiveOne(ctx, ps, &gap) }, b.c.panicHook)
		if err != nil {
			_ = recovery.Do(b.log, "event bus resync", b.local.Resync, b.c.panicHook)
			pause(ctx, panicPause)
		}
	}
}

// receiveOne waits for one message (or a timeout, or an error) and handles
// it.
func (b *Bus) receiveOne(ctx context.Context, ps *goredis.PubSub, gap *bool) {
	msg, err := ps.ReceiveTimeout(ctx, 15*time.Second)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			// Quiet channel: ping, so that a dead connection shows.
			if err := ps.Ping(ctx); err != nil {
				b.down(ctx, err, gap)
			}
			return
		}
		b.down(ctx, err, gap)
		return
	}
	switch m := msg.(type) {
	case *goredis.Subscription:
		b.c.report(nil)
		if *gap {
			*gap = false
			b.log.Info("event bus resubscribed after a gap; live feeds resync")
			b.local.Resync()
		}
	case *goredis.Pong:
		b.c.report(nil)
	case *goredis.Message:
		var env envelope
		if err := json.Unmarshal([]byte(m.Payload), &env); err != nil {
			b.log.Warn("undecodable message on the event bus", "error", err)
			return
		}
		if env.Origin != b.origin {
			b.local.Relay(env.Events...)
		}
	}
}

// down records a receive failure and waits a little before the next try,
// which reconnects.
func (b *Bus) down(ctx context.Context, err error, gap *bool) {
	*gap = true
	b.c.report(err)
	pause(ctx, 500*time.Millisecond)
}

// pause waits for d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
