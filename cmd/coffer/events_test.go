package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/api/apitest"
	"github.com/cofferhq/coffer/client"
)

// frame is a message the feed sends, as a client decodes it.
type frame struct {
	Type          string `json:"type"`
	ProjectID     string `json:"project_id"`
	Project       string `json:"project"`
	EnvironmentID string `json:"environment_id"`
	Environment   string `json:"environment"`
	Key           string `json:"key"`
	Version       int    `json:"version"`
	Revision      int64  `json:"revision"`
	UserID        string `json:"user_id"`
	Code          string `json:"code"`
	Detail        string `json:"detail"`
	Value         any    `json:"value"` // must never be present
}

// feedContract checks a frame against the contract's FeedMessage schema.
var feedContract = sync.OnceValues(func() (func([]byte) error, error) {
	return apitest.SchemaValidator("FeedMessage")
})

// feed is a test client of GET /api/v1/events.
type feed struct {
	t  *testing.T
	ws *websocket.Conn
}

// dialFeed opens a feed on s with header (credentials, Origin) and hc
// (a cookie jar), failing the test unless it upgrades.
func dialFeed(t *testing.T, s *testServer, header http.Header, hc *http.Client) *feed {
	t.Helper()
	ws, resp, err := websocket.Dial(t.Context(), s.URL+"/api/v1/events", &websocket.DialOptions{HTTPHeader: header, HTTPClient: hc})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial feed: %v (status %d)", err, status)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return &feed{t: t, ws: ws}
}

// dialStatus attempts a feed and returns the HTTP status of the refusal
// (101 if it upgraded).
func dialStatus(t *testing.T, url string, header http.Header, hc *http.Client) int {
	t.Helper()
	ws, resp, err := websocket.Dial(t.Context(), url, &websocket.DialOptions{HTTPHeader: header, HTTPClient: hc})
	if err == nil {
		_ = ws.CloseNow()
		return http.StatusSwitchingProtocols
	}
	if resp == nil {
		t.Fatalf("dial: %v", err)
	}
	return resp.StatusCode
}

func bearerHeader(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

func (f *feed) send(v any) {
	f.t.Helper()
	b, _ := json.Marshal(v)
	f.sendRaw(b)
}

func (f *feed) sendRaw(b []byte) {
	f.t.Helper()
	if err := f.ws.Write(f.t.Context(), websocket.MessageText, b); err != nil {
		f.t.Fatalf("send: %v", err)
	}
}

// next reads one frame within d; err is the close error when the server
// closed the connection.
func (f *feed) next(d time.Duration) (frame, error) {
	ctx, cancel := context.WithTimeout(f.t.Context(), d)
	defer cancel()
	_, b, err := f.ws.Read(ctx)
	if err != nil {
		return frame{}, err
	}
	var fr frame
	if err := json.Unmarshal(b, &fr); err != nil {
		f.t.Fatalf("undecodable frame %s: %v", b, err)
	}
	if fr.Value != nil || bytes.Contains(b, []byte(`"value"`)) {
		f.t.Fatalf("a frame carries a value: %s", b)
	}
	check, err := feedContract()
	if err != nil {
		f.t.Fatalf("load contract: %v", err)
	}
	if err := check(b); err != nil {
		f.t.Errorf("%v", err)
	}
	return fr, nil
}

func (f *feed) mustNext() frame {
	f.t.Helper()
	fr, err := f.next(5 * time.Second)
	if err != nil {
		f.t.Fatalf("read frame: %v", err)
	}
	return fr
}

// subscribe subscribes and returns the events replayed and the revision
// of the acknowledgement.
func (f *feed) subscribe(project, env string, since *int64) ([]frame, int64) {
	f.t.Helper()
	msg := map[string]any{"type": "subscribe", "project": project, "environment": env}
	if since != nil {
		msg["since"] = *since
	}
	f.send(msg)
	var replay []frame
	for {
		fr := f.mustNext()
		switch fr.Type {
		case "subscribed":
			return replay, fr.Revision
		case "error":
			f.t.Fatalf("subscribe %s/%s: %s: %s", project, env, fr.Code, fr.Detail)
		}
		replay = append(replay, fr)
	}
}

// closedWith waits up to d for the server to close the connection and
// returns the close status (-1 if it did not close).
func (f *feed) closedWith(d time.Duration) websocket.StatusCode {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		_, err := f.next(time.Until(deadline))
		if err != nil {
			if websocket.CloseStatus(err) == -1 {
				f.t.Logf("closed without status: %v", err)
			}
			return websocket.CloseStatus(err)
		}
	}
	return -2
}

// owner signs up a user who owns project slug and returns a bearer client
// and access token for them.
func (s *testServer) owner(t *testing.T, name, slug string) (*client.Client, string, *api.User) {
	t.Helper()
	_, u := s.signup(t, name)
	c, tok := s.bearer(t, string(u.Email))
	ok(c.CreateProject(t.Context(), api.CreateProjectRequest{Slug: slug, Name: slug})).get(t)
	return c, tok.AccessToken, u
}

func put(t *testing.T, c *client.Client, project, key, value string) {
	t.Helper()
	if _, _, err := c.PutSecret(t.Context(), project, "dev", key, api.PutSecretRequest{Value: value}); err != nil {
		t.Errorf("put %s: %v", key, err)
	}
}

func TestEventsReplayThenLiveWithoutGapOrDuplicate(t *testing.T) {
	eachStore(t, func(t *testing.T, backend string) {
		s := startServer(t, backend, nil)
		c, token, _ := s.owner(t, "owner", "shop")
		for i := range 5 {
			put(t, c, "shop", fmt.Sprintf("K%d", i%3), fmt.Sprintf("v%d", i)) // revisions 1…5
		}
		const writes = 40
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := range writes {
				put(t, c, "shop", fmt.Sprintf("K%d", i%4), fmt.Sprintf("w%d", i))
			}
		})
		time.Sleep(20 * time.Millisecond) // let the writer get going
		f := dialFeed(t, s, bearerHeader(token), nil)
		replay, subscribed := f.subscribe("shop", "dev", sincePtr(2))
		wg.Wait()
		final := ok(c.Environment(t.Context(), "shop", "dev")).get(t).Revision
		if final != 5+writes {
			t.Fatalf("final revision %d, want %d", final, 5+writes)
		}
		got := replay
		for len(got) == 0 || got[len(got)-1].Revision < final {
			got = append(got, f.mustNext())
		}
		last := int64(2)
		seen := map[int64]bool{}
		versions := map[string]int{}
		for _, fr := range got {
			if !strings.HasPrefix(fr.Type, "secret.") || fr.Project != "shop" || fr.Environment != "dev" {
				t.Fatalf("unexpected frame %+v", fr)
			}
			if fr.Revision <= last {
				t.Fatalf("revision %d after %d: out of order or duplicated", fr.Revision, last)
			}
			last, seen[fr.Revision] = fr.Revision, true
			versions[fr.Key] = fr.Version
		}
		for r := subscribed + 1; r <= final; r++ {
			if !seen[r] {
				t.Errorf("revision %d (after the subscription at %d) never announced", r, subscribed)
			}
		}
		list := ok(c.Secrets(t.Context(), "shop", "dev", client.SecretsOptions{})).get(t)
		for _, sec := range list.Bundle.Secrets {
			if versions[string(sec.Key)] != int(sec.Version) {
				t.Errorf("%s: feed ends at version %d, server has %d", sec.Key, versions[string(sec.Key)], sec.Version)
			}
		}
		t.Logf("replayed %d events (collapsed), %d live, subscribed at %d, final %d", len(replay), len(got)-len(replay), subscribed, final)
	})
}

// login signs in with a cookie jar, as a browser does.
func login(t *testing.T, s *testServer, email string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	body, _ := json.Marshal(map[string]string{"email": email, "password": testPassword})
	req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL+"/api/v1/auth/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	return hc
}

func TestEventsUpgradeRefusals(t *testing.T) {
	s := startServer(t, "sqlite", nil)
	_, token, u := s.owner(t, "owner", "shop")
	browser := login(t, s, string(u.Email))
	evil := http.Header{"Origin": {"https://evil.example"}}
	own := http.Header{"Origin": {s.URL}}
	tests := []struct {
		name   string
		url    string
		header http.Header
		hc     *http.Client
		want   int
	}{
		{"AnonymousIs401", "/api/v1/events", nil, nil, 401},
		{"TokenInURLIsIgnored", "/api/v1/events?access_token=" + token + "&token=" + token, nil, nil, 401},
		{"BadBearerIs401", "/api/v1/events", bearerHeader("nope"), nil, 401},
		{"CookieFromOtherOriginIs403", "/api/v1/events", evil, browser, 403},
		{"CookieFromOwnOriginUpgrades", "/api/v1/events", own, browser, 101},
		{"CookieWithoutOriginUpgrades", "/api/v1/events", nil, browser, 101}, // not a browser
		{"BearerUpgrades", "/api/v1/events", bearerHeader(token), nil, 101},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dialStatus(t, s.URL+tt.url, tt.header, tt.hc); got != tt.want {
				t.Fatalf("status %d, want %d", got, tt.want)
			}
		})
	}
}

func TestEventsBadMessages(t *testing.T) {
	s := startServer(t, "sqlite", nil)
	_, token, _ := s.owner(t, "owner", "shop")
	_, _, _ = s.owner(t, "stranger", "secret-project")
	f := dialFeed(t, s, bearerHeader(token), nil)
	tests := []struct {
		name string
		msg  string
		code string
	}{
		{"NotJSON", `hello`, "invalid"},
		{"UnknownType", `{"type":"publish","project":"shop","environment":"dev"}`, "invalid"},
		{"MissingEnvironment", `{"type":"subscribe","project":"shop"}`, "invalid"},
		{"NegativeSince", `{"type":"subscribe","project":"shop","environment":"dev","since":-1}`, "invalid"},
		{"MissingProject", `{"type":"subscribe","project":"nope","environment":"dev"}`, "not_found"},
		{"MissingEnvironmentSlug", `{"type":"subscribe","project":"shop","environment":"nope"}`, "not_found"},
		{"OthersProjectLooksMissing", `{"type":"subscribe","project":"secret-project","environment":"dev"}`, "not_found"},
		{"UnsubscribeWithoutSubscription", `{"type":"unsubscribe","project":"shop","environment":"dev"}`, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			f.sendRaw([]byte(tt.msg))
			fr := f.mustNext()
			if fr.Type != "error" || fr.Code != tt.code || fr.Detail == "" {
				t.Fatalf("got %+v, want an error frame with code %s", fr, tt.code)
			}
		})
	}
	t.Run("OversizedFrameCloses1009", func(t *testing.T) {
		f.t = t
		f.sendRaw([]byte(`{"type":"subscribe","project":"` + strings.Repeat("x", 5000) + `"}`))
		if got := f.closedWith(3 * time.Second); got != websocket.StatusMessageTooBig {
			t.Fatalf("close status %d, want 1009", got)
		}
	})
}

func TestEventsSlowConsumerIsClosed(t *testing.T) {
	s := startServer(t, "sqlite", nil)
	c, token, _ := s.owner(t, "owner", "shop")
	f := dialFeed(t, s, bearerHeader(token), nil)
	f.subscribe("shop", "dev", nil)
	for round := range 2 {
		in := make([]api.SecretInput, 1000)
		for i := range in {
			in[i] = api.SecretInput{Key: api.Key(fmt.Sprintf("K%d", i)), Value: fmt.Sprint(round)}
		}
		ok(c.PutSecrets(t.Context(), "shop", "dev", in, client.ImportOptions{})).get(t)
	}
	if got := f.closedWith(10 * time.Second); got != websocket.StatusTryAgainLater {
		t.Fatalf("close status %d, want 1013 (resync)", got)
	}
	if n := metricValue(t, s, "coffer_ws_slow_consumer_closes_total"); n != 1 {
		t.Fatalf("coffer_ws_slow_consumer_closes_total = %v", n)
	}
}

func TestEventsConnectionCap(t *testing.T) {
	s := startServer(t, "sqlite", nil)
	_, token, _ := s.owner(t, "owner", "shop")
	for range 20 {
		dialFeed(t, s, bearerHeader(token), nil)
	}
	over := dialFeed(t, s, bearerHeader(token), nil)
	if got := over.closedWith(3 * time.Second); got != websocket.StatusPolicyViolation {
		t.Fatalf("21st connection: close status %d, want 1008", got)
	}
	// A connection joins the hub just after its handshake is answered, so
	// the last one may still be on its way in when the refusal arrives.
	pollUntil(t, time.Second, "20 open feeds", func() bool { return s.Server.FeedConnections() == 20 })
}

func TestEventsRevocation(t *testing.T) {
	s := startServer(t, "sqlite", nil)
	tests := []struct {
		name   string
		setup  func(t *testing.T, c *client.Client, token, slug string) (feedToken string, revoke func())
		closes bool // else: the subscription is dropped with not_found
	}{
		{"SessionSignedOut", func(t *testing.T, c *client.Client, token, _ string) (string, func()) {
			return token, func() { noErr(t, c.Logout(t.Context())) }
		}, true},
		{"PersonalTokenRevoked", func(t *testing.T, c *client.Client, _, _ string) (string, func()) {
			pat := ok(c.CreatePersonalToken(t.Context(), api.CreatePersonalTokenRequest{Name: "feed"})).get(t)
			return pat.Secret, func() { noErr(t, c.RevokePersonalToken(t.Context(), pat.Token.ID)) }
		}, true},
		{"ServiceTokenRevoked", func(t *testing.T, c *client.Client, _, slug string) (string, func()) {
			st := ok(c.CreateServiceToken(t.Context(), slug, api.CreateServiceTokenRequest{
				Name: "feed", Access: "read", Environments: []api.Slug{"dev"},
			})).get(t)
			return st.Secret, func() {
				noErr(t, c.RevokeServiceToken(t.Context(), slug, st.Token.ID))
			}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slug := strings.ToLower(tt.name)
			c, token, _ := s.owner(t, tt.name, slug)
			feedToken, revoke := tt.setup(t, c, token, slug)
			f := dialFeed(t, s, bearerHeader(feedToken), nil)
			f.subscribe(slug, "dev", nil)
			start := time.Now()
			revoke()
			if got := f.closedWith(time.Second); got != websocket.StatusPolicyViolation {
				t.Fatalf("close status %d within 1 s, want 1008", got)
			}
			t.Logf("closed %v after the revocation returned", time.Since(start))
		})
	}
	t.Run("MemberRemoved", func(t *testing.T) {
		owner, _, _ := s.owner(t, "boss", "team")
		_, member := s.signup(t, "member")
		_, memberTok := s.bearer(t, string(member.Email))
		ok(owner.AddMember(t.Context(), "team", api.AddMemberRequest{Email: member.Email, Role: "viewer"})).get(t)
		f := dialFeed(t, s, bearerHeader(memberTok.AccessToken), nil)
		f.subscribe("team", "dev", nil)
		noErr(t, owner.RemoveMember(t.Context(), "team", member.ID))
		deadline := time.Now().Add(time.Second)
		for {
			fr, err := f.next(time.Until(deadline))
			if err != nil {
				t.Fatalf("no not_found frame within 1 s: %v", err)
			}
			if fr.Type == "error" && fr.Code == "not_found" && fr.Project == "team" {
				break
			}
		}
		put(t, owner, "team", "AFTER", "x")
		if fr, err := f.next(300 * time.Millisecond); err == nil {
			t.Fatalf("a removed member still gets events: %+v", fr)
		}
	})
}

func TestEventsShutdownClosesWith1001(t *testing.T) {
	s := startServer(t, "sqlite", nil)
	_, token, _ := s.owner(t, "owner", "shop")
	feeds := []*feed{dialFeed(t, s, bearerHeader(token), nil), dialFeed(t, s, bearerHeader(token), nil)}
	feeds[0].subscribe("shop", "dev", nil)
	done := make(chan error, 1)
	go func() { done <- s.closeFeeds(context.Background()) }()
	for i, f := range feeds {
		if got := f.closedWith(5 * time.Second); got != websocket.StatusGoingAway {
			t.Fatalf("feed %d: close status %d, want 1001", i, got)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("CloseFeeds: %v", err)
	}
	if got := dialStatus(t, s.URL+"/api/v1/events", bearerHeader(token), nil); got == http.StatusSwitchingProtocols {
		// Upgraded, then closed at once with 1001: no feed opens during shutdown.
		f := dialFeed(t, s, bearerHeader(token), nil)
		if st := f.closedWith(3 * time.Second); st != websocket.StatusGoingAway {
			t.Fatalf("feed opened during shutdown: close status %d", st)
		}
	}
}

// metricValue returns the value of the named counter or gauge on s.
func metricValue(t *testing.T, s *testServer, name string) float64 {
	t.Helper()
	v, found := metricSample(t, s, name, "", "")
	if !found {
		t.Fatalf("metric %s not found", name)
	}
	return v
}

func sincePtr(v int64) *int64 { return &v }
