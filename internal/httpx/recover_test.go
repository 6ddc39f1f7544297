package httpx

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRecover(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		status    int
		repanic   any
		logged    bool
		withLog   bool
		bodyMatch string
	}{
		{"PanicBecomes500", func(w http.ResponseWriter, r *http.Request) { panic("boom: password=hunter2") },
			500, nil, true, false, `"code":"internal"`},
		{"PanicBecomes500UnderAccessLog", func(w http.ResponseWriter, r *http.Request) { panic(errors.New("boom")) },
			500, nil, true, true, `"code":"internal"`},
		{"NoPanicPassesThrough", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) },
			201, nil, false, false, ""},
		{"AbortHandlerRepanics", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) },
			200, http.ErrAbortHandler, false, false, ""},
		{"PanicAfterHeaderAborts", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("partial"))
			panic("late")
		}, 200, http.ErrAbortHandler, true, false, "partial"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logger, logs := newTestLogger()
			var hooked atomic.Int32
			hook := func(ctx context.Context, v any, stack []byte) {
				if len(stack) == 0 || ctx == nil {
					t.Error("hook without stack or context")
				}
				hooked.Add(1)
			}
			mws := []Middleware{RequestID}
			if tt.withLog {
				mws = append(mws, AccessLog(logger))
			}
			mws = append(mws, Recover(logger, hook))
			h := Chain(tt.handler, mws...)
			rec := httptest.NewRecorder()
			func() {
				defer func() {
					if got := recover(); got != tt.repanic {
						t.Fatalf("panic = %v, want %v", got, tt.repanic)
					}
				}()
				h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			}()
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.bodyMatch) {
				t.Fatalf("status %d body %q", rec.Code, rec.Body)
			}
			if strings.Contains(rec.Body.String(), "hunter2") {
				t.Fatal("panic value leaked to the client")
			}
			if got := hooked.Load() == 1; got != tt.logged {
				t.Fatalf("hook called: %v, want %v", got, tt.logged)
			}
			if !tt.logged {
				return
			}
			var found bool
			for _, l := range logs.lines(t) {
				if l["msg"] == "panic serving request" {
					found = true
					if l["level"] != "ERROR" || l["request_id"] == "" || !strings.Contains(l["stack"].(string), "recover_test.go") {
						t.Fatalf("panic log %v", l)
					}
				}
			}
			if !found {
				t.Fatal("panic not logged")
			}
		})
	}
}

func TestGoRecoversAndReports(t *testing.T) {
	t.Parallel()
	logger, logs := newTestLogger()
	reported := make(chan any, 1)
	Go(logger, "purge", func() { panic("job failed") }, func(_ context.Context, v any, _ []byte) { reported <- v })
	select {
	case v := <-reported:
		if v != "job failed" {
			t.Fatalf("reported %v", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("panic not reported")
	}
	l := logs.lines(t)
	if len(l) != 1 || l[0]["job"] != "purge" || l[0]["level"] != "ERROR" || l[0]["stack"] == "" {
		t.Fatalf("log %v", l)
	}
}

func TestGoRunsWithoutHook(t *testing.T) {
	t.Parallel()
	logger, _ := newTestLogger()
	done := make(chan struct{})
	Go(logger, "ok", func() { close(done) }, nil)
	<-done
	ran := make(chan struct{})
	Go(logger, "panics", func() { defer close(ran); panic("x") }, nil)
	<-ran
}
