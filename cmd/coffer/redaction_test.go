package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/api"
	"github.com/cofferhq/coffer/client"
	"github.com/cofferhq/coffer/internal/telemetry/telemetrytest"
)

// TestRedaction runs a full API scenario with recognisable values planted
// as a secret value, a password, every kind of token, cookies and the
// server's keys, with debug logging, traces and Sentry on, and then looks
// for every one of them in everything the server emits: logs, metrics,
// exported spans and Sentry payloads.
func TestRedaction(t *testing.T) {
	otlp := telemetrytest.NewOTLP(t)
	sentry := telemetrytest.NewSentry(t)
	s := startServer(t, "sqlite", map[string]string{
		"LOG_LEVEL": "debug", "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.URL, "SENTRY_DSN": sentry.DSN,
	})
	ctx := t.Context()
	canaries := map[string]string{
		"secret value": "CANARY-secret-value-5e1f",
		"password":     "CANARY-password-9d2c-long-enough",
		"comment":      "CANARY-comment-77aa",
	}
	cfg := s.Config
	canaries["JWT_SECRET"] = cfg.JWTSecret
	canaries["ENCRYPTION_KEY (hex)"] = hex.EncodeToString(cfg.EncryptionKey)
	canaries["ENCRYPTION_KEY (base64)"] = base64.StdEncoding.EncodeToString(cfg.EncryptionKey)

	email := uniqueEmail(t, "owner")
	cookies := &cookieRecorder{}
	browser := s.newClient(t, client.WithCookieJar(), client.WithHTTPClient(&http.Client{Transport: cookies}))
	ok(browser.Signup(ctx, api.SignupRequest{Email: email, Name: "Owner", Password: canaries["password"]})).get(t)
	ok(browser.Refresh(ctx)).get(t)
	for i, c := range cookies.all() {
		canaries[fmt.Sprintf("cookie %d %s", i, c.Name)] = c.Value
	}
	tok := ok(s.newClient(t).Token(ctx, api.TokenRequest{GrantType: "password", Email: email, Password: canaries["password"]})).get(t)
	canaries["access token"], canaries["refresh token"] = tok.AccessToken, tok.RefreshToken
	bearer := s.newClient(t, client.WithToken(tok.AccessToken))
	ok(bearer.CreateProject(ctx, api.CreateProjectRequest{Slug: "shop", Name: "Shop", Environments: []string{"dev"}})).get(t)
	if _, _, err := bearer.PutSecret(ctx, "shop", "dev", "DB_URL", api.PutSecretRequest{Value: canaries["secret value"], Comment: canaries["comment"]}); err != nil {
		t.Fatal(err)
	}
	pat := ok(bearer.CreatePersonalToken(ctx, api.CreatePersonalTokenRequest{Name: "ci"})).get(t)
	svc := ok(bearer.CreateServiceToken(ctx, "shop", api.CreateServiceTokenRequest{Name: "app", Access: api.AccessRead, Environments: []string{"dev"}})).get(t)
	canaries["personal token"], canaries["service token"] = pat.Secret, svc.Secret
	for i, c := range []*client.Client{browser, bearer, s.newClient(t, client.WithToken(pat.Secret)), s.newClient(t, client.WithToken(svc.Secret))} {
		sec, err := c.Secret(ctx, "shop", "dev", "DB_URL")
		if err != nil || sec.Value == nil || *sec.Value != canaries["secret value"] {
			t.Fatalf("client %d: read back %+v, %v", i, sec, err)
		}
	}
	// Failures log too: a wrong password, a forged token, a bad body.
	_, err := s.newClient(t).Login(ctx, api.LoginRequest{Email: email, Password: canaries["password"] + "-wrong"})
	wantStatus(t, err, 401)
	_, err = s.newClient(t, client.WithToken(tok.AccessToken+"x")).Me(ctx)
	wantStatus(t, err, 401)
	metrics := ok(s.newClient(t).Metrics(ctx)).get(t)

	// An internal error, so that Sentry gets a report of a request that
	// carries credentials in every header it can.
	_ = s.Store.DB().Close()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/api/v1/projects/shop/environments/dev/secrets/DB_URL?token="+pat.Secret, nil)
	req.Header.Set("Authorization", "Bearer "+pat.Secret)
	req.Header.Set("Cookie", "coffer_refresh="+canaries["refresh token"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status with the database closed: %d", resp.StatusCode)
	}

	fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.obs.tracing.Flush(fctx); err != nil {
		t.Fatal(err)
	}
	if !s.obs.reporter.Flush(fctx) {
		t.Fatal("Sentry flush timed out")
	}
	if len(otlp.Spans()) == 0 || len(sentry.Events()) == 0 || s.Logs.String() == "" {
		t.Fatalf("nothing to check: %d spans, %d Sentry events", len(otlp.Spans()), len(sentry.Events()))
	}
	outputs := map[string][]byte{
		"logs": []byte(s.Logs.String()), "metrics": []byte(metrics), "traces": otlp.Raw(), "Sentry": sentry.Raw(),
	}
	for what, v := range canaries {
		if len(v) < 8 {
			t.Fatalf("canary %s is too short to mean anything: %q", what, v)
		}
		for where, out := range outputs {
			if bytes.Contains(out, []byte(v)) {
				t.Errorf("the %s appears in the %s", what, where)
			}
		}
	}
}

// cookieRecorder records every cookie the server sets.
type cookieRecorder struct {
	next    http.RoundTripper // nil: http.DefaultTransport
	mu      sync.Mutex
	cookies []*http.Cookie
}

func (c *cookieRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	next := c.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(r)
	if err == nil {
		c.mu.Lock()
		c.cookies = append(c.cookies, resp.Cookies()...)
		c.mu.Unlock()
	}
	return resp, err
}

func (c *cookieRecorder) all() []*http.Cookie {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*http.Cookie(nil), c.cookies...)
}
