package httpx

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
)

func TestMaxBytes(t *testing.T) {
	t.Parallel()
	read := func(w http.ResponseWriter, r *http.Request) {
		var v map[string]string
		if err := DecodeJSON(r, &v); err != nil {
			Error(w, r, err)
			return
		}
		w.WriteHeader(204)
	}
	body := `{"value":"` + strings.Repeat("a", 200) + `"}`
	tests := []struct {
		name    string
		handler http.Handler
		status  int
	}{
		{"UnderLimit", MaxBytes(1024)(http.HandlerFunc(read)), 204},
		{"OverLimit", MaxBytes(100)(http.HandlerFunc(read)), 413},
		{"RouteRaisesLimit", MaxBytes(100)(WithMaxBytes(1024, http.HandlerFunc(read))), 204},
		{"RouteLowersLimit", MaxBytes(1024)(WithMaxBytes(100, http.HandlerFunc(read))), 413},
		{"WithMaxBytesAlone", WithMaxBytes(100, http.HandlerFunc(read)), 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			tt.handler.ServeHTTP(rec, r)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status == 413 && decodeProblem(t, rec).Code != coffer.ETOOLARGE {
				t.Fatal("want code too_large")
			}
		})
	}
}

func TestMaxBytesLeavesEmptyBodyAlone(t *testing.T) {
	t.Parallel()
	var body io.ReadCloser
	r := httptest.NewRequest("GET", "/", nil)
	MaxBytes(10)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { body = r.Body })).ServeHTTP(httptest.NewRecorder(), r)
	if body != http.NoBody {
		t.Fatalf("body = %T", body)
	}
}

func TestMaxURLLength(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		target string
		clear  bool
		status int
	}{
		{"Short", "/api/v1/me?x=1", false, 200},
		{"AtLimit", "/" + strings.Repeat("a", DefaultMaxURLLength-1), false, 200},
		{"OverLimitPath", "/" + strings.Repeat("a", DefaultMaxURLLength), false, 414},
		{"OverLimitQuery", "/api?q=" + strings.Repeat("a", DefaultMaxURLLength), false, 414},
		{"ClientBuiltRequest", "/api?q=" + strings.Repeat("a", DefaultMaxURLLength), true, 414},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", tt.target, nil)
			if tt.clear {
				r.RequestURI = ""
			}
			rec := httptest.NewRecorder()
			MaxURLLength(DefaultMaxURLLength)(okHandler).ServeHTTP(rec, r)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		upgrade     string
		hasDeadline bool
	}{
		{"SetsDeadline", "", true},
		{"WebSocketExempt", "websocket", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var ctx context.Context
			h := Timeout(50 * time.Millisecond)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ctx = r.Context()
				if tt.hasDeadline {
					<-ctx.Done() // a handler honouring its context
				}
			}))
			r := httptest.NewRequest("GET", "/", nil)
			if tt.upgrade != "" {
				r.Header.Set("Upgrade", tt.upgrade)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			_, ok := ctx.Deadline()
			if ok != tt.hasDeadline {
				t.Fatalf("deadline %v, want %v", ok, tt.hasDeadline)
			}
			if tt.hasDeadline && ctx.Err() != context.DeadlineExceeded {
				t.Fatalf("ctx.Err() = %v", ctx.Err())
			}
		})
	}
}
