package httpx

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

func decompress(t *testing.T, enc string, b []byte) string {
	t.Helper()
	var r io.Reader
	switch enc {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(b))
	default:
		return string(b)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decompress %s: %v", enc, err)
	}
	return string(out)
}

func TestCompress(t *testing.T) {
	t.Parallel()
	big := `{"data":"` + strings.Repeat("coffer ", 400) + `"}`
	write := func(ct, body string, status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if ct != "" {
				w.Header().Set("Content-Type", ct)
			}
			w.Header().Set("Content-Length", "999999")
			if status != 0 {
				w.WriteHeader(status)
			}
			// Several small writes: the decision waits for enough bytes.
			for i := 0; i < len(body); i += 100 {
				_, _ = w.Write([]byte(body[i:min(i+100, len(body))]))
			}
		}
	}
	tests := []struct {
		name    string
		accept  string
		method  string
		handler http.Handler
		want    string // Content-Encoding
		status  int
	}{
		{"BrotliPreferred", "gzip, deflate, br", "GET", write("application/json", big, 0), "br", 200},
		{"GzipWhenNoBrotli", "gzip", "GET", write("application/json", big, 0), "gzip", 200},
		{"QValuesRespected", "br;q=0.5, gzip;q=0.8", "GET", write("application/json", big, 0), "gzip", 200},
		{"BrotliRefused", "br;q=0, *", "GET", write("application/json", big, 0), "gzip", 200},
		{"WildcardPicksBrotli", "*", "GET", write("text/html", big, 0), "br", 200},
		{"BadQIgnored", "br;q=x, gzip", "GET", write("application/json", big, 0), "gzip", 200},
		{"IdentityOnly", "identity", "GET", write("application/json", big, 0), "", 200},
		{"NoAcceptEncoding", "", "GET", write("application/json", big, 0), "", 200},
		{"SmallBodyUncompressed", "br", "GET", write("application/json", `{"ok":true}`, 0), "", 200},
		{"IncompressibleType", "br", "GET", write("image/png", big, 0), "", 200},
		{"SniffedType", "gzip", "GET", write("", "<html>"+big, 0), "gzip", 200},
		{"ProblemJSON", "gzip", "GET", write("application/problem+json; charset=utf-8", big, 404), "gzip", 404},
		{"SecretsNeverCompressed", "br, gzip", "GET", NoCompress(write("application/json", big, 0)), "", 200},
		{"SecretsNeverCompressedThroughWrappers", "br, gzip", "GET",
			SecurityHeaders(NoCompress(write("application/json", big, 0))), "", 200},
		{"HeadPassesThrough", "gzip", "HEAD", write("application/json", big, 0), "", 200},
		{"NoContent", "gzip", "GET", write("application/json", "", 204), "", 204},
		{"StatusWithoutBody", "gzip", "GET", write("application/json", "", 201), "", 201},
		{"AlreadyEncoded", "gzip", "GET", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(big))
		}), "gzip-passthrough", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tt.method, "/api/v1/x", nil)
			if tt.accept != "" {
				r.Header.Set("Accept-Encoding", tt.accept)
			}
			rec := httptest.NewRecorder()
			Compress(tt.handler).ServeHTTP(rec, r)
			h := rec.Header()
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
			if !slices.Contains(h.Values("Vary"), "Accept-Encoding") {
				t.Fatalf("Vary = %v", h.Values("Vary"))
			}
			if tt.want == "gzip-passthrough" {
				if rec.Body.String() != big {
					t.Fatal("pre-encoded body altered")
				}
				return
			}
			if got := h.Get("Content-Encoding"); got != tt.want {
				t.Fatalf("Content-Encoding = %q, want %q", got, tt.want)
			}
			if tt.want != "" && h.Get("Content-Length") != "" {
				t.Fatal("stale Content-Length on a compressed response")
			}
			if tt.method == "HEAD" || tt.status == 204 || tt.status == 201 {
				return
			}
			body := decompress(t, tt.want, rec.Body.Bytes())
			if !strings.Contains(body, "coffer coffer") && !strings.Contains(body, `"ok"`) {
				t.Fatalf("body = %.60q", body)
			}
		})
	}
}

func TestCompressFlushStreams(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("event: x\n\n", 200)
	tests := []struct {
		name string
		body string
		want string
	}{
		{"EarlyFlushSendsUncompressed", "data: 1\n\n", ""},
		{"FlushAfterThresholdCompresses", big, "br"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := Compress(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				_, _ = w.Write([]byte(tt.body))
				if err := http.NewResponseController(w).Flush(); err != nil {
					t.Errorf("flush: %v", err)
				}
				_, _ = w.Write([]byte("data: 2\n\n"))
			}))
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Accept-Encoding", "br")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if !rec.Flushed {
				t.Fatal("flush did not reach the connection")
			}
			if got := rec.Header().Get("Content-Encoding"); got != tt.want {
				t.Fatalf("Content-Encoding = %q, want %q", got, tt.want)
			}
			if got := decompress(t, tt.want, rec.Body.Bytes()); got != tt.body+"data: 2\n\n" {
				t.Fatalf("body = %.80q", got)
			}
		})
	}
}

func TestCompressNothingWritten(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	Compress(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})).ServeHTTP(rec, r)
	if rec.Code != 200 || rec.Header().Get("Content-Encoding") != "" || rec.Body.Len() != 0 {
		t.Fatalf("got %d %v %q", rec.Code, rec.Header(), rec.Body)
	}
}

func TestDisableCompressionWithoutCompressLayer(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	DisableCompression(rec)                                // no Unwrap: nothing to do
	DisableCompression(&StatusWriter{ResponseWriter: rec}) // Unwrap chain without Compress
}

func TestCompressible(t *testing.T) {
	t.Parallel()
	for ct, want := range map[string]bool{
		"application/json": true, "text/plain; charset=utf-8": true, "application/vnd.api+json": true,
		"image/svg+xml": true, "application/javascript": true, "image/png": false,
		"application/octet-stream": false, "application/zip": false, "": false,
	} {
		if got := compressible(ct); got != want {
			t.Errorf("compressible(%q) = %v, want %v", ct, got, want)
		}
	}
}
