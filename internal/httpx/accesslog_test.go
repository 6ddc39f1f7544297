package httpx

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAccessLog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		path    string
		handler http.HandlerFunc
		status  float64
		bytes   float64
		level   string
		route   string
	}{
		{"OK", "/api/v1/projects/shop?token=cof_pat_SECRET", func(w http.ResponseWriter, r *http.Request) {
			InfoFrom(r.Context()).ActorID = "user-7"
			_, _ = w.Write([]byte("hello"))
		}, 200, 5, "INFO", "GET /api/v1/projects/{project}"},
		{"NothingWrittenIs200", "/api/v1/projects/shop", func(w http.ResponseWriter, r *http.Request) {}, 200, 0, "INFO", "GET /api/v1/projects/{project}"},
		{"ServerErrorAtErrorLevel", "/api/v1/projects/shop", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(503)
		}, 503, 0, "ERROR", "GET /api/v1/projects/{project}"},
		{"ClientErrorAtInfo", "/api/v1/projects/shop", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(404)
		}, 404, 0, "INFO", "GET /api/v1/projects/{project}"},
		{"InformationalNotRecorded", "/api/v1/projects/shop", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(201)
		}, 201, 0, "INFO", "GET /api/v1/projects/{project}"},
		{"UnmatchedNeverLogsPath", "/api/v1/nothing/42", nil, 404, 19, "INFO", RouteUnmatched},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			logger, logs := newTestLogger()
			mux := http.NewServeMux()
			if tt.handler != nil {
				mux.Handle("GET /api/v1/projects/{project}", tt.handler)
			}
			h := Chain(Routes(mux), RequestID, NewProxyTrust(nil).Middleware, AccessLog(logger), SecurityHeaders)
			r := httptest.NewRequest("GET", tt.path, nil)
			r.Header.Set("User-Agent", "coffer-cli/1.0 "+strings.Repeat("x", 400))
			r.Header.Set("Authorization", "Bearer cof_pat_SECRET")
			r.Header.Set("Cookie", "session=SECRET")
			h.ServeHTTP(httptest.NewRecorder(), r)
			lines := logs.lines(t)
			if len(lines) != 1 {
				t.Fatalf("got %d log lines, want 1", len(lines))
			}
			l := lines[0]
			if l["level"] != tt.level || l["status"] != tt.status || l["bytes"] != tt.bytes || l["route"] != tt.route ||
				l["method"] != "GET" || l["client_ip"] != "192.0.2.1" || l["request_id"] == "" {
				t.Fatalf("log line %v", l)
			}
			if _, ok := l["duration_ms"].(float64); !ok {
				t.Fatalf("duration_ms missing: %v", l)
			}
			if ua := l["user_agent"].(string); len(ua) != maxUserAgent || !strings.HasPrefix(ua, "coffer-cli/1.0") {
				t.Fatalf("user_agent = %q", ua)
			}
			if tt.name == "OK" && l["actor_id"] != "user-7" {
				t.Fatalf("actor_id = %v, want the one set by an inner layer", l["actor_id"])
			}
			if s := logs.String(); strings.Contains(s, "SECRET") || strings.Contains(s, "/api/v1/projects/shop") || strings.Contains(s, "/nothing/42") {
				t.Fatalf("log leaks path, query, headers or cookies: %s", s)
			}
		})
	}
}

func TestAccessLogUsesPatternOnSameRequest(t *testing.T) {
	t.Parallel()
	logger, logs := newTestLogger()
	mux := http.NewServeMux()
	mux.Handle("GET /x/{id}", okHandler)
	// No layer between the log and the mux copies the request: r.Pattern is
	// visible without Routes.
	h := AccessLog(logger)(mux)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x/1", nil))
	if got := logs.lines(t)[0]["route"]; got != "GET /x/{id}" {
		t.Fatalf("route = %v", got)
	}
}
