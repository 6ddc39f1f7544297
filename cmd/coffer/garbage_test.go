package main

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

// garbage bodies and paths that every route must answer with a 4xx (or a
// success for routes that ignore bodies), never a 5xx.
var garbageBodies = []struct {
	name, contentType, body string
}{
	{"Empty", "application/json", ""},
	{"NotJSON", "application/json", "{not json"},
	{"WrongType", "application/json", `{"name":42,"email":[],"value":{},"secrets":"x","version":"1","role":7}`},
	{"UnknownField", "application/json", `{"is_admin":true,"id":"x"}`},
	{"Array", "application/json", `[1,2,3]`},
	{"Deep", "application/json", strings.Repeat("[", 100) + strings.Repeat("]", 100)},
	{"HugeNumber", "application/json", `{"version":1e309,"expires_at":"yesterday"}`},
	{"NullBytes", "application/json", "{\"name\":\"a\u0000b\",\"slug\":\"\u0000\"}"},
	{"Text", "text/plain", "=\n\x00\xff\xfe==="},
	{"XML", "application/xml", "<a/>"},
	{"BadUTF8", "application/json", "{\"value\":\"\xff\xfe\",\"email\":\"a\xff@b.c\",\"name\":\"\xfe\"}"},
}

var garbagePaths = map[string]string{
	"{project}": "..%2F..%2Fetc",
	"{env}":     "%00",
	"{key}":     "9%20bad%3Bkey",
	"{user}":    "not-a-uuid",
	"{token}":   "'%20OR%201=1--",
	"{session}": strings.Repeat("x", 300),
	"{email}":   "a%00%ff@b%2F..",
}

func TestGarbageNeverServerError(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil)
		f := newFixture(t, s, newPeople(t, s, "g"), 0, "owner", false)
		for _, rt := range s.Server.Routes() {
			if rt.Path == "/api/v1/auth/logout" || rt.Method == "DELETE" && rt.Path == "/api/v1/me" {
				continue // these end the credential the rest of the test uses
			}
			for _, actor := range []string{"owner", "anonymous"} {
				for _, g := range garbageBodies {
					path := rt.Path
					for param, bad := range garbagePaths {
						path = strings.ReplaceAll(path, param, bad)
					}
					status := send(t, s.URL+path+"?limit=-1&cursor=%ff&since=x&format=yaml&dry_run=maybe", rt.Method, g.contentType, g.body, f.creds[actor])
					if status >= 500 {
						t.Errorf("%s %s as %s with %s body: %d", rt.Method, rt.Path, actor, g.name, status)
					}
				}
			}
		}
	})
}

func TestOversizedBodyIs413(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil)
		f := newFixture(t, s, newPeople(t, s, "g"), 0, "owner", false)
		big := `{"value":"` + strings.Repeat("a", 2<<20) + `"}`
		status := send(t, s.URL+"/api/v1/projects/"+f.slug+"/environments/dev/secrets/BIG", "PUT", "application/json", big, f.creds["owner"])
		if status != http.StatusRequestEntityTooLarge {
			t.Fatalf("2 MiB body: %d", status)
		}
		value := `{"value":"` + strings.Repeat("a", 70<<10) + `"}`
		status = send(t, s.URL+"/api/v1/projects/"+f.slug+"/environments/dev/secrets/BIG", "PUT", "application/json", value, f.creds["owner"])
		if status != http.StatusRequestEntityTooLarge {
			t.Fatalf("70 KiB value: %d", status)
		}
	})
}

func send(t *testing.T, url, method, contentType, body, cred string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewBufferString(body))
	if err != nil {
		return http.StatusBadRequest // the client itself refuses such a URL
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "garbage/\xff\xfe") // not UTF-8: PostgreSQL text refuses such bytes
	if cred != "" {
		req.Header.Set("Authorization", "Bearer "+cred)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
