package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

type ctxKey string

// The lazy deadline must behave as context.WithDeadline does, whichever
// method is called first.
func TestLazyDeadlineBehavesAsWithDeadline(t *testing.T) {
	t.Parallel()
	const d = 30 * time.Millisecond
	tests := []struct {
		name string
		// use runs against the context before the deadline passes
		use func(t *testing.T, ctx context.Context)
	}{
		{"WaitedOn", func(t *testing.T, ctx context.Context) {
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("Done not closed at the deadline")
			}
		}},
		{"NeverWaitedOn", func(t *testing.T, ctx context.Context) {
			if err := ctx.Err(); err != nil {
				t.Fatalf("Err before the deadline = %v", err)
			}
			time.Sleep(2 * d)
		}},
		{"DerivedContext", func(t *testing.T, ctx context.Context) {
			child, cancel := context.WithCancel(ctx)
			defer cancel()
			<-child.Done()
			if !errors.Is(child.Err(), context.DeadlineExceeded) {
				t.Fatalf("child.Err() = %v", child.Err())
			}
		}},
		{"AfterFunc", func(t *testing.T, ctx context.Context) {
			ran := make(chan struct{})
			context.AfterFunc(ctx, func() { close(ran) })
			<-ran
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parent := context.WithValue(context.Background(), ctxKey("k"), "v")
			at := time.Now().Add(d)
			ctx := withLazyDeadline(parent, at)
			defer ctx.stop()
			if got, ok := ctx.Deadline(); !ok || !got.Equal(at) {
				t.Fatalf("Deadline() = %v, %v", got, ok)
			}
			tt.use(t, ctx)
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				t.Fatalf("Err() = %v, want DeadlineExceeded", ctx.Err())
			}
			if !errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
				t.Fatalf("Cause = %v", context.Cause(ctx))
			}
			select {
			case <-ctx.Done():
			default:
				t.Fatal("Done open after the deadline")
			}
			if ctx.Value(ctxKey("k")) != "v" {
				t.Fatal("lost the parent's value")
			}
		})
	}
}

func TestLazyDeadlineFollowsItsParent(t *testing.T) {
	t.Parallel()
	t.Run("CancelledBeforeWaiting", func(t *testing.T) {
		t.Parallel()
		parent, cancel := context.WithCancel(context.Background())
		ctx := withLazyDeadline(parent, time.Now().Add(time.Hour))
		defer ctx.stop()
		cancel()
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Fatalf("Err() = %v", ctx.Err())
		}
		<-ctx.Done()
	})
	t.Run("CancelledWhileWaiting", func(t *testing.T) {
		t.Parallel()
		parent, cancel := context.WithCancelCause(context.Background())
		ctx := withLazyDeadline(parent, time.Now().Add(time.Hour))
		defer ctx.stop()
		done := ctx.Done()
		cause := errors.New("client went away")
		cancel(cause)
		<-done
		if !errors.Is(ctx.Err(), context.Canceled) || !errors.Is(context.Cause(ctx), cause) {
			t.Fatalf("Err() = %v, Cause = %v", ctx.Err(), context.Cause(ctx))
		}
	})
	t.Run("EarlierParentDeadline", func(t *testing.T) {
		t.Parallel()
		early := time.Now().Add(time.Minute)
		parent, cancel := context.WithDeadline(context.Background(), early)
		defer cancel()
		ctx := withLazyDeadline(parent, time.Now().Add(time.Hour))
		defer ctx.stop()
		if got, _ := ctx.Deadline(); !got.Equal(early) {
			t.Fatalf("Deadline() = %v, want the parent's %v", got, early)
		}
	})
	t.Run("StoppedBeforeAnyWait", func(t *testing.T) {
		t.Parallel()
		ctx := withLazyDeadline(context.Background(), time.Now().Add(time.Hour))
		ctx.stop()
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Fatalf("Err() after stop = %v, want Canceled as a WithTimeout's after its cancel", ctx.Err())
		}
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("Done open after stop")
		}
	})
	t.Run("StopCancelsAStartedTimer", func(t *testing.T) {
		t.Parallel()
		ctx := withLazyDeadline(context.Background(), time.Now().Add(time.Hour))
		done := ctx.Done()
		ctx.stop()
		<-done
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Fatalf("Err() after stop = %v", ctx.Err())
		}
		ctx.stop() // twice is harmless
	})
}

// Many waiters at once share one timer and one channel.
func TestLazyDeadlineConcurrentWaiters(t *testing.T) {
	t.Parallel()
	ctx := withLazyDeadline(context.Background(), time.Now().Add(20*time.Millisecond))
	defer ctx.stop()
	chans := make([]<-chan struct{}, 32)
	var wg sync.WaitGroup
	for i := range chans {
		wg.Go(func() {
			chans[i] = ctx.Done()
			_ = ctx.Err()
			<-chans[i]
		})
	}
	wg.Wait()
	for _, c := range chans {
		if c != chans[0] {
			t.Fatal("Done returned different channels")
		}
	}
}

// The point of the lazy deadline: a request nobody waits on starts no
// timer.
func TestTimeoutStartsNoTimerUnlessWaitedOn(t *testing.T) {
	t.Parallel()
	for _, wait := range []bool{false, true} {
		var ctx *deadlineCtx
		h := Timeout(time.Hour)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx = r.Context().(*deadlineCtx)
			if wait {
				_ = r.Context().Done()
			}
		}))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		if started := ctx.timed.Load() != nil; started != wait {
			t.Fatalf("waited on: %v, timer started: %v", wait, started)
		}
	}
}
