package httpx

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cofferhq/coffer"
)

func TestErrorMapsCodeToStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		err    error
		status int
		code   string
		detail string
	}{
		{"Invalid", coffer.Errorf(coffer.EINVALID, "bad key"), 400, "invalid", "bad key"},
		{"Unauthorized", coffer.Errorf(coffer.EUNAUTHORIZED, "sign in"), 401, "unauthorized", "sign in"},
		{"Forbidden", coffer.Errorf(coffer.EFORBIDDEN, "no"), 403, "forbidden", "no"},
		{"NotFound", coffer.Errorf(coffer.ENOTFOUND, "Secret not found."), 404, "not_found", "Secret not found."},
		{"Conflict", coffer.Errorf(coffer.ECONFLICT, "exists"), 409, "conflict", "exists"},
		{"Precondition", coffer.Errorf(coffer.EPRECONDITION, "stale"), 412, "precondition", "stale"},
		{"TooLarge", coffer.Errorf(coffer.ETOOLARGE, "big"), 413, "too_large", "big"},
		{"RateLimited", coffer.Errorf(coffer.ERATELIMITED, "slow down"), 429, "rate_limited", "slow down"},
		{"Unavailable", coffer.Errorf(coffer.EUNAVAILABLE, "db down"), 503, "unavailable", "db down"},
		{"Wrapped", fmt.Errorf("get secret: %w", coffer.Errorf(coffer.ENOTFOUND, "gone")), 404, "not_found", "gone"},
		{"PlainErrorHidesText", errors.New("dial tcp 10.0.0.5:5432: password=hunter2"), 500, "internal", "An internal error occurred."},
		{"InternalCodeHidesText", coffer.Errorf(coffer.EINTERNAL, "pq: secret detail"), 500, "internal", "An internal error occurred."},
		{"UnknownCode", coffer.Errorf("weird", "x"), 500, "weird", "x"},
		{"NilIsInternal", nil, 500, "internal", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logger, logs := newTestLogger()
			rec := httptest.NewRecorder()
			r := httptest.NewRequest("GET", "/api/v1/x", nil)
			r = r.WithContext(NewContextWithInfo(r.Context(), &Info{RequestID: "req-12345678"}))
			WithLogger(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				Error(w, r, tt.err)
			})).ServeHTTP(rec, r)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
			p := decodeProblem(t, rec)
			want := Problem{Type: ProblemTypeBase + tt.code, Title: http.StatusText(tt.status), Status: tt.status,
				Detail: tt.detail, Code: tt.code, RequestID: "req-12345678"}
			if p.Type != want.Type || p.Title != want.Title || p.Status != want.Status || p.Code != want.Code || p.RequestID != want.RequestID {
				t.Fatalf("problem = %+v, want %+v", p, want)
			}
			if tt.detail != "" && p.Detail != tt.detail {
				t.Fatalf("detail = %q, want %q", p.Detail, tt.detail)
			}
			if strings.Contains(rec.Body.String(), "hunter2") || strings.Contains(rec.Body.String(), "pq:") {
				t.Fatalf("internal text leaked: %s", rec.Body)
			}
			if tt.code == "internal" && tt.err != nil {
				l := logs.lines(t)
				if len(l) != 1 || l[0]["level"] != "ERROR" || l[0]["request_id"] != "req-12345678" {
					t.Fatalf("want one ERROR log line with the request id, got %v", l)
				}
			}
		})
	}
}

func TestErrorListsFieldErrors(t *testing.T) {
	t.Parallel()
	var errs FieldErrors
	if errs.Err() != nil {
		t.Fatal("empty FieldErrors is an error")
	}
	errs.Add("key", "must match [A-Za-z_][A-Za-z0-9_.-]*")
	errs.Add("value", "must be at most 65536 bytes")
	err := fmt.Errorf("validate: %w", errs.Err())
	if coffer.ErrorCode(err) != coffer.EINVALID {
		t.Fatalf("code = %q, want invalid", coffer.ErrorCode(err))
	}
	if !strings.Contains(err.Error(), "key: must match") {
		t.Fatalf("Error() = %q", err)
	}
	rec := httptest.NewRecorder()
	Error(rec, httptest.NewRequest("PUT", "/", nil), err)
	p := decodeProblem(t, rec)
	if rec.Code != 400 || len(p.Errors) != 2 || p.Errors[0].Field != "key" || p.Errors[1].Field != "value" {
		t.Fatalf("status %d, problem %+v", rec.Code, p)
	}
}

func TestWriteProblem(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Length", "99")
	WriteProblem(rec, httptest.NewRequest("GET", "/", nil), http.StatusRequestURITooLong, coffer.ETOOLARGE, "long")
	p := decodeProblem(t, rec)
	if rec.Code != 414 || p.Title != "Request URI Too Long" || p.Type != "https://coffer.dev/problems/too_large" || p.RequestID != "" {
		t.Fatalf("status %d, problem %+v", rec.Code, p)
	}
	if rec.Header().Get("Content-Length") != "" {
		t.Fatal("stale Content-Length kept")
	}
}

func TestStatusOfUnknownCodeIs500(t *testing.T) {
	t.Parallel()
	if got := StatusOf("nope"); got != 500 {
		t.Fatalf("StatusOf(nope) = %d", got)
	}
}

func TestLoggerWithoutMiddlewareFallsBack(t *testing.T) {
	t.Parallel()
	if Logger(t.Context()) == nil {
		t.Fatal("nil logger")
	}
}
