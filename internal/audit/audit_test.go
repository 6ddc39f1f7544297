package audit_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/audit"
	"github.com/cofferhq/coffer/internal/logtest"
	"github.com/cofferhq/coffer/internal/store"
	"github.com/cofferhq/coffer/internal/storetest"
)

func eachStore(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, storetest.OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); fn(t, storetest.OpenPostgres(t)) })
}

func event(i int) *coffer.AuditEvent {
	return &coffer.AuditEvent{
		ID: fmt.Sprintf("0190b000-0000-7000-8000-%012d", i), Time: time.Now(), ActorType: coffer.ActorUser,
		ActorID: "u", Action: coffer.AuditSecretsRead, Outcome: coffer.OutcomeSuccess, Keys: []string{"A", "B"},
	}
}

// TestGroupCommit: concurrent readers all get their event committed, in
// fewer transactions than events, and the chain verifies.
func TestGroupCommit(t *testing.T) {
	eachStore(t, func(t *testing.T, st *store.Store) {
		var mu sync.Mutex
		batches, events := 0, 0
		w := audit.NewWriter(st, slog.New(slog.DiscardHandler), func(outcome string, _ time.Duration, n int) {
			mu.Lock()
			defer mu.Unlock()
			if outcome != coffer.OutcomeSuccess {
				t.Errorf("batch outcome %s", outcome)
			}
			batches++
			events += n
		})
		const n = 200
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				if err := w.Record(t.Context(), event(i)); err != nil {
					t.Errorf("record: %v", err)
				}
			})
		}
		wg.Wait()
		w.Close()
		if events != n || batches >= n {
			t.Fatalf("%d events in %d batches", events, batches)
		}
		got, err := audit.Verify(t.Context(), st)
		if err != nil || got != (audit.Chain{Events: n}) {
			t.Fatalf("verify: %+v, %v", got, err)
		}
		if err := w.Record(t.Context(), event(n+1)); !errors.Is(err, audit.ErrClosed) {
			t.Fatalf("record after close: %v", err)
		}
	})
}

// TestVerifyDetectsTampering edits, removes and truncates events behind
// the chain's back.
func TestVerifyDetectsTampering(t *testing.T) {
	tampers := map[string]string{
		"Edited":    `UPDATE audit_events SET actor_id = 'someone-else' WHERE seq = 3`,
		"Backdated": `UPDATE audit_events SET occurred_at = occurred_at - 3600000000 WHERE seq = 3`,
		"Removed":   `DELETE FROM audit_events WHERE seq = 3`,
		"Truncated": `DELETE FROM audit_events WHERE seq = 5`,
		"Reordered": `UPDATE audit_events SET action = 'auth.login' WHERE seq = 1`,
	}
	for name, stmt := range tampers {
		t.Run(name, func(t *testing.T) {
			eachStore(t, func(t *testing.T, st *store.Store) {
				ctx := t.Context()
				for i := range 5 {
					if err := st.Tx(ctx, func(tx *store.Tx) error { return audit.Append(ctx, tx, event(i)) }); err != nil {
						t.Fatal(err)
					}
				}
				if c, err := audit.Verify(ctx, st); err != nil || c != (audit.Chain{Events: 5}) {
					t.Fatalf("intact chain: %+v, %v", c, err)
				}
				if _, err := st.DB().ExecContext(ctx, stmt); err != nil {
					t.Fatal(err)
				}
				if _, err := audit.Verify(ctx, st); !errors.Is(err, audit.ErrBroken) {
					t.Fatalf("tampering not detected: %v", err)
				}
			})
		})
	}
}

// TestWriterFailsClosed: when the database cannot take the batch, every
// caller gets an error, so no read goes unrecorded.
func TestWriterFailsClosed(t *testing.T) {
	st := storetest.OpenSQLite(t)
	w := audit.NewWriter(st, slog.New(slog.DiscardHandler), nil)
	defer w.Close()
	if _, err := st.DB().ExecContext(t.Context(), `DROP TABLE audit_events`); err != nil {
		t.Fatal(err)
	}
	err := w.Record(context.Background(), event(1))
	if coffer.ErrorCode(err) != coffer.EUNAVAILABLE {
		t.Fatalf("want unavailable, got %v", err)
	}
}

// TestWriterSharesTheChain: a writer chains batches onto the head it last
// wrote without locking it; when another writer (a change's transaction,
// another instance) has moved the head meanwhile, the batch is chained
// again from the real head, and the chain stays whole.
func TestWriterSharesTheChain(t *testing.T) {
	eachStore(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		w := audit.NewWriter(st, slog.New(slog.DiscardHandler), nil)
		other := audit.NewWriter(st, slog.New(slog.DiscardHandler), nil)
		i := 0
		record := func(w *audit.Writer) {
			t.Helper()
			i++
			if err := w.Record(ctx, event(i)); err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
		}
		record(w) // learns the head
		record(w) // chained onto it
		if err := st.Tx(ctx, func(tx *store.Tx) error { return audit.Append(ctx, tx, event(100)) }); err != nil {
			t.Fatal(err)
		}
		record(w) // finds the head moved
		record(other)
		record(w)
		var wg sync.WaitGroup
		for range 50 {
			for _, w := range []*audit.Writer{w, other} {
				wg.Go(func() {
					if err := w.Record(ctx, event(200)); err != nil {
						t.Error(err)
					}
				})
			}
		}
		wg.Wait()
		w.Close()
		other.Close()
		if c, err := audit.Verify(ctx, st); err != nil || c.Events != 106 {
			t.Fatalf("verify: %+v, %v", c, err)
		}
	})
}

// panickyStore panics in the store calls of the writer while its counters
// say so, as a bug in the store or the chain code would.
type panickyStore struct {
	*store.Store
	txPanics, appendPanics atomic.Int32
}

func (s *panickyStore) Tx(ctx context.Context, fn func(*store.Tx) error) error {
	if s.txPanics.Add(-1) >= 0 {
		panic("store exploded in Tx")
	}
	return s.Store.Tx(ctx, fn)
}

func (s *panickyStore) AppendAuditAfter(ctx context.Context, events []*coffer.AuditEvent) (bool, error) {
	if s.appendPanics.Add(-1) >= 0 {
		panic("store exploded in AppendAuditAfter")
	}
	return s.Store.AppendAuditAfter(ctx, events)
}

// TestWriterRecoversFromPanic: a batch whose write panics — on the locked
// path (head unknown) or on the fast path (head known) — fails its caller
// with unavailable (audit fails closed), the panic is logged with its stack
// and reported, and the writer goes on recording later events on a chain
// that still verifies. A panicking observer costs its sample only.
func TestWriterRecoversFromPanic(t *testing.T) {
	eachStore(t, func(t *testing.T, st *store.Store) {
		ps := &panickyStore{Store: st}
		var logs logtest.Buffer
		var reported atomic.Int32
		var observerPanics atomic.Int32
		var failures atomic.Int32
		w := audit.NewWriter(ps, slog.New(slog.NewJSONHandler(&logs, nil)), func(outcome string, _ time.Duration, _ int) {
			if outcome == coffer.OutcomeFailure {
				failures.Add(1)
			}
			if observerPanics.Add(-1) >= 0 {
				panic("observer exploded")
			}
		}, audit.WithPanicHook(func(_ context.Context, v any, stack []byte) {
			if v == nil || len(stack) == 0 {
				t.Error("hook without value or stack")
			}
			reported.Add(1)
		}))
		defer w.Close()
		n := 0
		record := func() error {
			n++
			return w.Record(t.Context(), event(n))
		}
		mustRecord := func(what string) {
			t.Helper()
			if err := record(); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		wantRefused := func(what string) {
			t.Helper()
			n0 := reported.Load()
			if err := record(); coffer.ErrorCode(err) != coffer.EUNAVAILABLE {
				t.Fatalf("%s: want unavailable, got %v", what, err)
			}
			if reported.Load() != n0+1 {
				t.Fatalf("%s: panic reported %d times, want once", what, reported.Load()-n0)
			}
		}

		ps.txPanics.Store(1)
		wantRefused("panic on the locked path")
		mustRecord("first record after the panic")  // head unknown: locked path
		mustRecord("second record after the panic") // head known: fast path

		ps.appendPanics.Store(1)
		wantRefused("panic on the fast path")
		mustRecord("record after the fast-path panic")
		mustRecord("next record")

		observerPanics.Store(1)
		mustRecord("record with a panicking observer")
		mustRecord("record after the observer panicked")

		if got := failures.Load(); got != 2 {
			t.Errorf("%d batches observed as failures, want 2", got)
		}
		if got, err := audit.Verify(t.Context(), st); err != nil || got.Events != 6 {
			t.Fatalf("verify: %+v, %v; want the 6 recorded", got, err)
		}
		out := logs.String()
		for _, want := range []string{`"msg":"panic in background job"`, `"job":"audit writer"`, "store exploded in Tx",
			"store exploded in AppendAuditAfter", `"job":"audit writer observer"`, "writer.go"} {
			if !strings.Contains(out, want) {
				t.Errorf("log lacks %s:\n%s", want, out)
			}
		}
	})
}

// stalledStore holds every write until release is closed.
type stalledStore struct {
	*store.Store
	release chan struct{}
}

func (s *stalledStore) Tx(ctx context.Context, fn func(*store.Tx) error) error {
	<-s.release
	return s.Store.Tx(ctx, fn)
}

func (s *stalledStore) AppendAuditAfter(ctx context.Context, events []*coffer.AuditEvent) (bool, error) {
	<-s.release
	return s.Store.AppendAuditAfter(ctx, events)
}

// TestRecordHonoursItsContextWhenTheQueueIsFull: while the database stalls,
// callers that find the queue full give up when their context ends, and
// their events are not written; the queued ones wait for their answer past
// their context and are written once the database answers.
func TestRecordHonoursItsContextWhenTheQueueIsFull(t *testing.T) {
	st := &stalledStore{Store: storetest.OpenSQLite(t), release: make(chan struct{})}
	w := audit.NewWriter(st, slog.New(slog.DiscardHandler), nil)
	defer w.Close()
	// The stalled batch takes up to 512 events, the queue 4×512 more: the
	// rest cannot get in.
	const callers = 5*512 + 50
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	var written, refused atomic.Int32
	for i := range callers {
		wg.Go(func() {
			switch err := w.Record(ctx, event(i)); {
			case err == nil:
				written.Add(1)
			case errors.Is(err, context.DeadlineExceeded):
				refused.Add(1)
			default:
				t.Errorf("record %d: %v", i, err)
			}
		})
	}
	<-ctx.Done()
	time.Sleep(50 * time.Millisecond) // the refused return at once; the rest wait
	if refused.Load() < 50 || written.Load() != 0 {
		t.Fatalf("before the database answers: %d refused, %d written; want 50 or more refused, none written", refused.Load(), written.Load())
	}
	close(st.release)
	wg.Wait()
	w.Close()
	if written.Load()+refused.Load() != callers {
		t.Fatalf("%d written + %d refused != %d callers", written.Load(), refused.Load(), callers)
	}
	if c, err := audit.Verify(t.Context(), st.Store); err != nil || c.Events != int64(written.Load()) {
		t.Fatalf("verify: %+v, %v; want the %d written", c, err, written.Load())
	}
}
