package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/recovery"
	"github.com/cofferhq/coffer/internal/store"
)

// maxBatch bounds one group commit; larger bursts take several.
const maxBatch = 512

// Observer receives every batch written: its outcome ("success" or
// "failure"), how long the commit took and how many events it held.
type Observer func(outcome string, d time.Duration, events int)

// Store is what a Writer needs of the store; *store.Store implements it.
type Store interface {
	// Tx runs fn in a transaction (see store.Store.Tx).
	Tx(ctx context.Context, fn func(*store.Tx) error) error
	// AppendAuditAfter appends events already chained onto the head they
	// name, reporting false when the head has moved since.
	AppendAuditAfter(ctx context.Context, events []*coffer.AuditEvent) (bool, error)
}

// Option configures a Writer.
type Option func(*Writer)

// WithPanicHook passes a panic recovered in the commit loop to hook (the
// error reporter) besides the log.
func WithPanicHook(hook recovery.Hook) Option { return func(w *Writer) { w.panicHook = hook } }

// Writer records audit events that are not part of a change's own
// transaction — reads and failed logins — with group commit: callers that
// arrive while a batch is being committed wait together and are written in
// the next single transaction. Every caller still gets its event durable
// before Record returns, but a busy server pays one commit per batch, not
// per request.
//
// A panic while a batch is written (a bug in the store or the chain code)
// is recovered, logged with its stack and reported: the batch fails as a
// database error fails it — every caller in it gets an error, so audit
// fails closed — and the loop goes on with the next batch, which finds the
// chain head afresh. A panic in the observer costs its sample only.
type Writer struct {
	store     Store
	log       *slog.Logger
	observe   Observer
	panicHook recovery.Hook
	queue     chan pending
	done      chan struct{}

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool

	// The chain head as of this writer's last batch, used only by the
	// loop: the next batch is chained onto it without taking the head
	// lock. head.seq 0 means unknown; missedAt is when another writer was
	// last found to have moved it.
	head     chainHead
	missedAt time.Time
}

type chainHead struct {
	seq  int64
	hash []byte
}

type pending struct {
	event  *coffer.AuditEvent
	result chan error
}

// NewWriter starts the writer's commit loop; Close stops it.
func NewWriter(st Store, log *slog.Logger, observe Observer, opts ...Option) *Writer {
	if observe == nil {
		observe = func(string, time.Duration, int) {}
	}
	w := &Writer{
		store:   st,
		log:     log,
		observe: observe,
		queue:   make(chan pending, 4*maxBatch),
		done:    make(chan struct{}),
	}
	for _, o := range opts {
		o(w)
	}
	go w.loop() // commit recovers a panic in a batch: the loop never ends on one
	return w
}

// ErrClosed is returned by Record after Close.
var ErrClosed = errors.New("audit writer closed")

// Record appends e to the chain and returns once it is committed. An error
// means the event is not stored, and the caller must fail its request.
func (w *Writer) Record(ctx context.Context, e *coffer.AuditEvent) error {
	p := pending{event: e, result: make(chan error, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return ErrClosed
	}
	// Waiting on ctx only when the queue is full spares a request that
	// never waits its deadline's timer (httpx.Timeout starts it on Done).
	select {
	case w.queue <- p:
	default:
		select {
		case w.queue <- p:
		case <-ctx.Done():
			w.mu.RUnlock()
			return fmt.Errorf("queue audit event: %w", ctx.Err())
		}
	}
	w.mu.RUnlock()
	// Once queued the event will be written or failed; wait for the answer
	// even if ctx ends, so the caller never returns a value whose read is
	// not on record.
	return <-p.result
}

// Close writes what is queued and stops the loop.
func (w *Writer) Close() {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	close(w.queue)
	w.mu.Unlock()
	<-w.done
}

func (w *Writer) loop() {
	defer close(w.done)
	batch := make([]pending, 0, maxBatch)
	for first := range w.queue {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < maxBatch {
			select {
			case p, ok := <-w.queue:
				if !ok {
					break fill
				}
				batch = append(batch, p)
			default:
				break fill
			}
		}
		w.commit(batch)
	}
}

// commit writes batch and answers every caller in it.
func (w *Writer) commit(batch []pending) {
	events := make([]*coffer.AuditEvent, len(batch))
	for i, p := range batch {
		events[i] = p.event
	}
	start := time.Now()
	var err error
	if perr := recovery.Do(w.log, "audit writer", func() {
		// The batch outlives any one caller's context: it is shared.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = w.write(ctx, events)
	}, w.panicHook); perr != nil {
		// Cut short, the batch may or may not be on the chain: the next
		// one takes the head lock and reads the head.
		w.head = chainHead{}
		err = perr
	}
	outcome := coffer.OutcomeSuccess
	if err != nil {
		outcome = coffer.OutcomeFailure
	}
	// A panicking observer costs its sample, never the callers' answers.
	_ = recovery.Do(w.log, "audit writer observer", func() { w.observe(outcome, time.Since(start), len(events)) }, w.panicHook)
	if err != nil {
		if !errors.Is(err, recovery.ErrPanic) { // a panic is logged where it was recovered
			w.log.Error("audit batch failed", slog.Int("events", len(events)), slog.Any("error", err))
		}
		err = coffer.Errorf(coffer.EUNAVAILABLE, "The audit log cannot be written; the request was refused.")
	}
	for _, p := range batch {
		p.result <- err
	}
}

// retryFastAfter is how long the writer takes the head lock for every
// batch after finding the head moved by another writer (another instance,
// or a change's own transaction): while they interleave, a guess would
// mostly miss and cost a round trip.
const retryFastAfter = time.Second

// write commits events. While this writer is the only one appending, it
// chains them onto the head it last wrote and appends them in one
// statement; when the head has moved, or is unknown, it chains them in a
// transaction holding the head lock. Both end with the same chain.
func (w *Writer) write(ctx context.Context, events []*coffer.AuditEvent) error {
	if w.head.seq > 0 && time.Since(w.missedAt) > retryFastAfter {
		link(w.head.seq, w.head.hash, events)
		ok, err := w.store.AppendAuditAfter(ctx, events)
		if err != nil {
			w.head = chainHead{}
			return err
		}
		if ok {
			w.moveHead(events)
			return nil
		}
		w.missedAt = time.Now()
	}
	if err := w.store.Tx(ctx, func(tx *store.Tx) error { return Append(ctx, tx, events...) }); err != nil {
		w.head = chainHead{}
		return err
	}
	w.moveHead(events)
	return nil
}

func (w *Writer) moveHead(events []*coffer.AuditEvent) {
	last := events[len(events)-1]
	w.head = chainHead{seq: last.Seq, hash: last.Hash}
}
